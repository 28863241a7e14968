// Local pieces of the sync client without a server: store schema and migrations, recovery of a
// half-done signing, the blob store's naming, the secrets file, backoff, proxies, data folders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { backoffDelay } from '../../src-core/sync/backoff.js';
import { LocalBlobStore } from '../../src-core/sync/blob-store.js';
import { defaultDataDir } from '../../src-core/sync/data-dir.js';
import { LocalStore } from '../../src-core/sync/local-store.js';
import { bypassesProxy, createSyncFetch, proxyFor, redactProxy } from '../../src-core/sync/proxy.js';
import { FileSecretStore } from '../../src-core/sync/secret-store.js';
import { SCHEMA_VERSION } from '../../src-core/sync/store-schema.js';
import { SyncEngine } from '../../src-core/sync/sync-engine.js';
import { MemorySecretStore } from '../../src-core/sync/secret-store.js';

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'kyso-sync-unit-'));
}

test('a new store is created at the current schema; a newer one is refused', async () => {
  const dir = await tmp();
  try {
    const s = LocalStore.open(dir);
    assert.equal(s.schemaVersion, SCHEMA_VERSION);
    assert.equal(s.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(s.db.pragma('synchronous', { simple: true }), 2, 'synchronous = FULL');
    s.close();
    const raw = new Database(LocalStore.fileIn(dir));
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    assert.throws(
      () => LocalStore.open(dir),
      (e: Error & { code?: string }) => e.code === 'STORE_CORRUPT',
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('recovery: an interrupted signing is rolled back and journalled, staged and temp files go, orphans are collected', async () => {
  const dir = await tmp();
  try {
    const s = LocalStore.open(dir);
    s.setSetting('account', { serverUrl: 'http://127.0.0.1:1', userId: 7, username: 'duc', fullName: 'Đức' });
    s.insertSigning(
      {
        id: 'abc',
        assignmentId: 1,
        documentId: 'doc-1',
        userId: 7,
        serverUrl: 'http://127.0.0.1:1',
        baseVersion: 1,
        baseSha256: 'ab'.repeat(32),
        level: 'B-B',
        idempotencyKey: 'kyso-abc',
        signerCertSha256: null,
        signerSubject: null,
      },
      1,
    );
    // A second live signature of the same task is refused by the database itself.
    assert.throws(() =>
      s.insertSigning(
        {
          id: 'abd',
          assignmentId: 1,
          documentId: 'doc-1',
          userId: 7,
          serverUrl: 'x',
          baseVersion: 1,
          baseSha256: 'ab'.repeat(32),
          level: 'B-B',
          idempotencyKey: 'kyso-abd',
          signerCertSha256: null,
          signerSubject: null,
        },
        1,
      ),
    );
    s.close();
    await mkdir(join(dir, 'staging'), { recursive: true });
    await writeFile(join(dir, 'staging', 'abc.pdf'), '%PDF-1.7 complete but never recorded');
    const blobs = new LocalBlobStore(join(dir, 'blobs'));
    await blobs.init();
    await writeFile(join(blobs.tmpDir, 'half'), 'half-written');
    const orphan = await blobs.putBuffer(Buffer.from('%PDF-1.4 orphan'));

    const e = await SyncEngine.open({ dataDir: dir, secrets: new MemorySecretStore() });
    try {
      assert.deepEqual(
        { ...e.recovery!, blobsCollected: e.recovery!.blobsCollected >= 1 },
        { stagingRemoved: 1, tempRemoved: 1, interrupted: 1, requeued: 0, damaged: 0, blobsCollected: true },
      );
      assert.equal(e.store.getOutbox('abc')!.state, 'abandoned');
      assert.deepEqual(await readdir(join(dir, 'staging')), []);
      assert.equal(await e.blobs.has(orphan.sha256), false);
      const j = e.exportJournal();
      assert.equal((j.entries[0] as { event: string }).event, 'interrupted');
      assert.equal(j.verification.ok, true);
      // The task can be signed again: the abandoned row is not live.
      assert.equal(e.store.liveEntryFor(1), undefined);
    } finally {
      await e.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('blob store: files are named by their hash; a wrong expected hash is refused and removed', async () => {
  const dir = await tmp();
  try {
    const b = new LocalBlobStore(join(dir, 'blobs'));
    await b.init();
    const a = await b.putBuffer(Buffer.from('một văn bản'));
    assert.equal(await b.verify(a.sha256), true);
    assert.deepEqual(await b.list(), [a.sha256]);
    const again = await b.putBuffer(Buffer.from('một văn bản'));
    assert.equal(again.sha256, a.sha256);
    const p = join(b.tmpDir, 'x');
    await writeFile(p, 'other bytes');
    await assert.rejects(b.adoptFile(p, a.sha256), /does not match/);
    await assert.rejects(stat(p));
    assert.throws(() => b.pathOf('../../etc/passwd'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('secrets file: 0600, atomic, tightened when found readable by others, tolerant of damage', async () => {
  const dir = await tmp();
  try {
    const path = join(dir, 'secrets.json');
    const s = new FileSecretStore(path);
    assert.equal(await s.get('k'), null);
    await s.set('k', 'v1');
    await s.set('k2', 'v2');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal(await s.get('k'), 'v1');
    const { chmod } = await import('node:fs/promises');
    await chmod(path, 0o644);
    assert.equal(await s.get('k2'), 'v2');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    await s.delete('k');
    assert.equal(await s.get('k'), null);
    await writeFile(path, '{not json');
    assert.equal(await s.get('k2'), null);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('backoff: exponential, capped, jittered within [half, full]', () => {
  const p = { baseMs: 1000, maxMs: 60_000 };
  assert.equal(
    backoffDelay(0, p, () => 0),
    500,
  );
  assert.equal(
    backoffDelay(0, p, () => 1),
    1000,
  );
  assert.equal(
    backoffDelay(3, p, () => 1),
    8000,
  );
  assert.equal(
    backoffDelay(20, p, () => 1),
    60_000,
  );
  assert.equal(
    backoffDelay(20, p, () => 0),
    30_000,
  );
  for (let i = 0; i < 100; i++) {
    const d = backoffDelay(4, p);
    assert.ok(d >= 8000 && d <= 16_000);
  }
});

test('proxies: environment, NO_PROXY, redaction, and what happens without a proxy library', async () => {
  const env = {
    HTTPS_PROXY: 'http://user:secret@proxy.bo.gov.vn:3128',
    http_proxy: 'http://p:8080',
    NO_PROXY: 'localhost,.noi-bo.vn,10.0.0.5:8787',
  };
  assert.equal(proxyFor('https://dms.bo.gov.vn/', env).url, 'http://user:secret@proxy.bo.gov.vn:3128');
  assert.equal(proxyFor('http://dms.bo.gov.vn/', env).url, 'http://p:8080');
  assert.equal(proxyFor('https://ky.noi-bo.vn/', env).url, null);
  assert.equal(proxyFor('http://localhost:8787/', env).url, null);
  assert.equal(proxyFor('http://10.0.0.5:8787/', env).url, null);
  assert.equal(proxyFor('http://10.0.0.5:9999/', env).url, 'http://p:8080');
  assert.equal(bypassesProxy(new URL('http://a.b/'), '*'), true);
  assert.ok(!redactProxy(env.HTTPS_PROXY).includes('secret'));
  assert.equal((await createSyncFetch('https://dms.bo.gov.vn/', {})).mode, 'direct');
  const f = await createSyncFetch('https://dms.bo.gov.vn/', { HTTPS_PROXY: 'http://127.0.0.1:9' });
  // 'proxy' when the optional undici package resolves, 'proxy-unsupported' otherwise: never silent.
  assert.ok(f.mode === 'proxy' || f.mode === 'proxy-unsupported');
  assert.equal(f.proxy, 'http://127.0.0.1:9/');
});

test('default data folder per OS, KYSO_DATA_DIR first', () => {
  assert.equal(defaultDataDir({ KYSO_DATA_DIR: '/x' }, 'linux', '/home/a'), '/x');
  assert.equal(defaultDataDir({}, 'linux', '/home/a'), '/home/a/.local/share/kyso');
  assert.equal(defaultDataDir({ XDG_DATA_HOME: '/d' }, 'linux', '/home/a'), '/d/kyso');
  assert.equal(defaultDataDir({}, 'darwin', '/Users/a'), '/Users/a/Library/Application Support/Kyso');
  assert.equal(
    defaultDataDir({ APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'win32', 'C:\\Users\\a').endsWith('Kyso'),
    true,
  );
});
