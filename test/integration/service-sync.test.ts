// The desktop service facade end to end without a browser: the real reference server (SQLite,
// the engine's upload inspector), a SoftHSM2 token behind the fault module loaded in this
// process, an openssl TSA; both sync backends (the sync engine, and the direct HTTP adapter).
// Certificate login, the queue, batch signing with one PIN, wrong PINs, offline signing and the
// upload once reconnected, a recall turned into a conflict, token removal, PIN never logged.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BatchState, UiEvent } from '../../src-shared/api/ui-types.js';
import { startKysoServer, type KysoServer } from '../../src-server/app.js';
import { one, type Db } from '../../src-server/db/adapter.js';
import { openDatabase } from '../../src-server/db/open-db.js';
import { bindCertificate } from '../../src-server/domain/accounts.js';
import { createDocument, recallDocument } from '../../src-server/domain/documents.js';
import { engineInspector } from '../../src-server/domain/engine-inspector.js';
import { DEMO_ORG, seedDemo } from '../../src-server/seed/demo-seed.js';
import { BlobStore } from '../../src-server/store/blob-store.js';
import { createService, type KysoService } from '../../src-core/service/create-service.js';
import { createFaultToken, type FaultToken } from '../helpers/fault-token.js';
import { makeChromiumPdf } from '../helpers/pdf-fixtures.js';
import { startTsa, type TestTsa } from '../helpers/tsa.js';

let dir: string;
let token: FaultToken;
let tsa: TestTsa;
let db: Db;
let blobs: BlobStore;
let server: KysoServer | null;
let port: number;
let letter: Buffer;
let users: { duc: number; lan: number };
const PIN = '12345678';

async function startServer(p = 0): Promise<void> {
  server = await startKysoServer({ db, blobs, inspector: engineInspector, log: () => undefined }, { port: p });
  port = server.port;
}

async function addDocs(n: number, title: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push(
      await createDocument(db, blobs, {
        orgId: DEMO_ORG.id,
        title: `${title} ${i + 1}`,
        docType: 'QĐ',
        sender: { organisationId: DEMO_ORG.id, name: DEMO_ORG.name },
        urgency: 0,
        dueAt: null,
        pdf: letter,
        createdBy: null,
        assignments: [{ userId: users.duc, action: 'approval', step: 1 }],
      }),
    );
  }
  return ids;
}

