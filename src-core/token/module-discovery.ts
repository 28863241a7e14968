/**
 * Which PKCS#11 libraries to try. The list of known drivers is data (resources/pkcs11-drivers.json)
 * so IT departments can extend it without a new build; explicit choices (--module, configuration,
 * KYSO_PKCS11_MODULE) come first and are reported even when the file is missing, because a
 * wrong path is exactly what the user needs to see.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { KysoError } from '../../src-shared/errors.js';
import type { ModuleSummary } from '../../src-shared/api/token-types.js';
import { projectRoot } from '../util/paths.js';

const DriverList = z.object({
  version: z.literal(1),
  drivers: z.array(
    z.object({
      vendor: z.string(),
      win32: z.array(z.string()).default([]),
      linux: z.array(z.string()).default([]),
      darwin: z.array(z.string()).default([]),
    }),
  ),
});
export type DriverList = z.infer<typeof DriverList>;

export interface ModuleCandidate {
  path: string;
  vendor: string;
  source: ModuleSummary['source'];
}

export function defaultDriverListPath(): string {
  // Packaged: resources/ beside app.asar; from source or dist: the repo's resources/.
  const packaged = (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath;
  const inPackage = packaged ? join(packaged, 'resources', 'pkcs11-drivers.json') : null;
  return inPackage && existsSync(inPackage) ? inPackage : join(projectRoot(), 'resources', 'pkcs11-drivers.json');
}

export function loadDriverList(path = defaultDriverListPath()): DriverList {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new KysoError('INPUT_MALFORMED', 'error.inputMalformed', { detail: path });
  }
  const parsed = DriverList.safeParse(raw);
  if (!parsed.success) throw new KysoError('INPUT_MALFORMED', 'error.inputMalformed', { detail: path });
  return parsed.data;
}

function libraryDirs(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string[] {
  if (platform === 'win32') {
    const sys = env.SystemRoot ?? 'C:\\Windows';
    return [join(sys, 'System32'), join(sys, 'SysWOW64')];
  }
  if (platform === 'darwin') return ['/usr/local/lib', '/opt/homebrew/lib', '/Library/Frameworks'];
  return ['/usr/lib', '/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/local/lib', '/usr/lib/pkcs11'];
}

export interface DiscoveryOptions {
  /** --module PATH arguments: used alone when given. */
  explicit?: string[];
  /** From the user or enterprise configuration. */
  configured?: string[];
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  driverList?: DriverList;
  exists?: (p: string) => boolean;
}

export function discoverModules(opts: DiscoveryOptions = {}): ModuleCandidate[] {
  const env = opts.env ?? process.env;
  const exists = opts.exists ?? existsSync;
  if (opts.explicit && opts.explicit.length > 0) {
    return opts.explicit.map((path) => ({ path, vendor: '', source: 'argument' as const }));
  }
  const out: ModuleCandidate[] = [];
  const seen = new Set<string>();
  // The same library is often reachable by two paths (a symlink in pkcs11/); load it once.
  const canonical = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  };
  const add = (c: ModuleCandidate): void => {
    const key = canonical(c.path);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(c);
    }
  };
  for (const p of (env.KYSO_PKCS11_MODULE ?? '').split(process.platform === 'win32' ? ';' : ':').filter(Boolean)) {
    add({ path: p, vendor: '', source: 'environment' });
  }
  for (const p of opts.configured ?? []) add({ path: p, vendor: '', source: 'configured' });

  const platform = opts.platform ?? process.platform;
  const key = platform === 'win32' ? 'win32' : platform === 'darwin' ? 'darwin' : 'linux';
  const dirs = libraryDirs(platform, env);
  for (const d of (opts.driverList ?? loadDriverList()).drivers) {
    for (const name of d[key]) {
      const paths = isAbsolute(name) || /^[A-Za-z]:\\/.test(name) ? [name] : dirs.map((dir) => join(dir, name));
      for (const p of paths) if (exists(p)) add({ path: p, vendor: d.vendor, source: 'driver-list' });
    }
  }
  return out;
}
