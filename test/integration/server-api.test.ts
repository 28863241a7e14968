// The sync API end to end over real HTTP on 127.0.0.1, on a real SQLite file and on a real
// PostgreSQL (the same test body for both). Every response is checked against
// docs/sync-api.openapi.yaml by the harness. The signature facts of uploads come from the
// harness's STAND-IN inspector (JSON sidecars) until the real PDF inspector lands; everything
// else — prefix check, idempotency, If-Match, recall, size limit, auth, rules — is the real thing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { QueuePage, UploadResponse, IssueNumberResponse, SyncProblem } from '../../src-shared/api/sync-types.js';
import { openNextStep } from '../../src-server/domain/changes.js';
import { bindCertificate } from '../../src-server/domain/accounts.js';
import type { InspectedSignature } from '../../src-server/domain/inspector.js';
import { postgresSkipReason, stopSharedPostgres } from '../helpers/postgres.js';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import {
  ORG_B,
  sha256Hex,
  startHarness,
  type Harness,
  type HttpResult,
  type Username,
} from '../helpers/server-harness.js';

const pgSkip = postgresSkipReason();
let pki: TestPki;

before(async () => {
  pki = await createTestPki();
});
after(async () => {
  await stopSharedPostgres();
  await pki?.cleanup();
});

