/** Directives (bút phê, Decree 30 art. 23.4): recipient unit or person, text, status, deadline. */
import type { Queryable } from '../db/adapter.js';
import { one } from '../db/adapter.js';
import type { Directive, DirectiveCreateRequest, DirectiveStatus } from '../../src-shared/api/sync-types.js';
import type { AuthUser } from '../auth/sessions.js';
import { ServerError } from '../errors.js';

interface DirectiveRow {
  id: number;
  document_id: string;
  author_user_id: number;
  recipient_unit_id: number | null;
  recipient_user_id: number | null;
  text: string;
  status: string;
  deadline: string | null;
  created_at: number;
}

function toDirective(r: DirectiveRow): Directive {
  return {
    id: r.id,
    documentId: r.document_id,
    authorUserId: r.author_user_id,
    recipientUnitId: r.recipient_unit_id,
    recipientUserId: r.recipient_user_id,
    text: r.text,
    status: r.status as DirectiveStatus,
    deadline: r.deadline,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

export async function createDirective(
  q: Queryable,
  user: AuthUser,
  documentId: string,
  d: DirectiveCreateRequest,
  now: number,
): Promise<Directive> {
  if (user.role !== 'leader') throw new ServerError(403, 'FORBIDDEN');
  // Recipients must be of the leader's own organisation; others are reported as invalid, not found.
  if (d.recipientUnitId !== undefined) {
    const u = await one(q, 'SELECT 1 AS x FROM units WHERE id = ? AND org_id = ?', [d.recipientUnitId, user.orgId]);
    if (!u) throw new ServerError(422, 'VALIDATION_FAILED', { detail: 'recipientUnitId' });
  }
  if (d.recipientUserId !== undefined) {
    const u = await one(q, 'SELECT 1 AS x FROM users WHERE id = ? AND org_id = ?', [d.recipientUserId, user.orgId]);
    if (!u) throw new ServerError(422, 'VALIDATION_FAILED', { detail: 'recipientUserId' });
  }
  const row = await one<DirectiveRow>(
    q,
    `INSERT INTO directives (document_id, author_user_id, recipient_unit_id, recipient_user_id, text, status,
       deadline, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    [
      documentId,
      user.id,
      d.recipientUnitId ?? null,
      d.recipientUserId ?? null,
      d.text,
      d.status ?? 'open',
      d.deadline ?? null,
      now,
      now,
    ],
  );
  return toDirective(row!);
}

export async function listDirectives(q: Queryable, documentId: string): Promise<Directive[]> {
  const rows = await q.query<DirectiveRow>('SELECT * FROM directives WHERE document_id = ? ORDER BY id', [documentId]);
  return rows.map(toDirective);
}
