/**
 * Where the refresh token lives. The engine only sees this interface: the CLI uses a file
 * readable by the user alone (0600, written atomically); the desktop service keeps it in memory
 * (browser mode) or in the OS keychain through safeStorage (the Electron app,
 * src-main/safe-storage-secrets.ts). Values never reach a log.
 */
import { chmod, readFile, stat } from 'node:fs/promises';
import type { SecretStorageKind } from '../../src-shared/api/ui-types.js';
import { writeFileAtomic } from './atomic-fs.js';

export interface SecretStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

/** A store that says where it keeps the secrets (shown in Settings, written to the log). */
export interface DescribedSecretStore extends SecretStore {
  readonly storage: SecretStorageKind;
}

export class MemorySecretStore implements DescribedSecretStore {
  readonly storage: SecretStorageKind = 'memory';
  private readonly map = new Map<string, string>();
  async get(key: string): Promise<string | null> {
    return this.map.get(key) ?? null;
  }
  async set(key: string, value: string): Promise<void> {
    this.map.set(key, value);
  }
  async delete(key: string): Promise<void> {
    this.map.delete(key);
  }
}

/**
 * A JSON map in one file, mode 0600. On POSIX a file that others can read is tightened before
 * use (a copied data directory can lose its modes). Windows ignores the mode bits: there the
 * file relies on the profile folder's ACL, which is why the app uses safeStorage instead.
 */
export class FileSecretStore implements DescribedSecretStore {
  readonly storage: SecretStorageKind = 'file';
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {}

  private async readAll(): Promise<Record<string, string>> {
    let text: string;
    try {
      if (process.platform !== 'win32') {
        const st = await stat(this.path);
        if ((st.mode & 0o077) !== 0) await chmod(this.path, 0o600);
      }
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw e;
    }
    try {
      const v = JSON.parse(text) as unknown;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
      const out: Record<string, string> = {};
      for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
      return out;
    } catch {
      // A damaged secrets file costs a new login, nothing more.
      return {};
    }
  }

  /** Read-modify-write calls run one after another. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  get(key: string): Promise<string | null> {
    return this.serial(async () => (await this.readAll())[key] ?? null);
  }

  set(key: string, value: string): Promise<void> {
    return this.serial(async () => {
      const all = await this.readAll();
      all[key] = value;
      await writeFileAtomic(this.path, `${JSON.stringify(all)}\n`, 0o600);
    });
  }

  delete(key: string): Promise<void> {
    return this.serial(async () => {
      const all = await this.readAll();
      if (!(key in all)) return;
      const rest = Object.fromEntries(Object.entries(all).filter(([k]) => k !== key));
      await writeFileAtomic(this.path, `${JSON.stringify(rest)}\n`, 0o600);
    });
  }
}
