/**
 * Documents, their versions and assignments, what a user may see, and the queue feed.
 *
 * Visibility: a user sees a document only when it belongs to their organisation and they hold a
 * visible (not waiting) assignment on it. Everything else answers 404, so ids of other people's
 * documents cannot even be confirmed to exist.
 */
import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/adapter.js';
import { one } from '../db/adapter.js';
import type {
  AssignmentState,
  DocumentStatus,
  QueueChange,
  QueueEntry,
  QueuePage,
  QueueItem,
  RequiredAction,
  Urgency,
} from '../../src-shared/api/sync-types.js';
import type { AuthUser } from '../auth/sessions.js';
import { notFound } from '../errors.js';
import type { BlobStore } from '../store/blob-store.js';
import { nextSeq, openNextStep, touchDocument } from './changes.js';

export interface DocumentRow {
  id: string;
  org_id: string;
  title: string;
  doc_type: string;
  sender_org_id: string;
  sender_name: string;
  urgency: number;
  due_at: number | null;
  status: string;
  current_version: number;
  register_id: number | null;
  number_year: number | null;
  number: number | null;
  notation: string | null;
  issued_date: string | null;
  recall_reason: string | null;
  created_by: number | null;
}

export interface VersionRow {
  document_id: string;
  version: number;
  sha256: string;
  size: number;
}

export interface NewDocument {
  id?: string;
  orgId: string;
  title: string;
  /** Register notation key: CV (công văn), QĐ (quyết định), TTr (tờ trình) … */
  docType: string;
  sender: { organisationId: string; name: string };
  urgency: Urgency;
  dueAt?: number | null;
  status?: DocumentStatus;
  registerId?: number | null;
  pdf: Uint8Array;
  createdBy: number | null;
  /** Steps run in ascending order; all assignments of one step are open together. */
  assignments: { userId: number; action: RequiredAction; step: number }[];
}

export async function createDocument(db: Db, blobs: BlobStore, d: NewDocument, now = Date.now()): Promise<string> {
  const id = d.id ?? randomUUID();
  const blob = await blobs.put(d.pdf);
  await db.transaction(async (tx) => {
    await tx.exec(
      `INSERT INTO documents (id, org_id, title, doc_type, sender_org_id, sender_name, urgency, due_at, status,
        current_version, register_id, created_by, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`,
      [
        id,
        d.orgId,
        d.title,
        d.docType,
        d.sender.organisationId,
        d.sender.name,
        d.urgency,
        d.dueAt ?? null,
        d.status ?? (d.assignments.length > 0 ? '05' : '04'),
        d.registerId ?? null,
        d.createdBy,
        now,
        now,
      ],
    );
    await tx.exec(
      'INSERT INTO document_versions (document_id, version, sha256, size, created_by, created_at) VALUES (?, 1, ?, ?, ?, ?)',
      [id, blob.sha256, blob.size, d.createdBy, now],
    );
    for (const a of d.assignments) {
      await tx.exec(
        `INSERT INTO assignments (document_id, user_id, action, step, state, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'waiting', ?, ?)`,
        [id, a.userId, a.action, a.step, now, now],
      );
    }
    await openNextStep(tx, id, now);
  });
  return id;
}

export async function findVisibleDocument(q: Queryable, user: AuthUser, documentId: string): Promise<DocumentRow> {
  const doc = await one<DocumentRow>(
    q,
    `SELECT d.* FROM documents d WHERE d.id = ? AND d.org_id = ? AND EXISTS (
       SELECT 1 FROM assignments a WHERE a.document_id = d.id AND a.user_id = ? AND a.state IN ('open', 'done'))`,
    [documentId, user.orgId, user.id],
  );
  if (!doc) throw notFound();
  return doc;
}

/** Documents an administrator or their drafter may manage (recall): same organisation. */
export async function findManageableDocument(q: Queryable, user: AuthUser, documentId: string): Promise<DocumentRow> {
  const doc = await one<DocumentRow>(q, 'SELECT * FROM documents WHERE id = ? AND org_id = ?', [
    documentId,
    user.orgId,
  ]);
  if (!doc) throw notFound();
  if (user.role === 'admin') return doc;
  const assigned = await one(
    q,
    "SELECT 1 AS x FROM assignments WHERE document_id = ? AND user_id = ? AND state IN ('open', 'done')",
    [documentId, user.id],
  );
  if (user.role === 'drafter' && (doc.created_by === user.id || assigned)) return doc;
  // Not theirs to manage: invisible unless they can see it anyway.
  if (!assigned) throw notFound();
  return doc;
}

