/**
 * Settings as the app sees them: defaults, then the enterprise preset an IT department places
 * on the machine (per-OS path, or KYSO_ENTERPRISE_CONFIG), then the user's own choices — except
 * for keys the preset locks, which the user cannot change from the UI or the settings file.
 * User settings are written atomically (temp, fsync, rename, fsync dir) so a crash never leaves
 * a half-written file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname, win32 } from 'node:path';
import { z } from 'zod';
import { KysoError } from '../../src-shared/errors.js';
import { DEFAULT_SETTINGS, SettingsSchema, type SettingKey, type Settings } from './settings-schema.js';

const EnterpriseFile = z
  .object({
    version: z.literal(1),
    settings: SettingsSchema.default({}),
    /** Keys the user may not change. */
    locked: z.array(z.string()).default([]),
  })
  .strict();

export function enterpriseConfigPath(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (env.KYSO_ENTERPRISE_CONFIG) return env.KYSO_ENTERPRISE_CONFIG;
  if (platform === 'win32') return win32.join(env.ProgramData ?? 'C:\\ProgramData', 'Kyso', 'enterprise.json');
  if (platform === 'darwin') return '/Library/Application Support/Kyso/enterprise.json';
  return '/etc/kyso/enterprise.json';
}

export interface EffectiveSettings {
  values: Settings;
  locked: ReadonlySet<SettingKey>;
  /** Where each value came from. */
  source: Partial<Record<SettingKey, 'default' | 'enterprise' | 'user'>>;
}

export interface LoadedEnterprise {
  settings: Settings;
  locked: Set<SettingKey>;
}

export function loadEnterprise(path: string): LoadedEnterprise {
  if (!existsSync(path)) return { settings: {}, locked: new Set() };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new KysoError('INPUT_MALFORMED', 'error.inputMalformed', { detail: `${path}: not JSON` });
  }
  const parsed = EnterpriseFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new KysoError('INPUT_MALFORMED', 'error.inputMalformed', {
      detail: `${path}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
    });
  }
  const keys = Object.keys(SettingsSchema.shape) as SettingKey[];
  const locked = new Set<SettingKey>(parsed.data.locked.filter((k): k is SettingKey => (keys as string[]).includes(k)));
  return { settings: parsed.data.settings, locked };
}

export function effectiveSettings(enterprise: LoadedEnterprise, user: Settings): EffectiveSettings {
  const values: Settings = { ...DEFAULT_SETTINGS };
  const source: EffectiveSettings['source'] = {};
  for (const k of Object.keys(DEFAULT_SETTINGS) as SettingKey[]) source[k] = 'default';
  for (const [k, v] of Object.entries(enterprise.settings) as Array<[SettingKey, unknown]>) {
    (values as Record<string, unknown>)[k] = v;
    source[k] = 'enterprise';
  }
  for (const [k, v] of Object.entries(user) as Array<[SettingKey, unknown]>) {
    if (enterprise.locked.has(k)) continue;
    (values as Record<string, unknown>)[k] = v;
    source[k] = 'user';
  }
  return { values, locked: enterprise.locked, source };
}

/** User settings file with atomic writes; refuses changes to locked keys. */
export class SettingsStore {
  private user: Settings;
  constructor(
    readonly userPath: string,
    readonly enterprise: LoadedEnterprise,
  ) {
    this.user = readUser(userPath);
  }

  get effective(): EffectiveSettings {
    return effectiveSettings(this.enterprise, this.user);
  }

  async set(patch: Partial<Settings>): Promise<EffectiveSettings> {
    const locked = (Object.keys(patch) as SettingKey[]).filter((k) => this.enterprise.locked.has(k));
    if (locked.length > 0) throw new KysoError('USAGE', 'config.locked', { keys: locked.join(', ') });
    const next = SettingsSchema.parse({ ...this.user, ...patch });
    await writeAtomic(this.userPath, `${JSON.stringify(next, null, 2)}\n`);
    this.user = next;
    return this.effective;
  }
}

function readUser(path: string): Settings {
  if (!existsSync(path)) return {};
  try {
    const parsed = SettingsSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    // A damaged user file falls back to defaults rather than stopping the app; it is rewritten on the next change.
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

export async function writeAtomic(path: string, data: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  if (process.platform !== 'win32') {
    const d = await open(dirname(path), 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }
}
