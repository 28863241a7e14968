/**
 * The refresh token in the Electron app: encrypted with Electron's safeStorage (DPAPI on
 * Windows, the Keychain on macOS, libsecret/KWallet on Linux) and only the ciphertext written,
 * atomically and 0600, to <data folder>/sync-engine/secrets.safe.json.
 *
 * Where the OS offers no real keychain — safeStorage.isEncryptionAvailable() is false, or on
 * Linux the backend is "basic_text" (a hard-coded key, i.e. plain text in disguise) — nothing is
 * written: the token is kept in memory until the app closes, the log says so once, and the
 * Settings screen says so (storage "keychain-unavailable"). The same happens if an encryption
 * ever returns the plain text inside its output.
 *
 * Nothing here imports electron: main.ts passes `safeStorage` in; the unit test passes a
 * stand-in, since Electron cannot run on the build machines.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SecretStorageKind } from '../src-shared/api/ui-types.js';
import type { LogSink } from '../src-core/log/logger.js';
import { writeFileAtomic } from '../src-core/sync/atomic-fs.js';
import type { DescribedSecretStore } from '../src-core/sync/secret-store.js';

/** The part of Electron's safeStorage used here. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only in Electron; absent elsewhere. */
  getSelectedStorageBackend?(): string;
}

export const SAFE_SECRETS_FILE = 'secrets.safe.json';

interface FileShape {
  format: 1;
  /** key → base64 of safeStorage ciphertext */
  entries: Record<string, string>;
}

export class SafeStorageSecretStore implements DescribedSecretStore {
  private readonly memory = new Map<string, string>();
  private chain: Promise<unknown> = Promise.resolve();
  private warned = false;
  private refusedByCheck = false;

  constructor(
    readonly path: string,
    private readonly safe: SafeStorageLike,
    private readonly log: LogSink,
    private readonly platform: NodeJS.Platform = process.platform,
  ) {}

  /** Whether the OS keychain protects what we write (asked each time: a keyring can unlock later). */
  private keychain(): boolean {
    if (this.refusedByCheck) return false;
    let available = false;
    try {
      available = this.safe.isEncryptionAvailable();
    } catch {
      available = false;
    }
    if (!available) return false;
    if (this.platform === 'linux') {
      const backend = this.safe.getSelectedStorageBackend?.() ?? 'unknown';
      if (backend === 'basic_text' || backend === 'unknown') return false;
    }
    return true;
  }

  get storage(): SecretStorageKind {
    return this.keychain() ? 'os-keychain' : 'keychain-unavailable';
  }

  private memoryOnly(reason: string): void {
    if (this.warned) return;
    this.warned = true;
    this.log.warn('secrets.memoryOnly', {
      reason,
      backend: this.platform === 'linux' ? (this.safe.getSelectedStorageBackend?.() ?? 'unknown') : null,
    });
  }

  private readFile(): FileShape {
    try {
      const v = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<FileShape>;
      if (v.format === 1 && v.entries && typeof v.entries === 'object') return { format: 1, entries: { ...v.entries } };
    } catch {
      // none yet, or damaged: a damaged store costs a new login
    }
    return { format: 1, entries: {} };
  }

  private async writeFile(f: FileShape): Promise<void> {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.path, `${JSON.stringify(f)}\n`, 0o600);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  get(key: string): Promise<string | null> {
    return this.serial(async () => {
      const held = this.memory.get(key);
      if (held !== undefined) return held;
      if (!this.keychain()) return null;
      const enc = this.readFile().entries[key];
      if (enc === undefined) return null;
      try {
        return this.safe.decryptString(Buffer.from(enc, 'base64'));
      } catch {
        // Another user's or another machine's keychain (a copied profile): sign in again.
        this.log.warn('secrets.undecryptable', {});
        return null;
      }
    });
  }

  set(key: string, value: string): Promise<void> {
    return this.serial(async () => {
      if (this.keychain()) {
        let enc: Buffer | null = null;
        try {
          enc = this.safe.encryptString(value);
        } catch {
          enc = null;
        }
        if (enc && !enc.includes(Buffer.from(value, 'utf8'))) {
          const f = this.readFile();
          f.entries[key] = enc.toString('base64');
          await this.writeFile(f);
          this.memory.delete(key);
          return;
        }
        if (enc) this.refusedByCheck = true; // "encrypted" output that contains the plain text
        this.memoryOnly(enc ? 'encryption returned the plain text' : 'encryption failed');
      } else {
        this.memoryOnly('no OS keychain');
      }
      this.memory.set(key, value);
      // An older encrypted value for this key must not come back after a restart.
      await this.dropFromFile(key);
    });
  }

  delete(key: string): Promise<void> {
    return this.serial(async () => {
      this.memory.delete(key);
      await this.dropFromFile(key);
    });
  }

  private async dropFromFile(key: string): Promise<void> {
    const f = this.readFile();
    if (!(key in f.entries)) return;
    await this.writeFile({
      format: 1,
      entries: Object.fromEntries(Object.entries(f.entries).filter(([k]) => k !== key)),
    });
  }
}
