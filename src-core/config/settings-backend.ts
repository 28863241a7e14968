/**
 * Where the user's own settings are kept. The store (settings-store.ts) only sees this
 * interface: the file backend below serves the CLI, browser mode and the tests; the Electron
 * main process passes an electron-store adapter (src-main/electron-settings.ts) over the same
 * file. Either way a write is crash-safe: temp file, fsync, rename, fsync of the directory —
 * after a crash the file holds the old or the new settings, never a mix.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from '../sync/atomic-fs.js';

export interface SettingsBackend {
  /** For diagnostics and `kyso settings`. */
  readonly location: string;
  /** The stored object as last written (not yet validated); undefined when there is none or it is unreadable. */
  read(): unknown;
  /** Replaces the stored object; resolves once it is durable. */
  write(value: Record<string, unknown>): Promise<void>;
}

export const SETTINGS_FILE = 'settings.json';

export const serializeSettings = (value: Record<string, unknown>): string => `${JSON.stringify(value, null, 2)}\n`;

export class FileSettingsBackend implements SettingsBackend {
  constructor(readonly location: string) {
    removeStaleTemps(location);
  }

  read(): unknown {
    let text: string;
    try {
      text = readFileSync(this.location, 'utf8');
    } catch {
      return undefined;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // A damaged file falls back to the defaults; it is replaced on the next save.
      return undefined;
    }
  }

  write(value: Record<string, unknown>): Promise<void> {
    mkdirSync(dirname(this.location), { recursive: true, mode: 0o700 });
    return writeFileAtomic(this.location, serializeSettings(value));
  }
}

/**
 * Temp files of writes that a crash interrupted (".settings.json.<pid>-<random>.tmp"). Only old
 * ones: a second process sharing the folder may be between its write and its rename.
 */
export function removeStaleTemps(target: string, olderThanMs = 60_000): void {
  const dir = dirname(target);
  const prefix = `.${basename(target)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (n.startsWith(prefix) && n.endsWith('.tmp')) {
      try {
        const p = join(dir, n);
        if (Date.now() - statSync(p).mtimeMs >= olderThanMs) unlinkSync(p);
      } catch {
        // gone already, or not ours to remove: harmless either way
      }
    }
  }
}
