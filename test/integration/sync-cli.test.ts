// `kyso sync` and `kyso queue` in-process (runCli) against the real reference server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runCli } from '../../src-core/cli/main.js';
import { FileSecretStore } from '../../src-core/sync/secret-store.js';
import { passwordOf } from '../helpers/server-harness.js';
import { startSyncWorld, type SyncWorld } from '../helpers/sync-world.js';

let w: SyncWorld;
before(async () => {
  w = await startSyncWorld();
});
after(async () => {
  await w?.close();
});

function sink(): { stream: Writable; text: () => string } {
  let buf = '';
  return {
    stream: new Writable({
      write(chunk: Buffer, _enc, cb) {
        buf += chunk.toString();
        cb();
      },
    }),
    text: () => buf,
  };
}

async function kyso(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  const out = sink();
  const err = sink();
  const code = await runCli(argv, { locale: 'en', stdout: out.stream, stderr: err.stream, env });
  return { code, out: out.text(), err: err.text() };
}

test('kyso sync logs in from the environment, keeps a 0600 session, and kyso queue shows the result', async () => {
  const doc = await w.h.createDoc({ title: 'Công văn về việc đồng bộ thử', steps: [[['duc', 'approval']]] });
  const dataDir = await w.dataDir('cli');
  const env = {
    KYSO_DATA_DIR: dataDir,
    KYSO_USER: 'duc',
    KYSO_PASSWORD_ENV: 'KYSO_TEST_PW',
    KYSO_TEST_PW: passwordOf('duc'),
  };
  const r = await kyso(['sync', '--server', w.proxy.url], env);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /Received \d+ change/);
  assert.match(r.err, /Synced\./);
  const secrets = join(dataDir, 'secrets.json');
  assert.equal((await stat(secrets)).mode & 0o777, 0o600);
  const stored = await readFile(secrets, 'utf8');
  assert.ok(!stored.includes(passwordOf('duc')), 'the password is never stored');
  assert.ok(!r.err.includes(JSON.parse(stored)[`refresh-token ${w.proxy.url}`] as string), 'no token on stderr');

  // Next time: no password in the environment, the stored session (rotated) is enough.
  const again = await kyso(['sync'], { KYSO_DATA_DIR: dataDir });
  assert.equal(again.code, 0, again.err);
  assert.notEqual(await readFile(secrets, 'utf8'), stored, 'the refresh token rotated');

  const q = await kyso(['queue', '--json'], { KYSO_DATA_DIR: dataDir });
  assert.equal(q.code, 0);
  const snap = JSON.parse(q.out) as {
    account: { username: string };
    items: { documentId: string; localState: string; contentAvailable: boolean }[];
  };
  assert.equal(snap.account.username, 'duc');
  const item = snap.items.find((i) => i.documentId === doc.id)!;
  assert.equal(item.localState, 'open');
  assert.equal(item.contentAvailable, true);
  const text = await kyso(['queue'], { KYSO_DATA_DIR: dataDir });
  assert.match(text.out, /Công văn về việc đồng bộ thử/);
  assert.match(text.out, /\[to sign\]/);
});

test('kyso sync exit codes: unreachable 69, no credentials 77, no server 64, conflict 2', async () => {
  const fresh = await w.dataDir('cli-codes');
  assert.equal((await kyso(['sync'], { KYSO_DATA_DIR: fresh })).code, 64);
  const noCreds = await kyso(['sync', '--server', w.proxy.url], { KYSO_DATA_DIR: fresh });
  assert.equal(noCreds.code, 77);
  assert.match(noCreds.err, /KYSO_USER/);

  const dataDir = await w.dataDir('cli-conflict');
  const env = { KYSO_DATA_DIR: dataDir, KYSO_USER: 'duc', KYSO_PASSWORD_ENV: 'PW', PW: passwordOf('duc') };
  const doc = await w.h.createDoc({ steps: [[['duc', 'approval']]], createdBy: 'huong' });
  assert.equal((await kyso(['sync', '--server', w.proxy.url], env)).code, 0);
  w.proxy.setDown(true);
  try {
    const down = await kyso(['sync'], env);
    assert.equal(down.code, 69);
    assert.match(down.err, /Cannot reach the server/);
    // Sign offline through the engine (what the app does), then let the CLI find the conflict.
    const e = await w.engine('duc', {
      dataDir,
      secrets: new FileSecretStore(join(dataDir, 'secrets.json')),
    });
    const id = (await e.listQueue()).find((i) => i.documentId === doc.id)!.id;
    await e.sign({ assignmentId: id, signer: w.ducSigner });
    await e.close();
  } finally {
    w.proxy.setDown(false);
  }
  const huong = await w.h.login('huong');
  await w.h.http('POST', `/api/v1/documents/${doc.id}/recall`, { token: huong, body: { reason: 'Ban hành nhầm' } });
  const c = await kyso(['sync'], env);
  assert.equal(c.code, 2, c.err);
  assert.match(c.err, /Conflict: .*DOCUMENT_RECALLED \(Ban hành nhầm\)/);
  const q = JSON.parse((await kyso(['queue', '--json'], env)).out) as { counts: { conflicts: number } };
  assert.equal(q.counts.conflicts, 1);
});

