/**
 * Audit log: who did what, when, to which document, and how it ended. Written by the router for
 * every request that changes something or reads a document, and for every failure; successful
 * queue polls are left out (hundreds per second, no information). Details never hold tokens,
 * passwords or signatures.
 */
import type { Queryable } from '../db/adapter.js';

export interface AuditEntry {
  at: number;
  userId: number | null;
  ip: string | null;
  action: string;
  documentId: string | null;
  status: number;
  result: string;
  detail: string | null;
}

export async function writeAudit(q: Queryable, e: AuditEntry): Promise<void> {
  await q.exec(
    `INSERT INTO audit_log (at, user_id, ip, action, document_id, status, result, detail)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [e.at, e.userId, e.ip, e.action, e.documentId, e.status, e.result, e.detail],
  );
}