export async function getVersion(q: Queryable, documentId: string, version: number): Promise<VersionRow | undefined> {
  return one<VersionRow>(q, 'SELECT * FROM document_versions WHERE document_id = ? AND version = ?', [
    documentId,
    version,
  ]);
}

export async function recallDocument(db: Db, documentId: string, reason: string, now: number): Promise<DocumentStatus> {
  return db.transaction(async (tx) => {
    await one(tx, `SELECT id FROM documents WHERE id = ?${tx.forUpdate}`, [documentId]);
    await tx.exec("UPDATE documents SET status = '13', recall_reason = ?, updated_at = ? WHERE id = ?", [
      reason,
      now,
      documentId,
    ]);
    // Waiting steps will never open now; they were never visible, so nothing to tell anyone.
    await tx.exec(
      "UPDATE assignments SET state = 'removed', updated_at = ? WHERE document_id = ? AND state = 'waiting'",
      [now, documentId],
    );
    await touchDocument(tx, documentId, now);
    return '13' as const;
  });
}

/**
 * Takes a task away from its user (reassignment, mistake): it shows up once more in their feed as
 * `removed`, and if it was the last open task of its step the next step opens.
 */
export async function removeAssignment(db: Db, user: AuthUser, assignmentId: number, now: number): Promise<void> {
  await db.transaction(async (tx) => {
    const a = await one<{ document_id: string; state: string }>(
      tx,
      `SELECT a.document_id, a.state FROM assignments a JOIN documents d ON d.id = a.document_id
       WHERE a.id = ? AND d.org_id = ?`,
      [assignmentId, user.orgId],
    );
    if (!a) throw notFound();
    await one(tx, `SELECT id FROM documents WHERE id = ?${tx.forUpdate}`, [a.document_id]);
    if (a.state === 'removed') return;
    // A waiting task was never shown, so it leaves no trace in the feed.
    const seq = a.state === 'waiting' ? null : await nextSeq(tx);
    await tx.exec(
      "UPDATE assignments SET state = 'removed', change_seq = COALESCE(?, change_seq), updated_at = ? WHERE id = ?",
      [seq, now, assignmentId],
    );
    await openNextStep(tx, a.document_id, now);
  });
}

interface FeedRow extends DocumentRow {
  a_id: number;
  a_action: string;
  a_state: string;
  a_visible_seq: number;
  a_change_seq: number;
  v_sha256: string;
  v_size: number;
}

function isoDate(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function toItem(r: FeedRow): QueueItem {
  return {
    id: r.a_id,
    documentId: r.id,
    version: r.current_version,
    title: r.title,
    docType: r.doc_type,
    number: r.number,
    notation: r.notation,
    issuedDate: r.issued_date,
    sender: { organisationId: r.sender_org_id, name: r.sender_name },
    urgency: r.urgency as Urgency,
    dueAt: isoDate(r.due_at),
    action: r.a_action as RequiredAction,
    status: r.status as DocumentStatus,
    assignmentState: r.a_state as AssignmentState,
    contentSha256: r.v_sha256,
    size: r.v_size,
    recallReason: r.recall_reason,
  };
}

function changeOf(r: FeedRow, since: number): QueueChange {
  if (r.a_state === 'removed') return 'removed';
  if (r.status === '13') return 'recalled';
  return r.a_visible_seq > since ? 'new' : 'updated';
}

export async function readQueue(q: Queryable, user: AuthUser, since: number, limit: number): Promise<QueuePage> {
  // One row more than asked tells whether another page exists, without a COUNT.
  const rows = await q.query<FeedRow>(
    `SELECT d.*, a.id AS a_id, a.action AS a_action, a.state AS a_state, a.visible_seq AS a_visible_seq,
            a.change_seq AS a_change_seq, v.sha256 AS v_sha256, v.size AS v_size
     FROM assignments a
     JOIN documents d ON d.id = a.document_id
     JOIN document_versions v ON v.document_id = d.id AND v.version = d.current_version
     WHERE a.user_id = ? AND d.org_id = ? AND a.change_seq > ? AND a.state <> 'waiting'
       AND (? > 0 OR a.state <> 'removed')
     ORDER BY a.change_seq
     LIMIT ?`,
    [user.id, user.orgId, since, since, limit + 1],
  );
  const hasMore = rows.length > limit;
  const page = hasMore ? rows.slice(0, limit) : rows;
  const items: QueueEntry[] = page.map((r) => ({
    change: changeOf(r, since),
    cursor: String(r.a_change_seq),
    item: toItem(r),
  }));
  const last = page[page.length - 1];
  return { items, nextCursor: String(last ? last.a_change_seq : since), hasMore };
}
