// The signature-journal endpoints over real HTTP on 127.0.0.1, on a real SQLite file and a real
// PostgreSQL (same test body). Chains are made with the client's own makeEntry, so the server's
// hash check is held to the client's definition; every response is checked against the
// OpenAPI document by the harness.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  GENESIS_HASH,
  makeEntry,
  verifyJournal,
  type JournalEntry,
  type JournalRecord,
} from '../../src-core/sync/audit-journal.js';
import type {
  AdminJournalDevicesResponse,
  AdminJournalEntriesResponse,
  JournalHeadResponse,
  JournalPushResponse,
} from '../../src-shared/api/journal-types.js';
import type { SyncProblem } from '../../src-shared/api/sync-types.js';
import { postgresSkipReason, stopSharedPostgres } from '../helpers/postgres.js';
import { startHarness, type Harness, type HttpResult, type Username } from '../helpers/server-harness.js';

const pgSkip = postgresSkipReason();
after(async () => {
  await stopSharedPostgres();
});

const problem = (r: HttpResult): SyncProblem => r.json<SyncProblem>();

function record(i: number, over: Partial<JournalRecord> = {}): JournalRecord {
  return {
    event: i % 2 ? 'uploaded' : 'signed',
    outboxId: `kyso-${i}`,
    documentId: `doc-${Math.floor(i / 2)}`,
    assignmentId: 100 + Math.floor(i / 2),
    baseVersion: 1,
    sha256: 'ab'.repeat(32),
    certificateSha256: 'cd'.repeat(32),
    certificateSubject: 'CN=Nguyễn Văn Đức, O=Bộ Tài chính',
    level: 'B-B',
    ...(i % 2 ? { serverVersion: 2 } : {}),
    ...over,
  };
}

