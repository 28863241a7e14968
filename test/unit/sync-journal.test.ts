// The audit journal's hash chain: every kind of tampering is detected, and where.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeEntry, verifyJournal, type JournalEntry, type JournalRecord } from '../../src-core/sync/audit-journal.js';

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
