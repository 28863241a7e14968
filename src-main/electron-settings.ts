/**
 * The user's settings in the Electron app: electron-store over the same settings.json in the
 * data folder that the command line and browser mode read (one file, one format), behind the
 * core SettingsBackend interface. electron-store (through conf and atomically) writes a temp
 * file, fsyncs it and renames it over the old one, retrying when Windows anti-virus holds the
 * file; this adapter adds the fsync of the directory, which atomically leaves out, so a rename
 * that returned also survives a power cut. The merge with the IT department's preset and the
 * locked keys stay in src-core (config/settings-store.ts), tested without Electron.
 *
 * Nothing here imports electron: main.ts constructs the store and passes it in, and the unit
 * test passes a `conf` instance — the class electron-store extends — since Electron cannot run
 * on the build machines.
 */
import { dirname } from 'node:path';
import { serializeSettings, type SettingsBackend } from '../src-core/config/settings-backend.js';
import { fsyncDir } from '../src-core/sync/atomic-fs.js';

/** The part of electron-store (and of conf under it) this adapter uses. */
export interface StoreLike {
  readonly path: string;
  store: Record<string, unknown>;
}

/** Options for `new ElectronStore(…)`: the file is <dataDir>/settings.json, mode 0600. */
export function electronStoreOptions(dataDir: string) {
  return {
    name: 'settings',
    cwd: dataDir,
    fileExtension: 'json',
    // A damaged file reads as empty (the defaults apply field by field) instead of stopping the
    // app; it is replaced on the next save, not at start.
    clearInvalidConfig: true,
    accessPropertiesByDotNotation: false,
    watch: false,
    configFileMode: 0o600,
    serialize: (v: Record<string, unknown>) => serializeSettings(v),
  };
}

export class ElectronStoreBackend implements SettingsBackend {
  constructor(private readonly store: StoreLike) {}

  get location(): string {
    return this.store.path;
  }

  read(): unknown {
    try {
      return this.store.store;
    } catch {
      // Unreadable (permissions): the defaults apply; the next save reports the error.
      return undefined;
    }
  }

  async write(value: Record<string, unknown>): Promise<void> {
    this.store.store = value;
    await fsyncDir(dirname(this.store.path));
  }
}
