// The client sync engine against the real reference server (real signature inspector), with a
// fault proxy playing the network: offline signing, reconnect, recall and version conflicts,
// lost answers, certificate login and refresh rotation, upgrade to a timestamped signature.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { PdfReader } from '../../src-core/pdf/reader.js';
import { listSignatures } from '../../src-core/sign/signature-lookup.js';
import { GENESIS_HASH, verifyJournal } from '../../src-core/sync/audit-journal.js';
import { challengeSignerFrom } from '../../src-core/sync/auth-session.js';
import { MemorySecretStore } from '../../src-core/sync/secret-store.js';
import type { SyncEngine } from '../../src-core/sync/sync-engine.js';
import type { SyncStatus } from '../../src-core/sync/types.js';
import { bindCertificate } from '../../src-server/domain/accounts.js';
import type { AdminJournalEntriesResponse } from '../../src-shared/api/journal-types.js';
import { t } from '../../src-shared/i18n/translate.js';
import { softwareSigner } from '../helpers/software-signer.js';
import { startSyncWorld, type SyncWorld } from '../helpers/sync-world.js';
import { startTsa, type TestTsa } from '../helpers/tsa.js';

let w: SyncWorld;
let tsa: TestTsa;

before(async () => {
  w = await startSyncWorld();
  tsa = await startTsa(w.pki);
});
after(async () => {
  await tsa?.close();
  await w?.close();
});

async function taskFor(e: SyncEngine, documentId: string): Promise<number> {
  const item = (await e.listQueue()).find((i) => i.documentId === documentId);
  assert.ok(item, `document ${documentId} is in the local queue`);
  return item.id;
}

test('online: pull, sign into the outbox, push → one new version; journal intact', async () => {
  const doc = await w.h.createDoc({ steps: [[['duc', 'approval']]] });
  const e = await w.engine('duc');
  const first = await e.syncNow();
  assert.equal(first.ok, true, JSON.stringify(first.error));
  const items = await e.listQueue();
  const item = items.find((i) => i.documentId === doc.id)!;
  assert.equal(item.contentAvailable, true);
  assert.equal(item.assignmentState, 'open');
  const entry = await e.sign({ assignmentId: item.id, signer: w.ducSigner });
  assert.equal(entry.state, 'pending');
  assert.equal(e.status().pending, 1);
  const r = await e.syncNow();
  assert.equal(r.uploaded, 1, JSON.stringify(r));
  assert.deepEqual(await w.versions(doc.id), [1, 2]);
  assert.equal(e.status().summary, 'synced');
  const again = (await e.listQueue()).find((i) => i.documentId === doc.id)!;
  assert.equal(again.assignmentState, 'done');
  assert.equal(again.outbox?.state, 'uploaded');
  const j = e.verifyJournal();
  assert.equal(j.ok, true);
  const events = (e.exportJournal().entries as { event: string }[]).map((x) => x.event);
  assert.deepEqual(events, ['signed', 'uploaded']);
});

test('offline: sign while the server is unreachable → reconnect → exactly one upload', async () => {
  const doc = await w.h.createDoc({ steps: [[['duc', 'approval']]] });
  const e = await w.engine('duc');
  assert.equal((await e.syncNow()).ok, true);
  const id = await taskFor(e, doc.id);

  w.proxy.setDown(true);
  const statuses: SyncStatus[] = [];
  e.events.on('status', (s) => statuses.push(s));
  const off = await e.syncNow();
  assert.equal(off.ok, false);
  assert.equal(off.error?.code, 'OFFLINE');
  assert.equal(e.status().summary, 'offline');
  assert.ok(e.status().offlineSince);

  await e.sign({ assignmentId: id, signer: w.ducSigner });
  assert.equal(e.status().pending, 1);
  const seenBefore = w.proxy.uploadsSeen;
  const stillOff = await e.syncNow();
  assert.equal(stillOff.error?.code, 'OFFLINE');
  assert.equal(w.proxy.uploadsSeen, seenBefore, 'nothing reached the server while offline');

  w.proxy.setDown(false);
  const back = await e.syncNow();
  assert.equal(back.ok, true, JSON.stringify(back.error));
  assert.equal(back.uploaded, 1);
  assert.equal(w.proxy.uploadsSeen, seenBefore + 1, 'exactly one upload request');
  assert.deepEqual(await w.versions(doc.id), [1, 2]);
  assert.equal(await w.idempotencyRows(doc.id), 1);
  assert.equal(e.status().summary, 'synced');
  assert.equal(e.status().offlineSince, null);
  assert.ok(statuses.some((s) => s.summary === 'offline'));
  // Another round uploads nothing more.
  assert.equal((await e.syncNow()).uploaded, 0);
  assert.deepEqual(await w.versions(doc.id), [1, 2]);
});

