// The audit journal's hash chain: every kind of tampering is detected, and where. Every entry
// the client makes fits the server's wire schema; the push bookkeeping's states.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  entryHash,
  JOURNAL_TEXT_LIMITS,
  makeEntry,
  verifyJournal,
  type JournalEntry,
  type JournalEvent,
  type JournalRecord,
} from '../../src-core/sync/audit-journal.js';
import {
  journalSyncStatus,
  readJournalSync,
  resetJournalDevice,
  retryJournalNow,
  type JournalSyncRecord,
} from '../../src-core/sync/journal-push.js';
import { LocalStore } from '../../src-core/sync/local-store.js';
import type { Account } from '../../src-core/sync/types.js';
import { JournalEntryWire, JournalPushRequest } from '../../src-shared/api/journal-types.js';

function record(i: number): JournalRecord {
  return {
    event: i % 2 ? 'uploaded' : 'signed',
    outboxId: `o-${i}`,
    documentId: `doc-${i}`,
    assignmentId: i,
    baseVersion: 1,
    sha256: 'ab'.repeat(32),
    certificateSha256: 'cd'.repeat(32),
    certificateSubject: 'CN=Nguyễn Văn Đức',
    level: 'B-B',
  };
}

function chain(n: number): JournalEntry[] {
  const out: JournalEntry[] = [];
  for (let i = 0; i < n; i++) out.push(makeEntry(out[i - 1] ?? null, record(i), new Date(1_800_000_000_000 + i)));
  return out;
}

test('an untouched chain verifies, with its head', () => {
  const c = chain(6);
  const v = verifyJournal(c, { count: 6, hash: c[5]!.hash });
  assert.deepEqual(v, { ok: true, entries: 6, headHash: c[5]!.hash, problems: [] });
  assert.equal(c[0]!.prevHash, '0'.repeat(64));
  assert.equal(c[3]!.prevHash, c[2]!.hash);
});

test('a modified entry is detected at that entry', () => {
  const c = chain(5);
  const bad = c.map((e) => ({ ...e }));
  bad[2] = { ...bad[2]!, documentId: 'someone-else' };
  const v = verifyJournal(bad);
  assert.equal(v.ok, false);
  assert.deepEqual(
    v.problems.map((p) => [p.index, p.problem]),
    [[2, 'modified']],
  );
});

test('a modified entry with its hash recomputed breaks the next link', () => {
  const c = chain(5);
  const { hash: _h, ...body } = { ...c[1]!, detail: 'edited' };
  void _h;
  const forged = makeEntry(c[0]!, { ...body }, new Date(c[1]!.time));
  const bad = [c[0]!, forged, ...c.slice(2)];
  const v = verifyJournal(bad);
  assert.ok(v.problems.some((p) => p.index === 2 && p.problem === 'broken-link'));
});

test('a removed entry is detected (sequence gap and broken link)', () => {
  const c = chain(5);
  const v = verifyJournal([c[0]!, c[1]!, c[3]!, c[4]!]);
  assert.equal(v.ok, false);
  assert.deepEqual(v.problems.map((p) => [p.index, p.problem]).sort(), [
    [2, 'broken-link'],
    [2, 'sequence-gap'],
  ]);
});

test('reordered entries are detected', () => {
  const c = chain(4);
  const v = verifyJournal([c[0]!, c[2]!, c[1]!, c[3]!]);
  assert.equal(v.ok, false);
  assert.ok(v.problems.length >= 3);
});

test('a cut tail is visible only against the recorded head', () => {
  const c = chain(5);
  assert.equal(verifyJournal(c.slice(0, 3)).ok, true, 'a prefix is a valid chain by itself');
  const v = verifyJournal(c.slice(0, 3), { count: 5, hash: c[4]!.hash });
  assert.deepEqual(v.problems, [{ index: 3, seq: null, problem: 'head-mismatch' }]);
});

test('garbage in the journal is reported, not thrown', () => {
  const c = chain(2);
  const v = verifyJournal([c[0]!, null, c[1]!]);
  assert.equal(v.ok, false);
  assert.ok(v.problems.some((p) => p.problem === 'unreadable'));
});