const versions = async (id: string): Promise<number> =>
  Number((await one<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM document_versions WHERE document_id = ?', [id]))?.n);

async function until<T>(f: () => Promise<T> | T, ok: (v: T) => boolean, ms = 20000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kyso-service-'));
  token = await createFaultToken({});
  process.env.KYSO_PKCS11_MODULE = token.module;
  tsa = await startTsa(token.pki);
  letter = await readFile(await makeChromiumPdf(dir));
  db = await openDatabase(join(dir, 'kyso.sqlite'));
  blobs = new BlobStore(join(dir, 'blobs'));
  await seedDemo(db, blobs);
  const id = async (u: string): Promise<number> =>
    (await one<{ id: number }>(db, 'SELECT id FROM users WHERE username = ?', [u]))!.id;
  users = { duc: await id('duc'), lan: await id('lan') };
  await bindCertificate(db, { userId: users.duc, certDer: token.pki.person.certDer, kind: 'personal' });
  await bindCertificate(db, { userId: users.lan, certDer: token.pki.organisation.certDer, kind: 'organisation' });
  await startServer();
});

after(async () => {
  await server?.close();
  await db.close();
  await tsa.close();
  await token.cleanup();
  await rm(dir, { recursive: true, force: true });
});

for (const backend of ['sync-engine', 'http-adapter'] as const) {
  describe(`service over ${backend}`, () => {
    let svc: KysoService;
    const events: UiEvent[] = [];
    const stderr: string[] = [];
    let origWrite: typeof process.stderr.write;

    before(async () => {
      // Anything written to stderr during these tests is checked for the PIN afterwards.
      origWrite = process.stderr.write.bind(process.stderr);
      process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        stderr.push(String(chunk));
        return (origWrite as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof process.stderr.write;
      token.configure({ reset_pin: 1, sign_latency_ms: backend === 'sync-engine' ? 0 : 1 });
      svc = createService({
        transport: 'direct',
        locale: 'vi',
        dataDir: join(dir, `app-${backend}`),
        env: {
          ...process.env,
          KYSO_SERVER_URL: server!.url,
          KYSO_TSA_URL: tsa.url,
          KYSO_OFFLINE: '1',
          KYSO_SYNC_BACKEND: backend,
          KYSO_TRUST_FILES: token.pki.files.rootPem,
        },
        syncIntervalMs: 500,
        tokenPollMs: 300,
      });
      svc.host.events.subscribe((e) => events.push(e));
    });

    after(async () => {
      process.stderr.write = origWrite;
      await svc.host.close();
      const all = stderr.join('');
      assert.ok(!all.includes(PIN), 'the PIN never reaches a log line');
    });

    test('token state and certificate login; a wrong PIN says the tries went down', async () => {
      const st = await svc['tokens.state']({});
      const tok = st.modules.flatMap((m) => m.tokens).find((t) => t.label === 'VGCA Fault Token');
      assert.ok(tok, 'the token is listed');
      assert.deepEqual(tok.certificates.map((c) => c.id).sort(), ['01', '03', '04']);
      await assert.rejects(
        svc['session.loginToken']({ certId: '01', pin: '00000000' }),
        (e: { code: string; messageKey: string }) => {
          assert.equal(e.code, 'PIN_INCORRECT');
          assert.equal(e.messageKey, 'error.pinIncorrectLow');
          return true;
        },
      );
      const s = await svc['session.loginToken']({ certId: '01', pin: PIN });
      assert.equal(s.user?.username, 'duc');
      assert.equal(s.method, 'certificate');
      const q = await until(
        () => svc['queue.list']({}),
        (x) => x.items.length > 0,
      );
      assert.ok(q.items.some((i) => i.action === 'approval'));
    });

    test('batch with one PIN: every document signed into the outbox and uploaded once', async () => {
      const ids = await addDocs(3, `Lô ${backend}`);
      await svc['sync.now']({});
      const q = await until(
        () => svc['queue.list']({}),
        (x) => x.items.filter((i) => i.title.startsWith(`Lô ${backend}`)).length === 3,
      );
      const items = q.items
        .filter((i) => i.title.startsWith(`Lô ${backend}`))
        .map((i) => ({ assignmentId: i.assignmentId }));
      const started = await svc['sign.start']({ items, certId: '01', pin: PIN });
      assert.equal(started.total, 3);
      const done = await until(
        () => svc['sign.status']({ batchId: started.batchId }),
        (b: BatchState) => b.state !== 'running' && b.results.every((r) => r.status === 'uploaded'),
      );
      assert.equal(done.state, 'done');
      assert.deepEqual(
        done.results.map((r) => r.status),
        ['uploaded', 'uploaded', 'uploaded'],
      );
      assert.deepEqual(await Promise.all(ids.map(versions)), [2, 2, 2]);
      assert.ok(
        events.some((e) => e.type === 'batch' && e.state.done === 1),
        'progress events',
      );
    });

    test('offline: signed and kept; reconnected: uploaded once; a recall meanwhile is a conflict', async () => {
      const [okId, recalledId] = await addDocs(2, `Mất mạng ${backend}`);
      await svc['sync.now']({});
      const q = await until(
        () => svc['queue.list']({}),
        (x) => x.items.filter((i) => i.title.startsWith(`Mất mạng ${backend}`)).length === 2,
      );
      const mine = q.items.filter((i) => i.title.startsWith(`Mất mạng ${backend}`));
      // The content was prefetched: opening works offline.
      await until(
        async () => {
          try {
            await svc['document.open']({ assignmentId: mine[0]!.assignmentId });
            await svc['document.open']({ assignmentId: mine[1]!.assignmentId });
            return true;
          } catch {
            return false;
          }
        },
        (x) => x,
      );
      await server!.close();
      server = null;
      const b = await svc['sign.start']({
        items: mine.map((i) => ({ assignmentId: i.assignmentId })),
        certId: '01',
        pin: PIN,
      });
      const signed = await until(
        () => svc['sign.status']({ batchId: b.batchId }),
        (s) => s.state !== 'running',
      );
      assert.deepEqual(
        signed.results.map((r) => r.status),
        ['signed', 'signed'],
        JSON.stringify(signed.results.map((r) => r.error)),
      );
      const offline = await until(
        () => svc['sync.status']({}),
        (s) => s.state === 'offline',
      );
      assert.equal(offline.state, 'offline');
      assert.equal(offline.pendingUploads, 2);

      await recallDocument(db, recalledId!, 'Ban hành nhầm.', Date.now());
      await startServer(port);
      const box = await until(
        async () => (await svc['outbox.list']({})).entries,
        (es) =>
          es.some((e) => e.documentId === okId && e.state === 'uploaded') &&
          es.some((e) => e.documentId === recalledId && e.state === 'conflict'),
      );
      const conflict = box.find((e) => e.documentId === recalledId)!;
      assert.equal(conflict.problem?.code, 'DOCUMENT_RECALLED');
      assert.match(conflict.problem!.message.vi, /thu hồi/);
      assert.equal(conflict.problem?.advice, 'discard');
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(await versions(okId!), 2, 'uploaded exactly once');
      assert.equal(await versions(recalledId!), 1);
      await svc['outbox.discard']({ id: conflict.id });
      assert.ok(!(await svc['outbox.list']({})).entries.some((e) => e.id === conflict.id));
    });

    test('token removed mid-batch: the batch stops with TOKEN_REMOVED, the rest not signed', async () => {
      await addDocs(3, `Rút ${backend}`);
      await svc['sync.now']({});
      const q = await until(
        () => svc['queue.list']({}),
        (x) => x.items.filter((i) => i.title.startsWith(`Rút ${backend}`)).length === 3,
      );
      token.configure({ remove_after_signs: 1 });
      const items = q.items
        .filter((i) => i.title.startsWith(`Rút ${backend}`))
        .map((i) => ({ assignmentId: i.assignmentId }));
      const b = await svc['sign.start']({ items, certId: '01', pin: PIN });
      const end = await until(
        () => svc['sign.status']({ batchId: b.batchId }),
        (s) => s.state !== 'running',
      );
      assert.equal(end.state, 'stopped');
      assert.equal(end.stopError?.code, 'TOKEN_REMOVED');
      assert.deepEqual(
        end.results.map((r) => r.status).map((s) => (s === 'uploaded' ? 'signed' : s)),
        ['signed', 'failed', 'cancelled'],
      );
      const absent = await until(
        () => svc['tokens.state']({}),
        (s) => s.modules.every((m) => m.tokens.every((t) => t.label !== 'VGCA Fault Token')),
        5000,
      );
      assert.ok(
        absent.modules.every((m) => m.tokens.length === 0 || m.tokens.every((t) => t.label !== 'VGCA Fault Token')),
      );
      token.configure({});
      await until(
        () => svc['tokens.state']({}),
        (s) => s.modules.some((m) => m.tokens.some((t) => t.label === 'VGCA Fault Token')),
        5000,
      );
    });
  });
}