test('recall while offline → conflict with the server reason, nothing uploaded, local copy kept', async () => {
  const doc = await w.h.createDoc({ steps: [[['duc', 'approval']]], createdBy: 'huong' });
  const e = await w.engine('duc');
  await e.syncNow();
  const id = await taskFor(e, doc.id);
  w.proxy.setDown(true);
  const entry = await e.sign({ assignmentId: id, signer: w.ducSigner });
  const huong = await w.h.login('huong');
  const reason = 'Sai số liệu ở Điều 2, soạn lại';
  const rc = await w.h.http('POST', `/api/v1/documents/${doc.id}/recall`, { token: huong, body: { reason } });
  assert.equal(rc.status, 200);
  const seen = w.proxy.uploadsSeen;
  w.proxy.setDown(false);
  const r = await e.syncNow();
  assert.equal(r.ok, true);
  assert.equal(r.conflicts, 1);
  assert.equal(w.proxy.uploadsSeen, seen, 'a recalled document is not uploaded');
  assert.deepEqual(await w.versions(doc.id), [1]);
  const got = e.store.getOutbox(entry.id)!;
  assert.equal(got.state, 'conflict');
  assert.equal(got.conflict?.code, 'DOCUMENT_RECALLED');
  assert.equal(got.conflict?.reason, reason);
  assert.equal(e.status().summary, 'conflict');
  const copy = await e.signedPath(entry.id);
  assert.ok(copy, 'the signed copy is kept');
  const reader = PdfReader.open(copy);
  assert.equal(listSignatures(reader).length, 1);
  reader.close();
  e.discard(entry.id);
  assert.equal(e.status().conflicts, 0);
  assert.ok(await e.signedPath(entry.id), 'discarding keeps the file');
});

test('recalled between pull and push → the server answers 409 and its problem is kept', async () => {
  const doc = await w.h.createDoc({ steps: [[['duc', 'approval']]], createdBy: 'huong' });
  const huong = await w.h.login('huong');
  const reason = 'Thu hồi theo đề nghị của Vụ Pháp chế';
  let recalled = false;
  const e = await w.engine('duc', {
    // The recall lands while our upload is on its way: only the server can tell.
    fetchImpl: async (input, init) => {
      if (!recalled && init?.method === 'POST' && String(input).endsWith('/signed')) {
        recalled = true;
        await w.h.http('POST', `/api/v1/documents/${doc.id}/recall`, { token: huong, body: { reason } });
      }
      return fetch(input, init);
    },
  });
  await e.syncNow();
  const entry = await e.sign({ assignmentId: await taskFor(e, doc.id), signer: w.ducSigner });
  const r = await e.syncNow();
  assert.equal(r.conflicts, 1);
  const got = e.store.getOutbox(entry.id)!;
  assert.equal(got.conflict?.source, 'server');
  assert.equal(got.conflict?.code, 'DOCUMENT_RECALLED');
  assert.equal(got.conflict?.reason, reason);
  assert.equal(got.conflict?.problem?.status, 409);
  assert.deepEqual(await w.versions(doc.id), [1]);
});

