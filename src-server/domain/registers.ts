/**
 * Number registers (sổ văn bản đi). Each organisation keeps registers; each register counts per
 * calendar year (Vietnam time), restarting at 01 on 1 January (Decree 30 art. 15). Allocation is
 * one UPDATE … RETURNING on the (register, year) counter row inside the issuing transaction:
 * PostgreSQL holds the row lock until commit and SQLite's BEGIN IMMEDIATE excludes every other
 * writer, so concurrent clerks never get the same number and no number is skipped.
 */
import type { Db, Queryable } from '../db/adapter.js';
import { one } from '../db/adapter.js';
import type { IssueNumberResponse } from '../../src-shared/api/sync-types.js';
import type { AuthUser } from '../auth/sessions.js';
import { ServerError, notFound } from '../errors.js';
import { touchDocument } from './changes.js';
import type { DocumentRow } from './documents.js';

/** Vietnam has used UTC+7 without daylight saving since 1975. */
const VN_OFFSET_MS = 7 * 3600 * 1000;

export function vietnamDate(now: number): { date: string; year: number } {
  const date = new Date(now + VN_OFFSET_MS).toISOString().slice(0, 10);
  return { date, year: Number(date.slice(0, 4)) };
}

/** Decree 30: numbers below 10 are written with a leading zero (01 … 09). */
export function formatNumber(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export async function createRegister(
  q: Queryable,
  r: { orgId: string; code: string; name: string; notations: Record<string, string> },
): Promise<number> {
  const row = await one<{ id: number }>(
    q,
    'INSERT INTO registers (org_id, code, name, notations) VALUES (?, ?, ?, ?) RETURNING id',
    [r.orgId, r.code, r.name, JSON.stringify(r.notations)],
  );
  return row!.id;
}

export async function nextNumber(tx: Queryable, registerId: number, year: number): Promise<number> {
  await tx.exec(
    'INSERT INTO register_counters (register_id, year, last_number) VALUES (?, ?, 0) ON CONFLICT (register_id, year) DO NOTHING',
    [registerId, year],
  );
  const r = await one<{ last_number: number }>(
    tx,
    'UPDATE register_counters SET last_number = last_number + 1 WHERE register_id = ? AND year = ? RETURNING last_number',
    [registerId, year],
  );
  return r!.last_number;
}

async function registerFor(
  tx: Queryable,
  doc: DocumentRow,
): Promise<{ id: number; notations: Record<string, string> } | undefined> {
  const rows = await tx.query<{ id: number; notations: string }>(
    'SELECT id, notations FROM registers WHERE org_id = ? ORDER BY id',
    [doc.org_id],
  );
  for (const r of rows) {
    if (doc.register_id !== null && r.id !== doc.register_id) continue;
    const notations = JSON.parse(r.notations) as Record<string, string>;
    if (Object.prototype.hasOwnProperty.call(notations, doc.doc_type)) return { id: r.id, notations };
  }
  return undefined;
}

export async function hasCompetentApproval(tx: Queryable, documentId: string): Promise<boolean> {
  const r = await one(
    tx,
    `SELECT 1 AS x FROM signatures WHERE document_id = ? AND action = 'approval' AND signer_kind = 'personal'
       AND signer_role = 'leader'`,
    [documentId],
  );
  return r !== undefined;
}

export async function allocateIssueNumber(
  db: Db,
  user: AuthUser,
  documentId: string,
  now: number,
): Promise<{ created: boolean; response: IssueNumberResponse }> {
  return db.transaction(async (tx) => {
    const doc = await one<DocumentRow>(
      tx,
      `SELECT d.* FROM documents d WHERE d.id = ? AND d.org_id = ? AND EXISTS (
         SELECT 1 FROM assignments a WHERE a.document_id = d.id AND a.user_id = ? AND a.state IN ('open', 'done'))
       ${tx.forUpdate}`,
      [documentId, user.orgId, user.id],
    );
    if (!doc) throw notFound();
    if (doc.status === '13') {
      throw new ServerError(409, 'DOCUMENT_RECALLED', { reason: doc.recall_reason ?? '' });
    }
    if (doc.number !== null && doc.number_year !== null && doc.notation && doc.issued_date && doc.register_id) {
      // Asking again (a retry after a lost answer) gets the number already given.
      return {
        created: false,
        response: {
          documentId,
          number: doc.number,
          notation: doc.notation,
          issuedDate: doc.issued_date,
          year: doc.number_year,
          registerId: doc.register_id,
        },
      };
    }
    const task = await one(
      tx,
      "SELECT 1 AS x FROM assignments WHERE document_id = ? AND user_id = ? AND action = 'issue' AND state = 'open'",
      [documentId, user.id],
    );
    if (user.role !== 'clerk' || !task) throw new ServerError(403, 'FORBIDDEN');
    // Decree 30 art. 15.3 and VN-RULES "order of work": the competent person signs first.
    if (!(await hasCompetentApproval(tx, documentId))) throw new ServerError(422, 'COMPETENT_SIGNATURE_MISSING');
    const register = await registerFor(tx, doc);
    if (!register) throw new ServerError(422, 'NO_REGISTER', { docType: doc.doc_type });
    const { date, year } = vietnamDate(now);
    const n = await nextNumber(tx, register.id, year);
    const notation = `${formatNumber(n)}/${register.notations[doc.doc_type]!}`;
    await tx.exec(
      `UPDATE documents SET register_id = ?, number_year = ?, number = ?, notation = ?, issued_date = ?, updated_at = ?
       WHERE id = ?`,
      [register.id, year, n, notation, date, now, documentId],
    );
    await touchDocument(tx, documentId, now);
    return {
      created: true,
      response: { documentId, number: n, notation, issuedDate: date, year, registerId: register.id },
    };
  });
}