const problem = (r: HttpResult): SyncProblem => r.json<SyncProblem>();

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`sync API on ${kind}`, { skip: kind === 'postgres' ? pgSkip : false }, () => {
    let h: Harness;
    const tokens = {} as Record<Username, string>;
    const certOf = {} as Record<'duc' | 'huong' | 'lan' | 'tuan', string>;

    before(async () => {
      h = await startHarness(kind, { maxUploadBytes: 64 * 1024 });
      certOf.duc = await bindCertificate(h.db, { userId: h.users.duc, certDer: pki.person.certDer, kind: 'personal' });
      certOf.huong = await bindCertificate(h.db, {
        userId: h.users.huong,
        certDer: pki.personEc.certDer,
        kind: 'personal',
      });
      certOf.lan = await bindCertificate(h.db, {
        userId: h.users.lan,
        certDer: pki.organisation.certDer,
        kind: 'organisation',
      });
      certOf.tuan = await bindCertificate(h.db, {
        userId: h.users.tuan,
        certDer: pki.personRsa3072.certDer,
        kind: 'personal',
      });
      for (const u of ['duc', 'tuan', 'huong', 'lan', 'quantri', 'binh', 'binhadmin'] as const) {
        tokens[u] = await h.login(u);
      }
    });
    after(async () => {
      if (h) {
        console.log(
          `${kind}: ${[...h.checked.values()].reduce((a, b) => a + b, 0)} responses validated against the OpenAPI document (${h.checked.size} method/path/status kinds)`,
        );
        await h.close();
      }
    });

    const sig = (who: keyof typeof certOf, over: Partial<InspectedSignature> = {}): InspectedSignature => ({
      valid: true,
      signerCertSha256: certOf[who],
      signerKind: who === 'lan' ? 'organisation' : 'personal',
      ...over,
    });

    async function content(user: Username, id: string, headers: Record<string, string> = {}, query = '') {
      return h.http('GET', `/api/v1/documents/${id}/content${query}`, { token: tokens[user], headers });
    }

    async function upload(user: Username, id: string, body: Buffer, ifMatch: string | null, key: string | null) {
      const headers: Record<string, string> = { 'content-type': 'application/pdf' };
      if (ifMatch !== null) headers['if-match'] = ifMatch;
      if (key !== null) headers['idempotency-key'] = key;
      return h.http('POST', `/api/v1/documents/${id}/signed`, { token: tokens[user], headers, body });
    }

    async function queueAll(user: Username, since = '0', limit = 1000): Promise<QueuePage> {
      const r = await h.http('GET', `/api/v1/queue?since=${since}&limit=${limit}`, { token: tokens[user] });
      assert.equal(r.status, 200);
      return r.json<QueuePage>();
    }

    /** Signs the user's open step through the API, as a client would. */
    async function signStep(user: 'duc' | 'huong' | 'lan' | 'tuan', id: string, version: number) {
      const prior = (await content(user, id)).body;
      const body = await h.inspector.signedUpload(prior, { newSignatures: [sig(user)], errors: [] });
      const r = await upload(user, id, body, String(version), `key-${user}-${id}-${version}`);
      assert.equal(r.status, 201, r.body.toString());
      return { res: r.json<UploadResponse>(), body };
    }

    test('health, unknown paths, wrong methods and missing auth answer problem+json', async () => {
      assert.equal((await h.http('GET', '/api/v1/health')).status, 200);
      const nf = await h.http('GET', '/api/v1/nowhere', { unchecked: true });
      assert.equal(nf.status, 404);
      assert.equal(nf.headers['content-type'], 'application/problem+json; charset=utf-8');
      assert.equal(problem(nf).code, 'NOT_FOUND');
      const wrong = await h.http('DELETE', '/api/v1/queue', { token: tokens.duc, unchecked: true });
      assert.equal(wrong.status, 405);
      assert.equal(wrong.headers.allow, 'GET');
      const noAuth = await h.http('GET', '/api/v1/queue');
      assert.equal(noAuth.status, 401);
      assert.match(String(noAuth.headers['www-authenticate']), /^Bearer/);
      const p = problem(noAuth);
      assert.equal(p.code, 'UNAUTHENTICATED');
      assert.match(p.message.vi, /đăng nhập/);
      assert.match(p.message.en, /Login required/);
      const bad = await h.http('GET', '/api/v1/queue', { token: 'kat_notarealtokenatall' });
      assert.equal(bad.status, 401);
      const en = await h.http('GET', '/api/v1/queue', { headers: { 'accept-language': 'en-GB,en;q=0.9' } });
      assert.match(problem(en).detail, /Login required/);
    });

    test('queue: initial sync pages by cursor; waiting steps stay invisible until their turn', async () => {
      const docs: { id: string; pdf: Buffer }[] = [];
      for (let i = 0; i < 5; i++) docs.push(await h.createDoc({ steps: [[['duc', 'approval']]], urgency: 3 }));
      const staged = await h.createDoc({ steps: [[['huong', 'initials']], [['duc', 'approval']]] });

      const seen: string[] = [];
      let cursor = '0';
      let pages = 0;
      for (;;) {
        const r = await h.http('GET', `/api/v1/queue?since=${cursor}&limit=2`, { token: tokens.duc });
        const page = r.json<QueuePage>();
        pages++;
        for (const e of page.items) {
          assert.equal(e.change, 'new');
          assert.ok(Number(e.cursor) > Number(cursor));
          seen.push(e.item.documentId);
        }
        cursor = page.nextCursor;
        if (!page.hasMore) break;
      }
      assert.deepEqual(new Set(seen), new Set(docs.map((d) => d.id)));
      assert.equal(pages, 3);
      assert.ok(!seen.includes(staged.id), 'a later step is not shown before the earlier one is done');

      const first = (await queueAll('duc')).items.find((e) => e.item.documentId === docs[0]!.id)!;
      assert.equal(first.item.action, 'approval');
      assert.equal(first.item.urgency, 3);
      assert.equal(first.item.status, '05');
      assert.equal(first.item.contentSha256, sha256Hex(docs[0]!.pdf));
      assert.equal(first.item.sender.organisationId, '000.00.00.G22');

      // An empty delta keeps the cursor.
      const empty = await queueAll('duc', cursor);
      assert.deepEqual(empty, { items: [], nextCursor: cursor, hasMore: false });

      // The drafter initials; the leader's step opens and shows up as new in the delta.
      await signStep('huong', staged.id, 1);
      const delta = await queueAll('duc', cursor);
      assert.equal(delta.items.length, 1);
      assert.equal(delta.items[0]!.change, 'new');
      assert.equal(delta.items[0]!.item.documentId, staged.id);
      assert.equal(delta.items[0]!.item.version, 2);
      const drafterView = (await queueAll('huong')).items.find((e) => e.item.documentId === staged.id)!;
      assert.equal(drafterView.item.assignmentState, 'done');

      const badCursor = await h.http('GET', '/api/v1/queue?since=abc', { token: tokens.duc });
      assert.equal(badCursor.status, 400);
      assert.equal(problem(badCursor).code, 'VALIDATION_FAILED');
      const badLimit = await h.http('GET', '/api/v1/queue?limit=5000', { token: tokens.duc });
      assert.equal(badLimit.status, 400);
    });

    test('content: ETag is the SHA-256, If-None-Match gives 304, single ranges give 206', async () => {
      const { id, pdf } = await h.createDoc({ steps: [[['duc', 'approval']]] });
      const etag = `"${sha256Hex(pdf)}"`;
      const full = await content('duc', id);
      assert.equal(full.status, 200);
      assert.equal(full.headers.etag, etag);
      assert.equal(full.headers['content-type'], 'application/pdf');
      assert.equal(full.headers['accept-ranges'], 'bytes');
      assert.equal(full.headers['x-document-version'], '1');
      assert.deepEqual(full.body, pdf);

      const notModified = await content('duc', id, { 'if-none-match': etag });
      assert.equal(notModified.status, 304);
      assert.equal(notModified.body.length, 0);
      assert.equal((await content('duc', id, { 'if-none-match': '"0000"' })).status, 200);

      const part = await content('duc', id, { range: 'bytes=0-9' });
      assert.equal(part.status, 206);
      assert.equal(part.headers['content-range'], `bytes 0-9/${pdf.length}`);
      assert.deepEqual(part.body, pdf.subarray(0, 10));
      const tail = await content('duc', id, { range: 'bytes=-6' });
      assert.deepEqual(tail.body, pdf.subarray(pdf.length - 6));
      const open = await content('duc', id, { range: `bytes=${pdf.length - 3}-` });
      assert.deepEqual(open.body, pdf.subarray(pdf.length - 3));
      const beyond = await content('duc', id, { range: `bytes=${pdf.length}-` });
      assert.equal(beyond.status, 416);
      assert.equal(beyond.headers['content-range'], `bytes */${pdf.length}`);
      const stale = await content('duc', id, { range: 'bytes=0-9', 'if-range': '"other"' });
      assert.equal(stale.status, 200, 'If-Range with another ETag sends the whole file');
      const multi = await content('duc', id, { range: 'bytes=0-1,5-6' });
      assert.equal(multi.status, 200);

      await signStep('duc', id, 1);
      const v1 = await content('duc', id, {}, '?version=1');
      assert.deepEqual(v1.body, pdf);
      const v2 = await content('duc', id);
      assert.equal(v2.headers['x-document-version'], '2');
      assert.equal((await content('duc', id, {}, '?version=9')).status, 404);
    });

    test('upload: an idempotent retry returns the same answer and creates one version', async () => {
      const { id, pdf } = await h.createDoc({ steps: [[['duc', 'approval']], [['lan', 'issue']]] });
      const body = await h.inspector.signedUpload(pdf, { newSignatures: [sig('duc')], errors: [] });
      const first = await upload('duc', id, body, '1', 'retry-key-0001');
      assert.equal(first.status, 201);
      const res = first.json<UploadResponse>();
      assert.equal(res.version, 2);
      assert.equal(res.sha256, sha256Hex(body));
      assert.equal(first.headers.etag, `"${res.sha256}"`);

      const again = await upload('duc', id, body, '1', 'retry-key-0001');
      assert.equal(again.status, 201);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.deepEqual(again.json(), res);

      const other = await h.inspector.signedUpload(pdf, { newSignatures: [sig('duc')], errors: [] });
      const reused = await upload('duc', id, other, '1', 'retry-key-0001');
      assert.equal(reused.status, 422);
      assert.equal(problem(reused).code, 'IDEMPOTENCY_KEY_REUSED');

      const versions = await h.db.query<{ n: number }>(
        'SELECT COUNT(*) AS n FROM document_versions WHERE document_id = ?',
        [id],
      );
      assert.equal(versions[0]!.n, 2);
      const sigs = await h.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM signatures WHERE document_id = ?', [id]);
      assert.equal(sigs[0]!.n, 1);
      // The inspector ran on the bytes after the version the server sent.
      assert.equal(h.inspector.calls.at(-1)!.priorLength, pdf.length);

      // Concurrent duplicates (a client retrying while the first is still in flight).
      const d2 = await h.createDoc({ steps: [[['duc', 'approval']]] });
      const b2 = await h.inspector.signedUpload(d2.pdf, { newSignatures: [sig('duc')], errors: [] });
      const both = await Promise.all([
        upload('duc', d2.id, b2, '1', 'parallel-key-01'),
        upload('duc', d2.id, b2, '1', 'parallel-key-01'),
        upload('duc', d2.id, b2, '1', 'parallel-key-01'),
      ]);
      for (const r of both) assert.equal(r.status, 201, r.body.toString());
      assert.equal(new Set(both.map((r) => r.body.toString())).size, 1);
      const v = await h.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM document_versions WHERE document_id = ?', [
        d2.id,
      ]);
      assert.equal(v[0]!.n, 2);
      // The document went to 06 (no step left) and the feed says so.
      const entry = (await queueAll('duc')).items.find((e) => e.item.documentId === d2.id)!;
      assert.equal(entry.item.status, '06');
      assert.equal(entry.item.assignmentState, 'done');
    });

    test('upload: headers, media type, size limit, stale version and non-prefix files are refused', async () => {
      const { id, pdf } = await h.createDoc({ steps: [[['duc', 'approval']]] });
      const good = await h.inspector.signedUpload(pdf, { newSignatures: [sig('duc')], errors: [] });

      const noKey = await upload('duc', id, good, '1', null);
      assert.equal(noKey.status, 400);
      assert.equal(problem(noKey).code, 'IDEMPOTENCY_KEY_REQUIRED');
      const shortKey = await upload('duc', id, good, '1', 'short');
      assert.equal(problem(shortKey).code, 'IDEMPOTENCY_KEY_REQUIRED');
      const noMatch = await upload('duc', id, good, null, 'key-no-if-match');
      assert.equal(noMatch.status, 428);
      assert.equal(problem(noMatch).code, 'PRECONDITION_REQUIRED');
      const badMatch = await upload('duc', id, good, 'abc', 'key-bad-if-match');
      assert.equal(badMatch.status, 400);

      const json = await h.http('POST', `/api/v1/documents/${id}/signed`, {
        token: tokens.duc,
        headers: { 'content-type': 'application/json', 'if-match': '1', 'idempotency-key': 'key-json-body' },
        body: '{}',
      });
      assert.equal(json.status, 415);

      const huge = Buffer.concat([pdf, Buffer.alloc(200 * 1024, 0x20)]);
      const tooBig = await upload('duc', id, huge, '1', 'key-too-big');
      assert.equal(tooBig.status, 413);
      assert.equal(problem(tooBig).code, 'PAYLOAD_TOO_LARGE');

      const future = await upload('duc', id, good, '2', 'key-future');
      assert.equal(future.status, 409);
      assert.equal(problem(future).code, 'VERSION_CONFLICT');

      // Rewritten: same length and signature facts, one byte of the original changed.
      const rewritten = Buffer.from(good);
      rewritten[20] = rewritten[20]! ^ 0x01;
      await h.inspector.signedUpload(rewritten.subarray(0, pdf.length), { newSignatures: [], errors: [] });
      const rw = await upload('duc', id, rewritten, '1', 'key-rewritten');
      assert.equal(rw.status, 422);
      assert.equal(problem(rw).code, 'NOT_INCREMENTAL');
      const truncated = await upload('duc', id, pdf.subarray(0, pdf.length - 10), '1', 'key-truncated');
      assert.equal(problem(truncated).code, 'NOT_INCREMENTAL');
      const same = await upload('duc', id, pdf, '1', 'key-unchanged');
      assert.equal(problem(same).code, 'NOT_INCREMENTAL', 'the unchanged file adds nothing');

      assert.equal((await upload('duc', id, good, '1', 'key-good-one')).status, 201);
      // The version moved on: uploading on the old one again is a conflict, not a second version.
      const stale = await h.inspector.signedUpload(pdf, { newSignatures: [sig('duc')], errors: [] });
      const conflict = await upload('duc', id, stale, '1', 'key-stale-one');
      assert.equal(conflict.status, 409);
      assert.equal(problem(conflict).code, 'VERSION_CONFLICT');
      assert.equal(problem(conflict).params?.current, 2);
      // And the task is done: a correct next-version upload has nothing to complete.
      const v2 = (await content('duc', id)).body;
      const extra = await h.inspector.signedUpload(v2, { newSignatures: [sig('duc')], errors: [] });
      const done = await upload('duc', id, extra, '2', 'key-after-done');
      assert.equal(done.status, 409);
      assert.equal(problem(done).code, 'ASSIGNMENT_NOT_OPEN');
    });

    test('upload rules (facts from the stand-in inspector): bad signature, wrong signer, counts, kinds', async () => {
      const { id, pdf } = await h.createDoc({ steps: [[['duc', 'approval']]] });
      const cases: [string, Parameters<typeof h.inspector.signedUpload>[1], string][] = [
        ['invalid', { newSignatures: [sig('duc', { valid: false })], errors: [] }, 'SIGNATURE_INVALID'],
        [
          'engine error',
          { newSignatures: [sig('duc')], errors: ['ByteRange does not cover the file'] },
          'SIGNATURE_INVALID',
        ],
        ['wrong signer', { newSignatures: [sig('tuan')], errors: [] }, 'WRONG_SIGNER'],
        [
          'unknown cert',
          { newSignatures: [sig('duc', { signerCertSha256: 'ab'.repeat(32) })], errors: [] },
          'WRONG_SIGNER',
        ],
        ['none', { newSignatures: [], errors: [] }, 'SIGNATURE_COUNT'],
        ['two', { newSignatures: [sig('duc'), sig('duc')], errors: [] }, 'SIGNATURE_COUNT'],
        [
          'organisation kind for approval',
          { newSignatures: [sig('duc', { signerKind: 'organisation' })], errors: [] },
          'SIGNER_KIND_MISMATCH',
        ],
      ];
      for (const [name, facts, code] of cases) {
        const body = await h.inspector.signedUpload(pdf, facts);
        const r = await upload('duc', id, body, '1', `rule-${name.replaceAll(' ', '-')}`);
        assert.equal(r.status, 422, name);
        const p = problem(r);
        assert.equal(p.code, code, name);
        assert.ok(p.message.vi.length > 0 && p.message.en.length > 0);
      }
      const withErrors = await upload(
        'duc',
        id,
        await h.inspector.signedUpload(pdf, {
          newSignatures: [sig('duc')],
          errors: ['ByteRange does not cover the file'],
        }),
        '1',
        'rule-errors-listed',
      );
      assert.deepEqual(problem(withErrors).errors, ['ByteRange does not cover the file']);
      const versions = await h.db.query<{ n: number }>(
        'SELECT COUNT(*) AS n FROM document_versions WHERE document_id = ?',
        [id],
      );
      assert.equal(versions[0]!.n, 1, 'no refused upload created a version');
    });

    test('issuing order: organisation signature only after a competent approval and the register number', async () => {
      // Straight to the clerk: no competent signature exists.
      const bare = await h.createDoc({ steps: [[['lan', 'issue']]] });
      const orgOnly = await h.inspector.signedUpload(bare.pdf, { newSignatures: [sig('lan')], errors: [] });
      const r1 = await upload('lan', bare.id, orgOnly, '1', 'issue-without-competent');
      assert.equal(r1.status, 422);
      assert.equal(problem(r1).code, 'COMPETENT_SIGNATURE_MISSING');
      const n0 = await h.http('POST', `/api/v1/documents/${bare.id}/issue-number`, { token: tokens.lan });
      assert.equal(n0.status, 422);
      assert.equal(problem(n0).code, 'COMPETENT_SIGNATURE_MISSING');

      // An approval by a drafter's personal signature is not a competent one.
      const drafted = await h.createDoc({ steps: [[['huong', 'initials']], [['lan', 'issue']]] });
      await signStep('huong', drafted.id, 1);
      const v2 = (await content('lan', drafted.id)).body;
      const r2 = await upload(
        'lan',
        drafted.id,
        await h.inspector.signedUpload(v2, { newSignatures: [sig('lan')], errors: [] }),
        '2',
        'issue-after-initials',
      );
      assert.equal(problem(r2).code, 'COMPETENT_SIGNATURE_MISSING');

      // The full order: leader approves → clerk gets the number → clerk signs as the organisation.
      const full = await h.createDoc({ steps: [[['duc', 'approval']], [['lan', 'issue']]], docType: 'QĐ' });
      assert.equal(
        (await h.http('POST', `/api/v1/documents/${full.id}/issue-number`, { token: tokens.lan })).status,
        404,
        'not the clerk’s turn yet: invisible',
      );
      await signStep('duc', full.id, 1);
      const approved = (await content('lan', full.id)).body;
      const early = await upload(
        'lan',
        full.id,
        await h.inspector.signedUpload(approved, { newSignatures: [sig('lan')], errors: [] }),
        '2',
        'issue-before-number',
      );
      assert.equal(problem(early).code, 'NUMBER_NOT_ALLOCATED');
      const personal = await upload(
        'lan',
        full.id,
        await h.inspector.signedUpload(approved, {
          newSignatures: [sig('lan', { signerKind: 'personal' })],
          errors: [],
        }),
        '2',
        'issue-personal-kind',
      );
      assert.equal(problem(personal).code, 'SIGNER_KIND_MISMATCH');
      const notClerk = await h.http('POST', `/api/v1/documents/${full.id}/issue-number`, { token: tokens.duc });
      assert.equal(notClerk.status, 403);
      const num = await h.http('POST', `/api/v1/documents/${full.id}/issue-number`, { token: tokens.lan });
      assert.equal(num.status, 201);
      const n = num.json<IssueNumberResponse>();
      assert.match(n.notation, /^\d{2,}\/QĐ-BTC$/);
      const feed = (await queueAll('lan')).items.find((e) => e.item.documentId === full.id)!;
      assert.equal(feed.item.notation, n.notation);
      assert.equal(feed.item.issuedDate, n.issuedDate);
      const { res } = await signStep('lan', full.id, 2);
      assert.equal(res.version, 3);
      assert.equal(res.status, '06');
    });

    test('number registers: 50 concurrent allocations give 50 distinct consecutive numbers', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 50; i++) {
        const d = await h.createDoc({
          steps: [[['duc', 'approval']], [['lan', 'issue']]],
          docType: i % 2 ? 'CV' : 'QĐ',
        });
        ids.push(d.id);
      }
      // The approvals are recorded directly (50 signed uploads would test nothing new here).
      await h.db.transaction(async (tx) => {
        for (const id of ids) {
          const a = await tx.query<{ id: number }>(
            "SELECT id FROM assignments WHERE document_id = ? AND action = 'approval'",
            [id],
          );
          await tx.exec(
            `INSERT INTO signatures (document_id, version, assignment_id, user_id, signer_cert_sha256, signer_kind, signer_role, action, created_at)
             VALUES (?, 1, ?, ?, ?, 'personal', 'leader', 'approval', ?)`,
            [id, a[0]!.id, h.users.duc, certOf.duc, Date.now()],
          );
          await tx.exec("UPDATE assignments SET state = 'done' WHERE id = ?", [a[0]!.id]);
          await openNextStep(tx, id, Date.now());
        }
      });
      const results = await Promise.all(
        ids.map((id) => h.http('POST', `/api/v1/documents/${id}/issue-number`, { token: tokens.lan })),
      );
      for (const r of results) assert.equal(r.status, 201, r.body.toString());
      const nums = results.map((r) => r.json<IssueNumberResponse>());
      const sorted = nums.map((n) => n.number).sort((a, b) => a - b);
      assert.equal(new Set(sorted).size, 50);
      for (let i = 1; i < sorted.length; i++) assert.equal(sorted[i], sorted[0]! + i, 'consecutive, no gaps');
      for (const n of nums) {
        const suffix = n.notation.split('/')[1];
        assert.ok(suffix === 'QĐ-BTC' || suffix === 'BTC-VP', n.notation);
        assert.equal(n.notation.split('/')[0], n.number < 10 ? `0${n.number}` : String(n.number));
      }
      // Asking again returns the number already given.
      const again = await h.http('POST', `/api/v1/documents/${ids[0]}/issue-number`, { token: tokens.lan });
      assert.equal(again.status, 200);
      assert.deepEqual(again.json(), nums[0]);

      // A document type the register has no notation for.
      const nq = await h.createDoc({ steps: [[['duc', 'approval']], [['lan', 'issue']]], docType: 'NQ' });
      await signStep('duc', nq.id, 1);
      const none = await h.http('POST', `/api/v1/documents/${nq.id}/issue-number`, { token: tokens.lan });
      assert.equal(none.status, 422);
      assert.equal(problem(none).code, 'NO_REGISTER');
    });

    test('number registers restart on 1 January, Vietnam time', async () => {
      const make = async () => {
        const d = await h.createDoc({ steps: [[['duc', 'approval']], [['lan', 'issue']]], docType: 'TTr' });
        await signStep('duc', d.id, 1);
        return d.id;
      };
      const [a, b, c] = [await make(), await make(), await make()];
      try {
        // 2029-12-31 23:59:00 in Hà Nội is 16:59 UTC.
        h.clock.fixed = Date.parse('2029-12-31T16:59:00Z');
        tokens.lan = await h.login('lan');
        const na = (
          await h.http('POST', `/api/v1/documents/${a}/issue-number`, { token: tokens.lan })
        ).json<IssueNumberResponse>();
        const nb = (
          await h.http('POST', `/api/v1/documents/${b}/issue-number`, { token: tokens.lan })
        ).json<IssueNumberResponse>();
        assert.deepEqual([na.number, na.year, na.issuedDate, na.notation], [1, 2029, '2029-12-31', '01/TTr-BTC']);
        assert.equal(nb.number, 2);
        // 17:00:30 UTC is already 1 January 2030 in Hà Nội.
        h.clock.fixed = Date.parse('2029-12-31T17:00:30Z');
        const nc = (
          await h.http('POST', `/api/v1/documents/${c}/issue-number`, { token: tokens.lan })
        ).json<IssueNumberResponse>();
        assert.deepEqual([nc.number, nc.year, nc.issuedDate], [1, 2030, '2030-01-01']);
      } finally {
        h.clock.fixed = null;
        tokens.lan = await h.login('lan');
      }
    });

    test('recall: the feed says recalled, uploads get 409 with the reason, only admin or drafter may recall', async () => {
      const { id, pdf } = await h.createDoc({ steps: [[['duc', 'approval']]], createdBy: 'huong' });
      const cursor = (await queueAll('duc')).nextCursor;
      const byLeader = await h.http('POST', `/api/v1/documents/${id}/recall`, {
        token: tokens.duc,
        body: { reason: 'x' },
      });
      assert.equal(byLeader.status, 403);
      const otherOrg = await h.http('POST', `/api/v1/documents/${id}/recall`, {
        token: tokens.binhadmin,
        body: { reason: 'x' },
      });
      assert.equal(otherOrg.status, 404);
      const otherDrafter = await h.createDoc({ steps: [[['duc', 'approval']]], createdBy: 'quantri' });
      assert.equal(
        (
          await h.http('POST', `/api/v1/documents/${otherDrafter.id}/recall`, {
            token: tokens.huong,
            body: { reason: 'x' },
          })
        ).status,
        404,
      );
      const empty = await h.http('POST', `/api/v1/documents/${id}/recall`, {
        token: tokens.huong,
        body: { reason: '' },
      });
      assert.equal(empty.status, 400);

      const reason = 'Ban hành nhầm, sẽ thay thế';
      const r = await h.http('POST', `/api/v1/documents/${id}/recall`, { token: tokens.huong, body: { reason } });
      assert.equal(r.status, 200);
      assert.deepEqual(r.json(), { documentId: id, status: '13' });
      const delta = await queueAll('duc', cursor);
      const e = delta.items.find((x) => x.item.documentId === id)!;
      assert.equal(e.change, 'recalled');
      assert.equal(e.item.status, '13');
      assert.equal(e.item.recallReason, reason);

      const body = await h.inspector.signedUpload(pdf, { newSignatures: [sig('duc')], errors: [] });
      const up = await upload('duc', id, body, '1', 'upload-recalled');
      assert.equal(up.status, 409);
      const p = problem(up);
      assert.equal(p.code, 'DOCUMENT_RECALLED');
      assert.ok(p.message.vi.includes(reason));
      // An administrator of the organisation may recall any of its documents.
      assert.equal(
        (
          await h.http('POST', `/api/v1/documents/${otherDrafter.id}/recall`, {
            token: tokens.quantri,
            body: { reason: 'thu hồi' },
          })
        ).status,
        200,
      );
    });

    test('removal: an administrator takes a task away; the feed says removed and the next step opens', async () => {
      const { id } = await h.createDoc({ steps: [[['tuan', 'approval']], [['duc', 'approval']]] });
      const tuanFeed = await queueAll('tuan');
      const mine = tuanFeed.items.find((e) => e.item.documentId === id)!;
      const ducCursor = (await queueAll('duc')).nextCursor;
      assert.equal(
        (await h.http('DELETE', `/api/v1/admin/assignments/${mine.item.id}`, { token: tokens.duc })).status,
        403,
      );
      assert.equal(
        (await h.http('DELETE', `/api/v1/admin/assignments/${mine.item.id}`, { token: tokens.binhadmin })).status,
        404,
      );
      assert.equal(
        (await h.http('DELETE', `/api/v1/admin/assignments/${mine.item.id}`, { token: tokens.quantri })).status,
        204,
      );
      const delta = await queueAll('tuan', tuanFeed.nextCursor);
      assert.deepEqual(
        delta.items.map((e) => [e.change, e.item.documentId, e.item.assignmentState]),
        [['removed', id, 'removed']],
      );
      assert.ok(!(await queueAll('tuan')).items.some((e) => e.item.documentId === id), 'not in a fresh initial sync');
      assert.equal((await content('tuan', id)).status, 404, 'no longer visible');
      const next = await queueAll('duc', ducCursor);
      assert.deepEqual(
        next.items.map((e) => [e.change, e.item.documentId]),
        [['new', id]],
      );
    });

    test('authorisation: another user’s or organisation’s document is invisible and unmodifiable', async () => {
      const tuanDoc = await h.createDoc({ steps: [[['tuan', 'approval']]] });
      const foreign = await h.createDoc({ steps: [[['binh', 'approval']]], org: { ...ORG_B } });
      const missing = 'no-such-document';
      const notFoundBody = problem(await content('duc', missing));
      for (const [user, id] of [
        ['duc', tuanDoc.id],
        ['duc', foreign.id],
        ['binh', tuanDoc.id],
        ['lan', tuanDoc.id],
      ] as const) {
        const c = await content(user, id);
        assert.equal(c.status, 404, `${user} content`);
        assert.deepEqual(problem(c), notFoundBody, 'indistinguishable from a missing id');
        const body = await h.inspector.signedUpload(tuanDoc.pdf, { newSignatures: [sig('duc')], errors: [] });
        assert.equal((await upload(user, id, body, '1', `authz-${user}-${id.slice(0, 8)}`)).status, 404);
        assert.equal((await h.http('GET', `/api/v1/documents/${id}/directives`, { token: tokens[user] })).status, 404);
        assert.equal(
          (
            await h.http('POST', `/api/v1/documents/${id}/directives`, {
              token: tokens[user],
              body: { text: 'x', recipientUnitId: h.units.office },
            })
          ).status,
          404,
        );
        assert.equal(
          (await h.http('POST', `/api/v1/documents/${id}/issue-number`, { token: tokens[user] })).status,
          404,
        );
      }
      // Nothing changed, and the feeds stay apart.
      const v = await h.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM document_versions WHERE document_id = ?', [
        tuanDoc.id,
      ]);
      assert.equal(v[0]!.n, 1);
      const ducFeed = (await queueAll('duc')).items.map((e) => e.item.documentId);
      assert.ok(!ducFeed.includes(tuanDoc.id) && !ducFeed.includes(foreign.id));
      const binhFeed = (await queueAll('binh')).items.map((e) => e.item.documentId);
      assert.deepEqual(binhFeed, [foreign.id]);
      assert.equal((await content('tuan', tuanDoc.id)).status, 200);
    });

    test('directives (bút phê): a leader records them; others read; recipients stay in the organisation', async () => {
      const { id } = await h.createDoc({
        steps: [
          [
            ['duc', 'directive'],
            ['huong', 'initials'],
          ],
        ],
        docType: 'CV',
      });
      const created = await h.http('POST', `/api/v1/documents/${id}/directives`, {
        token: tokens.duc,
        body: {
          recipientUnitId: h.units.legal,
          text: 'Giao Vụ Pháp chế chủ trì, báo cáo trước ngày 15/12.',
          deadline: '2026-12-15',
        },
      });
      assert.equal(created.status, 201);
      const d = created.json<{ id: number; status: string; recipientUnitId: number; authorUserId: number }>();
      assert.equal(d.status, 'open');
      assert.equal(d.authorUserId, h.users.duc);
      await h.http('POST', `/api/v1/documents/${id}/directives`, {
        token: tokens.duc,
        body: { recipientUserId: h.users.huong, text: 'Đồng chí Hương theo dõi.', status: 'in_progress' },
      });
      const list = await h.http('GET', `/api/v1/documents/${id}/directives`, { token: tokens.huong });
      assert.equal(list.status, 200);
      const items = list.json<{ items: { text: string; deadline: string | null }[] }>().items;
      assert.equal(items.length, 2);
      assert.equal(items[0]!.deadline, '2026-12-15');

      const byDrafter = await h.http('POST', `/api/v1/documents/${id}/directives`, {
        token: tokens.huong,
        body: { recipientUnitId: h.units.legal, text: 'x' },
      });
      assert.equal(byDrafter.status, 403);
      const foreignUnit = await h.http('POST', `/api/v1/documents/${id}/directives`, {
        token: tokens.duc,
        body: { recipientUnitId: h.units.otherOrg, text: 'x' },
      });
      assert.equal(foreignUnit.status, 422);
      const noRecipient = await h.http('POST', `/api/v1/documents/${id}/directives`, {
        token: tokens.duc,
        body: { text: 'x' },
      });
      assert.equal(noRecipient.status, 400);
      const extraField = await h.http('POST', `/api/v1/documents/${id}/directives`, {
        token: tokens.duc,
        body: { text: 'x', recipientUnitId: h.units.legal, admin: true },
      });
      assert.equal(extraField.status, 400);
      const notJson = await h.http('POST', `/api/v1/documents/${id}/directives`, {
        token: tokens.duc,
        headers: { 'content-type': 'application/json' },
        body: '{oops',
      });
      assert.equal(notJson.status, 400);
      const bigBody = await h.http('POST', `/api/v1/documents/${id}/directives`, {
        token: tokens.duc,
        body: { text: 'x'.repeat(70 * 1024), recipientUnitId: h.units.legal },
      });
      assert.equal(bigBody.status, 413);
    });

    test('audit log records who did what to which document, and failures', async () => {
      const rows = await h.db.query<{
        user_id: number | null;
        action: string;
        document_id: string | null;
        status: number;
        result: string;
      }>('SELECT user_id, action, document_id, status, result FROM audit_log ORDER BY id');
      const uploads = rows.filter((r) => r.action === 'document.upload');
      assert.ok(
        uploads.some((r) => r.status === 201 && r.result === 'ok' && r.user_id === h.users.duc && r.document_id),
      );
      assert.ok(uploads.some((r) => r.result === 'NOT_INCREMENTAL'));
      assert.ok(rows.some((r) => r.action === 'document.recall' && r.status === 200));
      assert.ok(rows.some((r) => r.action === 'document.content' && r.status === 404 && r.user_id !== null));
      assert.ok(rows.some((r) => r.action === 'auth.password' && r.status === 200));
      assert.ok(!rows.some((r) => r.action === 'queue.read' && r.status === 200), 'successful polls are not audited');
    });
  });
}
