/**
 * The changes feed's sequence. One counter row, incremented with UPDATE … RETURNING inside the
 * writing transaction: the row lock is held until commit, so sequence numbers become visible in
 * commit order. (A PostgreSQL SEQUENCE would not give that: a transaction holding 10 may commit
 * after one holding 11, and a client that already read up to 11 would never see 10.) Every
 * changed assignment gets its own number, so a page boundary never splits one change.
 */
import type { Queryable } from '../db/adapter.js';
import { one } from '../db/adapter.js';

export async function nextSeq(tx: Queryable): Promise<number> {
  const r = await one<{ value: number }>(
    tx,
    "UPDATE counters SET value = value + 1 WHERE name = 'change' RETURNING value",
  );
  if (!r) throw new Error('change counter missing');
  return r.value;
}

/** Every visible assignment on the document shows up again in its user's feed. */
export async function touchDocument(tx: Queryable, documentId: string, now: number): Promise<void> {
  const rows = await tx.query<{ id: number }>(
    "SELECT id FROM assignments WHERE document_id = ? AND state IN ('open', 'done') ORDER BY id",
    [documentId],
  );
  for (const r of rows) {
    await tx.exec('UPDATE assignments SET change_seq = ?, updated_at = ? WHERE id = ?', [await nextSeq(tx), now, r.id]);
  }
}

/**
 * Workflow steps: assignments of step N wait (invisible) until every assignment of the earlier
 * steps is done, then they open and appear as "new" in their users' feeds.
 */
export async function openNextStep(tx: Queryable, documentId: string, now: number): Promise<number[]> {
  const open = await tx.query<{ n: number }>(
    "SELECT COUNT(*) AS n FROM assignments WHERE document_id = ? AND state = 'open'",
    [documentId],
  );
  if ((open[0]?.n ?? 0) > 0) return [];
  const next = await one<{ step: number | null }>(
    tx,
    "SELECT MIN(step) AS step FROM assignments WHERE document_id = ? AND state = 'waiting'",
    [documentId],
  );
  if (next?.step === null || next?.step === undefined) return [];
  const rows = await tx.query<{ id: number }>(
    "SELECT id FROM assignments WHERE document_id = ? AND state = 'waiting' AND step = ? ORDER BY id",
    [documentId, next.step],
  );
  for (const r of rows) {
    const seq = await nextSeq(tx);
    await tx.exec(
      "UPDATE assignments SET state = 'open', visible_seq = ?, change_seq = ?, updated_at = ? WHERE id = ?",
      [seq, seq, now, r.id],
    );
  }
  return rows.map((r) => r.id);
}