test('every entry the client makes fits the server schema, and passes through it with its hash intact', () => {
  const events: JournalEvent[] = [
    'signed',
    'sign-failed',
    'interrupted',
    'upgraded',
    'uploaded',
    'conflict',
    'rejected',
    'discarded',
  ];
  const entries: JournalEntry[] = [];
  for (const [i, event] of events.entries()) {
    const rec: JournalRecord = {
      ...record(i),
      event,
      sha256: event === 'sign-failed' || event === 'interrupted' ? null : 'ab'.repeat(32),
      certificateSha256: i === 0 ? null : 'cd'.repeat(32),
      certificateSubject: i === 1 ? null : `CN=${'Nguyễn Văn Đức '.repeat(200)}`,
      level: event === 'upgraded' ? 'B-B+DSS+DocTS' : 'B-B',
      ...(event === 'uploaded' ? { serverVersion: 2 } : {}),
      ...(event === 'conflict' ? { detail: `DOCUMENT_RECALLED: ${'lý do thu hồi rất dài '.repeat(500)}` } : {}),
      ...(event === 'sign-failed' ? { detail: 'PIN_INCORRECT' } : {}),
      ...(event === 'rejected' ? { detail: null } : {}),
    };
    entries.push(makeEntry(entries[i - 1] ?? null, rec, new Date(1_800_000_000_000 + i)));
  }
  const long = entries.find((e) => e.event === 'conflict')!;
  assert.equal(long.detail!.length, JOURNAL_TEXT_LIMITS.detail, 'long texts are bounded before hashing');
  assert.ok(entries[0]!.certificateSubject!.length <= JOURNAL_TEXT_LIMITS.certificateSubject);
  assert.equal(verifyJournal(entries).ok, true);
  const wire = JournalPushRequest.safeParse({ deviceId: 'kyso-dev-0000-test', entries });
  assert.equal(wire.success, true, JSON.stringify(wire.error?.issues.slice(0, 3)));
  for (const e of entries) {
    const parsed = JournalEntryWire.parse(JSON.parse(JSON.stringify(e)));
    const { hash, ...body } = parsed;
    assert.equal(entryHash(body as Omit<JournalEntry, 'hash'>), hash, `${e.event}: same hash after the wire`);
  }
});

test('journal push bookkeeping: device binding, other account, retry of a refusal, fork kept, new device', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kyso-journal-unit-'));
  const store = LocalStore.open(dir);
  try {
    const duc: Account = { serverUrl: 'https://dms.example', userId: 7, username: 'duc', fullName: 'Đức' };
    const lan: Account = { ...duc, userId: 9, username: 'lan' };
    for (let i = 0; i < 3; i++) store.appendJournal(record(i), 1_800_000_000_000 + i);
    assert.deepEqual(journalSyncStatus(store, duc), {
      state: 'ok',
      entries: 3,
      acknowledged: 0,
      unsent: 3,
      deviceId: null,
      problem: null,
    });
    const first = resetJournalDevice(store, duc)!;
    assert.match(first, /^kyso-dev-/);
    const rec = readJournalSync(store)!;
    store.setSetting('journal.sync', {
      ...rec,
      ackSeq: 2,
      ackHash: store.journalHashAt(2)!,
    } satisfies JournalSyncRecord);
    assert.equal(journalSyncStatus(store, duc).unsent, 1);
    assert.equal(journalSyncStatus(store, lan).state, 'other-account', 'bound to the first account');

    const problem = { code: 'JOURNAL_REJECTED' as const, messageKey: 'sync.error.rejected' as const, params: {} };
    store.setSetting('journal.sync', { ...readJournalSync(store)!, state: 'rejected', problem });
    assert.equal(journalSyncStatus(store, duc).state, 'rejected');
    retryJournalNow(store);
    assert.equal(journalSyncStatus(store, duc).state, 'ok', '"sync now" tries a refusal again');

    store.setSetting('journal.sync', { ...readJournalSync(store)!, state: 'fork', problem });
    retryJournalNow(store);
    assert.equal(journalSyncStatus(store, duc).state, 'fork', 'a fork waits for a person');
    const second = resetJournalDevice(store, duc)!;
    assert.notEqual(second, first);
    assert.deepEqual(journalSyncStatus(store, duc), {
      state: 'ok',
      entries: 3,
      acknowledged: 0,
      unsent: 3,
      deviceId: second,
      problem: null,
    });
  } finally {
    store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