test('replaced on the server (a co-signer uploaded first) → VERSION_CONFLICT, not uploaded', async () => {
  await bindCertificate(w.h.db, { userId: w.h.users.tuan, certDer: w.pki.personEc.certDer, kind: 'personal' });
  const doc = await w.h.createDoc({
    steps: [
      [
        ['duc', 'approval'],
        ['tuan', 'approval'],
      ],
    ],
  });
  const duc = await w.engine('duc');
  const tuan = await w.engine('tuan');
  await duc.syncNow();
  await tuan.syncNow();
  w.proxy.setDown(true);
  const offline = await duc.sign({ assignmentId: await taskFor(duc, doc.id), signer: w.ducSigner });
  w.proxy.setDown(false);
  await tuan.sign({
    assignmentId: await taskFor(tuan, doc.id),
    signer: softwareSigner(w.pki.personEc, [w.pki.issuing]),
  });
  assert.equal((await tuan.syncNow()).uploaded, 1);
  const seen = w.proxy.uploadsSeen;
  const r = await duc.syncNow();
  assert.equal(r.conflicts, 1);
  assert.equal(w.proxy.uploadsSeen, seen);
  const got = duc.store.getOutbox(offline.id)!;
  assert.equal(got.conflict?.code, 'VERSION_CONFLICT');
  assert.equal(got.conflict?.currentVersion, 2);
  assert.deepEqual(await w.versions(doc.id), [1, 2]);
  // The new version is in the queue to be signed again.
  const item = (await duc.listQueue()).find((i) => i.documentId === doc.id)!;
  assert.equal(item.version, 2);
  assert.equal(item.contentAvailable, true);
});

test('the answer of an upload is lost → retried with the same key → one version on the server', async () => {
  const doc = await w.h.createDoc({ steps: [[['duc', 'approval']]] });
  const lines: string[] = [];
  const e = await w.engine('duc', { lines });
  await e.syncNow();
  const entry = await e.sign({ assignmentId: await taskFor(e, doc.id), signer: w.ducSigner });
  const seen = w.proxy.uploadsSeen;
  w.proxy.loseNextUploadAnswers(1);
  const lost = await e.syncNow();
  assert.equal(lost.ok, false);
  assert.equal(lost.error?.code, 'OFFLINE');
  assert.deepEqual(await w.versions(doc.id), [1, 2], 'the server did record it');
  const mid = e.store.getOutbox(entry.id)!;
  assert.equal(mid.state, 'pending');
  assert.equal(mid.attempts, 1);
  const r = await e.retryNow();
  assert.equal(r.ok, true, JSON.stringify(r.error));
  assert.equal(r.uploaded, 1);
  assert.equal(w.proxy.uploadsSeen, seen + 2);
  assert.deepEqual(await w.versions(doc.id), [1, 2], 'no second version');
  assert.equal(await w.idempotencyRows(doc.id), 1);
  const done = e.store.getOutbox(entry.id)!;
  assert.equal(done.state, 'uploaded');
  assert.equal(done.serverVersion, 2);
  assert.ok(lines.some((l) => l.includes('replayed')));
});

test('certificate login, then refresh with rotation; tokens never in the log', async () => {
  const secrets = new MemorySecretStore();
  const lines: string[] = [];
  const e = await w.engine('duc', { secrets, credentials: async () => null, lines });
  const account = await e.loginWithCertificate(challengeSignerFrom(w.ducSigner));
  assert.equal(account.username, 'duc');
  const key = `refresh-token ${w.proxy.url}`;
  const firstRefresh = await secrets.get(key);
  assert.ok(firstRefresh);
  assert.equal((await e.syncNow()).ok, true);
  // Fifteen minutes pass on the server: the access token is refused, the refresh token rotates.
  w.h.clock.offsetMs = 16 * 60 * 1000;
  try {
    const r = await e.syncNow();
    assert.equal(r.ok, true, JSON.stringify(r.error));
    const rotated = await secrets.get(key);
    assert.ok(rotated && rotated !== firstRefresh, 'refresh token rotated and stored');
    // The old one is dead (and using it revokes the family, so the test stops here).
    const old = await w.h.http('POST', '/api/v1/auth/refresh', { body: { refreshToken: firstRefresh } });
    assert.equal(old.status, 401);
    // …which signs this client out: the engine says so instead of looping.
    const after = await e.syncNow();
    assert.equal(after.error?.code, 'AUTH_REQUIRED');
    assert.equal(e.status().summary, 'signed-out');
    for (const l of lines) {
      assert.ok(!l.includes(firstRefresh) && !l.includes(rotated), 'no token in the log');
    }
  } finally {
    w.h.clock.offsetMs = 0;
  }
});