/** n entries continuing `from` (or from the start). */
function chain(n: number, from: JournalEntry[] = [], over: (i: number) => Partial<JournalRecord> = () => ({})) {
  const out = [...from];
  for (let k = 0; k < n; k++) {
    const i = out.length;
    out.push(makeEntry(out[i - 1] ?? null, record(i, over(i)), new Date(1_800_000_000_000 + i * 1000)));
  }
  return out;
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`signature journal API on ${kind}`, { skip: kind === 'postgres' ? pgSkip : false }, () => {
    let h: Harness;
    const tokens = {} as Record<Username, string>;

    before(async () => {
      h = await startHarness(kind);
      for (const u of ['duc', 'tuan', 'quantri', 'binh', 'binhadmin'] as const) tokens[u] = await h.login(u);
    });
    after(async () => {
      if (h) {
        console.log(
          `${kind}: ${[...h.checked.values()].reduce((a, b) => a + b, 0)} responses validated against the OpenAPI document (${h.checked.size} method/path/status kinds)`,
        );
        await h.close();
      }
    });

    const device = (): string => `kyso-dev-${randomUUID()}`;
    const push = (user: Username | null, deviceId: string, entries: unknown[]) =>
      h.http('POST', '/api/v1/journal', { ...(user ? { token: tokens[user] } : {}), body: { deviceId, entries } });
    const head = (user: Username | null, deviceId: string) =>
      h.http('GET', `/api/v1/journal/head?deviceId=${encodeURIComponent(deviceId)}`, {
        ...(user ? { token: tokens[user] } : {}),
      });
    async function stored(deviceId: string): Promise<{ seq: number; hash: string }[]> {
      const rows = await h.db.query<{ seq: number; hash: string }>(
        'SELECT seq, hash FROM journal_entries WHERE device_id = ? ORDER BY seq',
        [deviceId],
      );
      return rows.map((r) => ({ seq: Number(r.seq), hash: r.hash }));
    }

    test('push: a new device starts empty; entries are stored and the head follows', async () => {
      const dev = device();
      const empty = await head('duc', dev);
      assert.equal(empty.status, 200);
      assert.deepEqual(empty.json<JournalHeadResponse>(), { deviceId: dev, head: { seq: 0, hash: GENESIS_HASH } });

      const c = chain(5);
      const r = await push('duc', dev, c);
      assert.equal(r.status, 200, r.body.toString());
      assert.deepEqual(r.json<JournalPushResponse>(), {
        deviceId: dev,
        accepted: 5,
        alreadyHeld: 0,
        head: { seq: 5, hash: c[4]!.hash },
      });
      const more = chain(3, c);
      const r2 = await push('duc', dev, more.slice(5));
      assert.equal(r2.json<JournalPushResponse>().accepted, 3);
      assert.deepEqual((await head('duc', dev)).json<JournalHeadResponse>().head, { seq: 8, hash: more[7]!.hash });
      assert.deepEqual(
        await stored(dev),
        more.map((e) => ({ seq: e.seq, hash: e.hash })),
      );
    });

    test('idempotent: re-sending held entries is accepted (same hash), overlapping batches store only the new part', async () => {
      const dev = device();
      const c = chain(6);
      assert.equal((await push('duc', dev, c.slice(0, 4))).status, 200);
      const again = await push('duc', dev, c.slice(0, 4));
      assert.equal(again.status, 200);
      assert.deepEqual(again.json<JournalPushResponse>(), {
        deviceId: dev,
        accepted: 0,
        alreadyHeld: 4,
        head: { seq: 4, hash: c[3]!.hash },
      });
      const overlap = await push('duc', dev, c.slice(2));
      assert.equal(overlap.status, 200);
      const o = overlap.json<JournalPushResponse>();
      assert.equal(o.accepted, 2);
      assert.equal(o.alreadyHeld, 2);
      assert.deepEqual(o.head, { seq: 6, hash: c[5]!.hash });
      assert.equal((await stored(dev)).length, 6);
      // Two clients racing with the same batch (a retry crossing the first answer): one stores it.
      const more = chain(4, c);
      const [a, b] = await Promise.all([push('duc', dev, more.slice(6)), push('duc', dev, more.slice(6))]);
      assert.equal(a.status, 200);
      assert.equal(b.status, 200);
      const counts = [a.json<JournalPushResponse>(), b.json<JournalPushResponse>()].map((x) => x.accepted).sort();
      assert.deepEqual(counts, [0, 4]);
      assert.equal((await stored(dev)).length, 10);
    });

    test('fork: a different entry for a held sequence number → 409, nothing stored, recorded in the audit log', async () => {
      const dev = device();
      const c = chain(4);
      assert.equal((await push('duc', dev, c)).status, 200);
      // A second copy of the data folder (same device id) signed something else after entry 2.
      const fork = chain(3, c.slice(0, 2), () => ({ documentId: 'doc-cloned-folder' }));
      const r = await push('duc', dev, fork.slice(2));
      assert.equal(r.status, 409);
      const p = problem(r);
      assert.equal(p.code, 'JOURNAL_FORK');
      assert.equal(p.params?.seq, 3);
      assert.equal(p.params?.headSeq, 4);
      assert.equal(p.params?.headHash, c[3]!.hash);
      assert.equal(p.messageKey, 'server.journalFork');
      assert.match(p.message.vi, /^Nhật ký chữ ký trên máy này khác với bản trên máy chủ \(mục 3\)/);
      assert.match(p.message.vi, /nhật ký trên máy cũng được giữ nguyên, không mất gì\. Hãy liên hệ bộ phận CNTT/);
      assert.match(p.message.en, /^The signature journal on this computer differs from the server's copy \(entry 3\)/);
      assert.match(p.message.en, /nothing is lost\. Contact your IT department/);
      assert.doesNotMatch(p.message.en, /Invalid request data/);
      assert.deepEqual(
        await stored(dev),
        c.map((e) => ({ seq: e.seq, hash: e.hash })),
        'nothing of the forked request was stored (not even its new entry 5)',
      );
      const audit = await h.db.query<{ user_id: number; status: number; result: string; detail: string }>(
        "SELECT user_id, status, result, detail FROM audit_log WHERE action = 'journal.push' AND result = 'JOURNAL_FORK'",
      );
      const row = audit.find((x) => x.detail.includes(dev));
      assert.ok(row, 'the fork is in the audit log');
      assert.equal(Number(row.user_id), h.users.duc);
      assert.equal(Number(row.status), 409);
      assert.match(row.detail, /seq=3 held=[0-9a-f]{16} sent=[0-9a-f]{16}/);
      const devices = await h.http('GET', `/api/v1/admin/journal?userId=${h.users.duc}`, { token: tokens.quantri });
      const d = devices.json<AdminJournalDevicesResponse>().items.find((x) => x.deviceId === dev)!;
      assert.equal(d.fork?.seq, 3);
      // The original chain still goes on.
      assert.equal((await push('duc', dev, chain(1, c).slice(4))).status, 200);
    });

    test('broken chain → 422 JOURNAL_CHAIN_BROKEN: altered entry, wrong link, gap (with the head held)', async () => {
      const dev = device();
      const c = chain(6);
      assert.equal((await push('duc', dev, c.slice(0, 3))).status, 200);

      // Altered after hashing: the content no longer matches the hash.
      const altered = c.slice(3).map((e) => ({ ...e }));
      altered[1]!.documentId = 'doc-swapped';
      const r1 = await push('duc', dev, altered);
      assert.equal(r1.status, 422);
      assert.equal(problem(r1).code, 'JOURNAL_CHAIN_BROKEN');
      assert.equal(problem(r1).params?.reason, 'modified');
      assert.equal(problem(r1).params?.seq, 5);
      assert.equal(problem(r1).messageKey, 'server.journalChainBroken');
      assert.match(
        problem(r1).message.en,
        /^The signature journal sent is not an unbroken chain: journal entry 5 does not match its own hash \(it was altered\)\. The server stored nothing/,
      );
      assert.match(
        problem(r1).message.vi,
        /^Nhật ký chữ ký gửi lên không liền mạch: mục nhật ký số 5 .*\(đã bị sửa\)\. Máy chủ không lưu/,
      );

      // Re-hashed but not linked to what the server holds.
      const unlinked = makeEntry({ seq: 3, hash: 'ee'.repeat(32) }, record(3), new Date());
      const r2 = await push('duc', dev, [unlinked]);
      assert.equal(r2.status, 422);
      assert.equal(problem(r2).params?.reason, 'broken-link');
      assert.equal(problem(r2).params?.seq, 4);

      // A link broken inside the batch.
      const inner = [c[3]!, makeEntry({ seq: 4, hash: 'ff'.repeat(32) }, record(4), new Date())];
      const r3 = await push('duc', dev, inner);
      assert.equal(r3.status, 422);
      assert.equal(problem(r3).params?.reason, 'broken-link');
      assert.equal(problem(r3).params?.seq, 5);

      // Entries missing: the server says what it holds so the client can resend from there.
      const r4 = await push('duc', dev, c.slice(4));
      assert.equal(r4.status, 422);
      assert.deepEqual(problem(r4).params, {
        reason: 'sequence-gap',
        seq: 5,
        expectedSeq: 4,
        headSeq: 3,
        headHash: c[2]!.hash,
      });
      assert.match(problem(r4).message.vi, /cần mục số 4/);
      const r5 = await push('duc', dev, [c[3]!, c[5]!]);
      assert.equal(r5.status, 422);
      assert.equal(problem(r5).params?.reason, 'sequence-gap');

      // A first entry that does not start from the genesis hash.
      const r6 = await push('duc', device(), [unlinked]);
      assert.equal(r6.status, 422);

      assert.equal((await stored(dev)).length, 3, 'nothing of the refused requests was stored');
      assert.equal((await push('duc', dev, c.slice(3))).status, 200);
    });

    test('authorisation: only the device’s own user pushes or reads its head; 401 without a login', async () => {
      const dev = device();
      const c = chain(2);
      assert.equal((await push('duc', dev, c.slice(0, 1))).status, 200);
      for (const other of ['tuan', 'binh', 'quantri'] as const) {
        const r = await push(other, dev, c.slice(1));
        assert.equal(r.status, 403, other);
        assert.equal(problem(r).code, 'FORBIDDEN');
        assert.equal((await head(other, dev)).status, 403);
      }
      const anon = await push(null, dev, c.slice(1));
      assert.equal(anon.status, 401);
      assert.equal(problem(anon).code, 'UNAUTHENTICATED');
      assert.equal((await head(null, dev)).status, 401);
      assert.equal((await stored(dev)).length, 1, 'nothing stored by anyone else');
      const audit = await h.db.query<{ detail: string | null; status: number }>(
        "SELECT detail, status FROM audit_log WHERE action = 'journal.push' AND result = 'FORBIDDEN'",
      );
      assert.ok(audit.some((a) => a.detail?.includes(dev) && Number(a.status) === 403));
    });

    test('validation: body shape, batch size, device id; unknown extra fields are hashed and kept', async () => {
      const dev = device();
      const c = chain(2);
      for (const body of [
        { deviceId: dev, entries: [] },
        { deviceId: 'short', entries: c },
        { deviceId: dev, entries: c, extra: 1 },
        { deviceId: dev, entries: [{ ...c[0]!, seq: 0 }] },
        { deviceId: dev, entries: [{ ...c[0]!, hash: 'XYZ' }] },
        { deviceId: dev, entries: [{ ...c[0]!, nested: { a: 1 } }] },
      ]) {
        const r = await h.http('POST', '/api/v1/journal', { token: tokens.duc, body });
        assert.equal(r.status, 400, JSON.stringify(body).slice(0, 80));
        assert.equal(problem(r).code, 'VALIDATION_FAILED');
      }
      assert.equal((await h.http('GET', '/api/v1/journal/head', { token: tokens.duc })).status, 400);
      // A newer client's field: covered by the hash, stored and returned as sent.
      const newer = chain(2, [], () => ({ profile: 'approval' }) as Partial<JournalRecord>);
      assert.equal((await push('duc', dev, newer)).status, 200);
      const page = await h.http('GET', `/api/v1/admin/journal/${dev}`, { token: tokens.quantri });
      assert.deepEqual(page.json<AdminJournalEntriesResponse>().entries, newer);
      // Larger than the usual 64 KiB JSON limit: 300 entries in one request.
      const big = chain(300, newer);
      const r = await push('duc', dev, big.slice(2));
      assert.equal(r.status, 200);
      assert.equal(r.json<JournalPushResponse>().head.seq, 302);
    });

    test('administrators read their organisation’s journals, page by page; nobody else does', async () => {
      const dev = device();
      const c = chain(7);
      assert.equal((await push('tuan', dev, c)).status, 200);
      const list = await h.http('GET', `/api/v1/admin/journal?userId=${h.users.tuan}`, { token: tokens.quantri });
      assert.equal(list.status, 200);
      const items = list.json<AdminJournalDevicesResponse>().items;
      assert.deepEqual(
        items.map((d) => [d.deviceId, d.username, d.head.seq, d.head.hash, d.fork]),
        [[dev, 'tuan', 7, c[6]!.hash, null]],
      );
      const all = await h.http('GET', '/api/v1/admin/journal', { token: tokens.quantri });
      assert.ok(all.json<AdminJournalDevicesResponse>().items.some((d) => d.deviceId === dev));

      const got: unknown[] = [];
      let afterSeq = 0;
      for (;;) {
        const page = await h.http('GET', `/api/v1/admin/journal/${dev}?afterSeq=${afterSeq}&limit=3`, {
          token: tokens.quantri,
        });
        assert.equal(page.status, 200);
        const p = page.json<AdminJournalEntriesResponse>();
        assert.equal(p.userId, h.users.tuan);
        got.push(...p.entries);
        afterSeq = p.nextAfterSeq;
        if (!p.hasMore) break;
      }
      assert.deepEqual(got, c, 'exactly the entries sent');
      const v = verifyJournal(got, { count: 7, hash: c[6]!.hash });
      assert.equal(v.ok, true, JSON.stringify(v.problems));

      assert.equal((await h.http('GET', `/api/v1/admin/journal/${dev}`, { token: tokens.tuan })).status, 403);
      assert.equal((await h.http('GET', '/api/v1/admin/journal', { token: tokens.duc })).status, 403);
      assert.equal((await h.http('GET', `/api/v1/admin/journal/${dev}`, { token: tokens.binhadmin })).status, 404);
      assert.equal(
        (await h.http('GET', `/api/v1/admin/journal?userId=${h.users.tuan}`, { token: tokens.binhadmin })).status,
        404,
      );
      assert.deepEqual(
        (await h.http('GET', '/api/v1/admin/journal', { token: tokens.binhadmin }))
          .json<AdminJournalDevicesResponse>()
          .items.filter((d) => d.deviceId === dev),
        [],
      );
      assert.equal((await h.http('GET', `/api/v1/admin/journal/${device()}`, { token: tokens.quantri })).status, 404);
      assert.equal((await h.http('GET', '/api/v1/admin/journal', { unchecked: false })).status, 401);
    });
  });
}