test('kyso sync --json reports the round and the journal; a forked journal exits 2 with the reason', async () => {
  const [d1, d2, d3] = await Promise.all(
    [1, 2, 3].map((i) => w.h.createDoc({ title: `Nhật ký ${i}`, steps: [[['duc', 'approval']]] })),
  );
  const dirA = await w.dataDir('cli-journal-a');
  const env = (dataDir: string): NodeJS.ProcessEnv => ({
    KYSO_DATA_DIR: dataDir,
    KYSO_SERVER_URL: w.proxy.url,
    KYSO_USER: 'duc',
    KYSO_PASSWORD_ENV: 'PW',
    PW: passwordOf('duc'),
  });
  const signIn = async (dataDir: string, docId: string): Promise<void> => {
    const e = await w.engine('duc', { dataDir });
    await e.syncNow();
    const id = (await e.listQueue()).find((i) => i.documentId === docId)!.id;
    await e.sign({ assignmentId: id, signer: w.ducSigner });
    await e.close();
  };
  type Round = {
    ok: boolean;
    summary: string;
    uploaded: number;
    journal: { state: string; pushed: number; unsent: number; entries: number; deviceId: string | null };
    error: { code: string; message: string } | null;
  };
  await signIn(dirA, d1!.id);
  const first = await kyso(['sync', '--json'], env(dirA));
  assert.equal(first.code, 0, first.err);
  const r1 = JSON.parse(first.out) as Round;
  assert.equal(r1.ok, true);
  assert.equal(r1.uploaded, 1);
  assert.ok(r1.journal.pushed > 0 && r1.journal.pushed === r1.journal.entries, JSON.stringify(r1.journal));
  assert.deepEqual([r1.journal.state, r1.journal.unsent], ['ok', 0]);
  const onServer = await w.serverJournal(r1.journal.deviceId!);
  assert.equal(onServer.entries.length, r1.journal.entries);

  // A copied data folder with a future of its own: the server refuses its journal.
  const dirB = await w.dataDir('cli-journal-b');
  await cp(dirA, dirB, { recursive: true });
  await rm(join(dirB, 'secrets.json'), { force: true });
  await signIn(dirA, d2!.id);
  assert.equal((await kyso(['sync'], env(dirA))).code, 0);
  await signIn(dirB, d3!.id);
  const forked = await kyso(['sync', '--json'], env(dirB));
  assert.equal(forked.code, 2, forked.err);
  const r2 = JSON.parse(forked.out) as Round;
  assert.equal(r2.uploaded, 1, 'the signed document itself still goes up');
  assert.equal(r2.journal.state, 'fork');
  assert.equal(r2.summary, 'error');
  assert.doesNotMatch(forked.err, /Synced\./);
  assert.match(forked.err, /The signature journal on this computer differs from the server's copy \(entry \d+\)/);
  assert.match(forked.err, /nothing is lost\. Contact your IT department/);
});

test('sync and queue answer --help as available', async () => {
  for (const cmd of ['sync', 'queue']) {
    const r = await kyso([cmd, '--help'], {});
    assert.equal(r.code, 0);
    assert.doesNotMatch(r.out, /not yet/);
  }
});