test('offline B-B is upgraded before upload: DSS + document timestamp; a TSA outage holds it back', async () => {
  const doc = await w.h.createDoc({ steps: [[['duc', 'approval']]] });
  const e = await w.engine('duc', { upgrade: { policy: 'before-upload', tsaUrl: tsa.url, timeoutMs: 5000 } });
  await e.syncNow();
  w.proxy.setDown(true);
  const entry = await e.sign({ assignmentId: await taskFor(e, doc.id), signer: w.ducSigner });
  assert.equal(entry.level, 'B-B');
  w.proxy.setDown(false);
  tsa.setFault('http-500');
  const held = await e.syncNow();
  assert.equal(held.uploaded, 0);
  assert.equal(e.store.getOutbox(entry.id)!.state, 'pending');
  assert.equal(e.store.getOutbox(entry.id)!.lastError?.code, 'UPGRADE_FAILED');
  assert.deepEqual(await w.versions(doc.id), [1]);
  tsa.setFault(null);
  const r = await e.retryNow();
  assert.equal(r.upgraded, 1, JSON.stringify(r));
  assert.equal(r.uploaded, 1, JSON.stringify(r));
  const done = e.store.getOutbox(entry.id)!;
  assert.equal(done.upgraded, true);
  const v2 = await w.h.db.query<{ sha256: string }>(
    'SELECT sha256 FROM document_versions WHERE document_id = ? AND version = 2',
    [doc.id],
  );
  assert.equal(v2[0]?.sha256, done.signedSha256);
  const reader = PdfReader.open(w.h.blobs.pathOf(done.signedSha256!));
  try {
    const kinds = listSignatures(reader).map((s) => s.kind);
    assert.deepEqual(kinds.sort(), ['doc-timestamp', 'sig']);
    assert.ok(reader.catalog().get('DSS'), 'DSS present');
  } finally {
    reader.close();
  }
  const events = (e.exportJournal().entries as { event: string }[]).map((x) => x.event);
  assert.deepEqual(events, ['signed', 'upgraded', 'uploaded']);
});

test('a second engine on the same data folder is refused; the store survives reopen', async () => {
  const dir = await w.dataDir('lock');
  const a = await w.engine('duc', { dataDir: dir });
  await assert.rejects(
    w.engine('duc', { dataDir: dir }),
    (err: Error & { code?: string }) => err.code === 'STORE_LOCKED',
  );
  await a.syncNow();
  const n = (await a.listQueue()).length;
  await a.close();
  const b = await w.engine('duc', { dataDir: dir });
  assert.equal((await b.listQueue()).length, n);
});

test('another account cannot take over a store with unsent signatures', async () => {
  const dir = await w.dataDir('switch');
  const doc = await w.h.createDoc({ steps: [[['duc', 'approval']]] });
  const a = await w.engine('duc', { dataDir: dir });
  await a.syncNow();
  w.proxy.setDown(true);
  await a.sign({ assignmentId: await taskFor(a, doc.id), signer: w.ducSigner });
  w.proxy.setDown(false);
  await assert.rejects(
    a.loginWithPassword('lan', 'mật-khẩu-lan-2026'),
    (err: Error & { code?: string }) => err.code === 'ACCOUNT_MISMATCH',
  );
  assert.equal(a.account?.username, 'duc');
  assert.equal((await a.syncNow()).uploaded, 1);
  await a.loginWithPassword('lan', 'mật-khẩu-lan-2026');
  assert.equal(a.account?.username, 'lan');
  assert.equal(
    (await a.listQueue()).some((i) => i.documentId === doc.id),
    false,
    'the old queue is gone',
  );
});

test('the polling loop: goes offline with backoff and comes back by itself', async () => {
  const doc = await w.h.createDoc({ steps: [[['duc', 'approval']]] });
  const e = await w.engine('duc', { pollIntervalMs: 100 });
  await e.syncNow();
  w.proxy.setDown(true);
  e.start();
  await waitFor(() => e.status().summary === 'offline');
  await e.sign({ assignmentId: await taskFor(e, doc.id), signer: w.ducSigner });
  w.proxy.setDown(false);
  e.setNetworkOnline(true);
  await waitFor(() => e.status().summary === 'synced' && e.status().pending === 0);
  await e.stop();
  assert.deepEqual(await w.versions(doc.id), [1, 2]);
  const text = await readFile(w.h.blobs.pathOf(e.store.listOutbox(['uploaded'])[0]!.signedSha256!));
  assert.ok(text.length > 0);
});

