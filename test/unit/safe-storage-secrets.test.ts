// The refresh-token store of the Electron app (src-main/safe-storage-secrets.ts). Electron cannot
// run on these build machines, so `safeStorage` is a STAND-IN here: an AES-GCM object with the
// same three methods (and the Linux backend name). What is tested is our logic around it — only
// ciphertext reaches the disk, and with no real keychain nothing reaches the disk at all (memory
// only, said in the log and reported as "keychain-unavailable") — not Electron's encryption.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafeStorageSecretStore, type SafeStorageLike } from '../../src-main/safe-storage-secrets.js';
import type { LogSink } from '../../src-core/log/logger.js';

const TOKEN = 'krt_SbCk0u4tVmXq2b9yq3Yc8f1n0aLr5pZ7wEoHiJkLmNo';

class FakeSafeStorage implements SafeStorageLike {
  available = true;
  backend = 'gnome_libsecret';
  private readonly key = randomBytes(32);
  isEncryptionAvailable(): boolean {
    return this.available;
  }
  getSelectedStorageBackend(): string {
    return this.backend;
  }
  encryptString(s: string): Buffer {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([c.update(s, 'utf8'), c.final()]);
    return Buffer.concat([Buffer.from('v10'), iv, c.getAuthTag(), body]);
  }
  decryptString(b: Buffer): string {
    const iv = b.subarray(3, 15);
    const d = createDecipheriv('aes-256-gcm', this.key, iv);
    d.setAuthTag(b.subarray(15, 31));
    return Buffer.concat([d.update(b.subarray(31)), d.final()]).toString('utf8');
  }
}

function collector(): LogSink & { lines: Array<[string, Record<string, unknown>]> } {
  const lines: Array<[string, Record<string, unknown>]> = [];
  const push = (e: string, d: Record<string, unknown> = {}): void => void lines.push([e, d]);
  return { lines, debug: push, info: push, warn: push, error: push };
}

/** Every byte under a folder, as one string (latin1 keeps any byte sequence searchable). */
function everything(dir: string): string {
  if (!existsSync(dir)) return '';
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => readFileSync(join(d.parentPath, d.name)).toString('latin1'))
    .join('\n');
}

test('with a keychain: only ciphertext on disk (0600), readable again after a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kyso-safe-'));
  const safe = new FakeSafeStorage();
  const path = join(dir, 'sync-engine', 'secrets.safe.json');
  const log = collector();
  const s = new SafeStorageSecretStore(path, safe, log, 'linux');
  assert.equal(s.storage, 'os-keychain');
  await s.set('refresh-token http://127.0.0.1:1', TOKEN);
  assert.ok(existsSync(path));
  if (process.platform !== 'win32') assert.equal(statSync(path).mode & 0o777, 0o600);
  const disk = everything(dir);
  assert.ok(!disk.includes(TOKEN), 'the token is not on disk in plain text');
  assert.ok(!disk.includes(Buffer.from(TOKEN).toString('base64')), 'nor merely base64-encoded');
  // A new process (same keychain) reads it back; a deleted key is gone from the file too.
  const again = new SafeStorageSecretStore(path, safe, log, 'linux');
  assert.equal(await again.get('refresh-token http://127.0.0.1:1'), TOKEN);
  await again.delete('refresh-token http://127.0.0.1:1');
  assert.equal(
    await new SafeStorageSecretStore(path, safe, log, 'linux').get('refresh-token http://127.0.0.1:1'),
    null,
  );
  assert.deepEqual(log.lines, []);
});

test('no keychain: memory only, nothing written, said once in the log', async () => {
  for (const [why, tweak, platform] of [
    ['encryption unavailable', (f: FakeSafeStorage) => void (f.available = false), 'win32'],
    ['Linux basic_text (a hard-coded key)', (f: FakeSafeStorage) => void (f.backend = 'basic_text'), 'linux'],
  ] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'kyso-safe-'));
    const safe = new FakeSafeStorage();
    tweak(safe);
    const log = collector();
    const path = join(dir, 'sync-engine', 'secrets.safe.json');
    const s = new SafeStorageSecretStore(path, safe, log, platform);
    assert.equal(s.storage, 'keychain-unavailable', why);
    await s.set('k', TOKEN);
    await s.set('k2', `${TOKEN}-2`);
    assert.equal(await s.get('k'), TOKEN, 'the session works while the app runs');
    assert.equal(everything(dir), '', `${why}: nothing on disk at all`);
    assert.equal(log.lines.filter(([e]) => e === 'secrets.memoryOnly').length, 1, 'one warning, not one per write');
    assert.ok(!JSON.stringify(log.lines).includes(TOKEN));
    assert.equal(await new SafeStorageSecretStore(path, safe, log, platform).get('k'), null, 'gone after a restart');
  }
});

test('an "encryption" that returns the plain text is refused; an old encrypted value does not come back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kyso-safe-'));
  const safe = new FakeSafeStorage();
  const path = join(dir, 'secrets.safe.json');
  const log = collector();
  const s = new SafeStorageSecretStore(path, safe, log, 'darwin');
  await s.set('k', 'old-token-value-123');
  const broken = Object.assign(Object.create(safe) as FakeSafeStorage, {
    encryptString: (v: string) => Buffer.from(`v10${v}`),
  });
  const b = new SafeStorageSecretStore(path, broken, log, 'darwin');
  await b.set('k', TOKEN);
  assert.ok(!everything(dir).includes(TOKEN));
  assert.equal(b.storage, 'keychain-unavailable');
  assert.equal(await b.get('k'), TOKEN);
  assert.equal(
    await new SafeStorageSecretStore(path, safe, log, 'darwin').get('k'),
    null,
    'the earlier token was dropped from the file, not left to resurface',
  );
  assert.equal(log.lines.filter(([e]) => e === 'secrets.memoryOnly').length, 1);
});

test('a value from another keychain (copied profile) is a new login, not a crash', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kyso-safe-'));
  const path = join(dir, 'secrets.safe.json');
  await new SafeStorageSecretStore(path, new FakeSafeStorage(), collector(), 'win32').set('k', TOKEN);
  const log = collector();
  assert.equal(await new SafeStorageSecretStore(path, new FakeSafeStorage(), log, 'win32').get('k'), null);
  assert.deepEqual(
    log.lines.map(([e]) => e),
    ['secrets.undecryptable'],
  );
});