test('HTTP_PROXY: through a CONNECT proxy when the undici package is available, else said out loud', async () => {
  const tunnels: string[] = [];
  const open = new Set<Socket>();
  const proxy = createServer((client) => {
    open.add(client);
    client.once('data', (head: Buffer) => {
      const m = /^CONNECT ([^ ]+) HTTP\/1\.1\r\n/.exec(head.toString('latin1'));
      if (!m) {
        client.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
        return;
      }
      tunnels.push(m[1]!);
      const [host, port] = m[1]!.split(':');
      const up = connect(Number(port), host!, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        up.pipe(client);
        client.pipe(up);
      });
      open.add(up);
      up.on('error', () => client.destroy());
      client.on('error', () => up.destroy());
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  try {
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const lines: string[] = [];
    const e = await w.engine('duc', { fetchImpl: undefined, env: { HTTP_PROXY: proxyUrl }, lines });
    const mode = await e.connectionMode();
    const r = await e.syncNow();
    assert.equal(r.ok, true, JSON.stringify(r.error));
    if (mode?.mode === 'proxy') {
      assert.ok(tunnels.length > 0, 'requests went through the proxy');
      assert.equal(tunnels[0], new URL(w.proxy.url).host);
    } else {
      assert.equal(mode?.mode, 'proxy-unsupported');
      assert.equal(tunnels.length, 0);
      assert.ok(lines.some((l) => l.includes('cannot use it')));
      console.log('SKIPPED (partly): the undici package is not installed; the direct fallback was checked');
    }
  } finally {
    for (const sck of open) sck.destroy();
    await new Promise<void>((r) => proxy.close(() => r()));
  }
});

async function dutyDocs(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await w.h.createDoc({ steps: [[['duc', 'approval']]] })).id);
  return ids;
}

const events = (entries: unknown[]): string[] => (entries as { event: string }[]).map((x) => x.event);

test('journal: signed offline → after reconnect one round pushes exactly those entries, chain verified on the server; the next round pushes nothing', async () => {
  const docs = await dutyDocs(3);
  const e = await w.engine('duc');
  assert.equal((await e.syncNow()).ok, true);
  assert.equal(e.status().journal.deviceId, null, 'nothing to anchor yet');

  w.proxy.setDown(true);
  for (const id of docs) await e.sign({ assignmentId: await taskFor(e, id), signer: w.ducSigner });
  const off = await e.syncNow();
  assert.equal(off.error?.code, 'OFFLINE');
  const held = e.status().journal;
  assert.deepEqual([held.state, held.entries, held.acknowledged, held.unsent], ['ok', 3, 0, 3], 'held locally');

  const pushes = w.proxy.journalPushesSeen;
  w.proxy.setDown(false);
  const r = await e.syncNow();
  assert.equal(r.ok, true, JSON.stringify(r.error));
  assert.equal(r.uploaded, 3);
  assert.deepEqual(r.journal, { pushed: 6, unsent: 0, state: 'ok' });
  assert.equal(w.proxy.journalPushesSeen, pushes + 1, 'one journal request in that round');

  const local = e.exportJournal();
  assert.equal(local.verification.ok, true);
  assert.deepEqual(events(local.entries), ['signed', 'signed', 'signed', 'uploaded', 'uploaded', 'uploaded']);
  const deviceId = e.status().journal.deviceId!;
  assert.match(deviceId, /^kyso-dev-[0-9a-f-]{36}$/);
  assert.equal(local.deviceId, deviceId);
  assert.equal(local.serverAcknowledged, 6);
  const server = await w.serverJournal(deviceId);
  assert.equal(server.owner, w.h.users.duc);
  assert.deepEqual(server.head, { seq: 6, hash: local.verification.headHash });
  assert.deepEqual(server.entries, local.entries, 'the server holds exactly the local journal');
  assert.equal(verifyJournal(server.entries, { count: 6, hash: server.head!.hash }).ok, true);
  const admin = await w.h.login('quantri');
  const page = await w.h.http('GET', `/api/v1/admin/journal/${deviceId}`, { token: admin });
  assert.deepEqual(page.json<AdminJournalEntriesResponse>().entries, local.entries);

  const again = await e.syncNow();
  assert.deepEqual(again.journal, { pushed: 0, unsent: 0, state: 'ok' });
  assert.equal(w.proxy.journalPushesSeen, pushes + 1, 'nothing pushed the second time');
  assert.equal(e.status().summary, 'synced');
  assert.deepEqual((await w.serverJournal(deviceId)).entries.length, 6);
});

test('journal: a lost answer is resent and accepted; a copied data folder forks → 409 shown, not retried; a new device re-anchors', async () => {
  const [d1, d2, d3] = await dutyDocs(3);
  const dirA = await w.dataDir('journal-a');
  const a = await w.engine('duc', { dataDir: dirA });
  await a.syncNow();
  await a.sign({ assignmentId: await taskFor(a, d1!), signer: w.ducSigner });
  const pushes = w.proxy.journalPushesSeen;
  w.proxy.loseNextJournalAnswers(1);
  const lost = await a.syncNow();
  assert.equal(lost.uploaded, 1);
  assert.equal(lost.error?.code, 'OFFLINE', 'the journal answer never came');
  const dev = a.status().journal.deviceId!;
  assert.equal((await w.serverJournal(dev)).head?.seq, 2, 'but the server stored the entries');
  assert.equal(a.status().journal.acknowledged, 0);
  const retried = await a.retryNow();
  assert.equal(retried.ok, true, JSON.stringify(retried.error));
  assert.deepEqual(retried.journal, { pushed: 2, unsent: 0, state: 'ok' });
  assert.equal(w.proxy.journalPushesSeen, pushes + 2);
  assert.equal((await w.serverJournal(dev)).entries.length, 2, 'stored once');
  await a.close();

  // A copy of the data folder: the same device id with a future of its own.
  const dirB = await w.dataDir('journal-b');
  await cp(dirA, dirB, { recursive: true });
  const a2 = await w.engine('duc', { dataDir: dirA });
  const b = await w.engine('duc', { dataDir: dirB });
  await a2.syncNow();
  await b.syncNow();
  await a2.sign({ assignmentId: await taskFor(a2, d2!), signer: w.ducSigner });
  await b.sign({ assignmentId: await taskFor(b, d3!), signer: w.ducSigner });
  assert.equal((await a2.syncNow()).journal.pushed, 2);
  const seen = w.proxy.journalPushesSeen;
  const forked = await b.syncNow();
  assert.equal(forked.ok, true, 'the queue and the uploads go on');
  assert.equal(forked.uploaded, 1);
  assert.equal(forked.journal.state, 'fork');
  const s = b.status();
  assert.equal(s.summary, 'error');
  assert.equal(s.lastError?.code, 'JOURNAL_FORK');
  assert.equal(s.lastError?.status, 409);
  assert.equal(s.lastError?.problem?.code, 'JOURNAL_FORK');
  const shown = s.lastError!;
  assert.equal(shown.messageKey, 'sync.error.journalFork');
  assert.deepEqual(shown.params, { seq: 3 });
  const vi = t('vi', shown.messageKey, shown.params);
  assert.match(vi, /^Nhật ký chữ ký trên máy này khác với bản trên máy chủ \(mục 3\)/);
  assert.match(vi, /không mất gì\. Hãy liên hệ bộ phận CNTT/);
  assert.match(t('en', shown.messageKey, shown.params), /\(entry 3\).*nothing is lost\. Contact your IT department/);
  assert.match(shown.problem?.message.en ?? '', /differs from the server's copy \(entry 3\)/);
  assert.deepEqual([s.journal.state, s.journal.unsent, s.journal.acknowledged], ['fork', 2, 2]);
  const onServer = await w.serverJournal(dev);
  assert.equal(onServer.forkSeq, 3, 'the fork is recorded on the server');
  assert.deepEqual(onServer.entries, a2.exportJournal().entries, "the first copy's chain, untouched");
  // Not retried by itself, nor by "sync now": a person has to look.
  assert.equal((await b.syncNow()).journal.state, 'fork');
  await b.retryNow();
  assert.equal(w.proxy.journalPushesSeen, seen + 1, 'one refused push, then silence');
  assert.equal(b.status().summary, 'error');

  const fresh = b.resetJournalDevice()!;
  assert.notEqual(fresh, dev);
  const re = await b.syncNow();
  assert.deepEqual(re.journal, { pushed: 4, unsent: 0, state: 'ok' });
  assert.equal(b.status().summary, 'synced');
  assert.deepEqual((await w.serverJournal(fresh)).entries, b.exportJournal().entries);
});

test('journal: a server that lost entries (restored from a backup) gets them again from its own head', async () => {
  const [d1, d2] = await dutyDocs(2);
  const lines: string[] = [];
  const e = await w.engine('duc', { lines });
  await e.syncNow();
  await e.sign({ assignmentId: await taskFor(e, d1!), signer: w.ducSigner });
  assert.equal((await e.syncNow()).journal.pushed, 2);
  const dev = e.status().journal.deviceId!;
  // The server goes back to a backup taken before those entries.
  await w.h.db.exec('DELETE FROM journal_entries WHERE device_id = ?', [dev]);
  await w.h.db.exec('UPDATE journal_devices SET head_seq = 0, head_hash = ? WHERE id = ?', [GENESIS_HASH, dev]);
  await e.sign({ assignmentId: await taskFor(e, d2!), signer: w.ducSigner });
  const r = await e.syncNow();
  assert.equal(r.ok, true, JSON.stringify(r.error));
  assert.deepEqual(r.journal, { pushed: 4, unsent: 0, state: 'ok' });
  assert.ok(lines.some((l) => l.includes('fewer than acknowledged')));
  assert.deepEqual((await w.serverJournal(dev)).entries, e.exportJournal().entries);
});

test('journal: a refusal other than a fork (403: the device is another account’s on the server) → rejected, its own message', async () => {
  const [d1, d2] = await dutyDocs(2);
  const e = await w.engine('duc');
  await e.syncNow();
  await e.sign({ assignmentId: await taskFor(e, d1!), signer: w.ducSigner });
  assert.equal((await e.syncNow()).journal.pushed, 2);
  const dev = e.status().journal.deviceId!;
  await w.h.db.exec('UPDATE journal_devices SET user_id = ? WHERE id = ?', [w.h.users.tuan, dev]);
  await e.sign({ assignmentId: await taskFor(e, d2!), signer: w.ducSigner });
  const r = await e.syncNow();
  assert.equal(r.uploaded, 1, 'the signed document still goes up');
  assert.equal(r.journal.state, 'rejected');
  const shown = e.status().lastError!;
  assert.equal(shown.code, 'JOURNAL_REJECTED');
  assert.equal(shown.messageKey, 'sync.error.journalRejected');
  assert.equal(shown.params.code, 'FORBIDDEN');
  assert.equal(shown.params.detail, shown.problem?.detail);
  assert.match(
    t('vi', shown.messageKey, shown.params),
    /^Máy chủ không nhận nhật ký chữ ký của máy này.*không mất gì.*bộ phận CNTT\. Chi tiết \(FORBIDDEN\): \S/,
  );
  assert.match(
    t('en', shown.messageKey, shown.params),
    /^The server did not accept this computer's signature journal.*nothing is lost.*IT department\. Details \(FORBIDDEN\): \S/,
  );
  await e.close();
});

test('journal: a server error is retried after the backoff delay, not at once', async () => {
  const [d1] = await dutyDocs(1);
  let failNext = 0;
  let journalCalls = 0;
  const e = await w.engine('duc', {
    backoff: { baseMs: 60_000, maxMs: 120_000 },
    fetchImpl: async (input, init) => {
      if (init?.method === 'POST' && String(input).endsWith('/api/v1/journal')) {
        journalCalls++;
        if (failNext > 0) {
          failNext--;
          return new Response('{}', { status: 503, headers: { 'content-type': 'application/json' } });
        }
      }
      return fetch(input, init);
    },
  });
  await e.syncNow();
  await e.sign({ assignmentId: await taskFor(e, d1!), signer: w.ducSigner });
  failNext = 1;
  const failed = await e.syncNow();
  assert.equal(failed.uploaded, 1);
  assert.equal(failed.error?.code, 'SERVER_UNAVAILABLE');
  assert.equal(journalCalls, 1);
  const waiting = await e.syncNow();
  assert.equal(waiting.ok, true, 'the rest of the round goes on');
  assert.deepEqual(waiting.journal, { pushed: 0, unsent: 2, state: 'ok' });
  assert.equal(journalCalls, 1, 'not tried again before its backoff delay (≥ 30 s here)');
  const now = await e.retryNow();
  assert.deepEqual(now.journal, { pushed: 2, unsent: 0, state: 'ok' });
  assert.equal(journalCalls, 2);
});

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
