/**
 * Accepting a signed PDF (POST /documents/{id}/signed).
 *
 * Order matters: the body is streamed to a temp file first (hashing the whole and the prefix the
 * client claims to extend), then the idempotency record is consulted (a retry of an accepted
 * upload is answered from it, whatever happened since), then the cheap checks, the inspector
 * (slow, outside any transaction), and finally one transaction that re-checks everything against
 * fresh, locked rows and records the new version. The blob is moved into the store before that
 * transaction: content-addressed, so a rollback leaves at worst an unreferenced file.
 */
import { createHash } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import type { Db, Queryable } from '../db/adapter.js';
import { one } from '../db/adapter.js';
import {
  IdempotencyKey,
  type CertKind,
  type DocumentStatus,
  type RequiredAction,
  type UploadResponse,
} from '../../src-shared/api/sync-types.js';
import type { AuthUser } from '../auth/sessions.js';
import { ServerError } from '../errors.js';
import { receiveUpload } from '../http/request-body.js';
import type { BlobStore } from '../store/blob-store.js';
import { openNextStep, touchDocument } from './changes.js';
import { findVisibleDocument, getVersion, type DocumentRow } from './documents.js';
import { InspectorUnavailable, type UploadInspection, type UploadInspector } from './inspector.js';
import { hasCompetentApproval } from './registers.js';
import { judgeUpload } from './upload-rules.js';

export interface UploadDeps {
  db: Db;
  blobs: BlobStore;
  inspector: UploadInspector;
  maxUploadBytes: number;
  now: () => number;
}

export interface UploadOutcome {
  status: number;
  body: UploadResponse;
  replayed: boolean;
}

/** If-Match carries the version number: 3, "3" or W/"3" are all accepted. */
export function parseIfMatch(h: string | undefined): number {
  if (h === undefined || h.trim() === '') throw new ServerError(428, 'PRECONDITION_REQUIRED', {}, { close: true });
  const m = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(h);
  if (!m) throw new ServerError(400, 'BAD_REQUEST', { detail: 'If-Match must be a version number' }, { close: true });
  return Number(m[1]);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

interface StoredReply {
  request_hash: string;
  status: number;
  body: string;
}

async function storedReply(q: Queryable, userId: number, key: string): Promise<StoredReply | undefined> {
  return one<StoredReply>(q, 'SELECT request_hash, status, body FROM idempotency WHERE user_id = ? AND idem_key = ?', [
    userId,
    key,
  ]);
}

function replay(stored: StoredReply, requestHash: string): UploadOutcome {
  if (stored.request_hash !== requestHash) throw new ServerError(422, 'IDEMPOTENCY_KEY_REUSED');
  return { status: stored.status, body: JSON.parse(stored.body) as UploadResponse, replayed: true };
}

interface OpenTask {
  id: number;
  action: RequiredAction;
}

async function openTask(q: Queryable, documentId: string, userId: number): Promise<OpenTask | undefined> {
  return one<OpenTask>(
    q,
    "SELECT id, action FROM assignments WHERE document_id = ? AND user_id = ? AND state = 'open' ORDER BY id LIMIT 1",
    [documentId, userId],
  );
}

function precheck(doc: DocumentRow, ifMatch: number): void {
  if (doc.status === '13') throw new ServerError(409, 'DOCUMENT_RECALLED', { reason: doc.recall_reason ?? '' });
  if (doc.current_version !== ifMatch) {
    throw new ServerError(409, 'VERSION_CONFLICT', { current: doc.current_version });
  }
}

export async function acceptUpload(
  deps: UploadDeps,
  user: AuthUser,
  documentId: string,
  req: IncomingMessage,
): Promise<UploadOutcome> {
  const keyHeader = header(req, 'idempotency-key');
  const key = IdempotencyKey.safeParse(keyHeader);
  if (!key.success) throw new ServerError(400, 'IDEMPOTENCY_KEY_REQUIRED', {}, { close: true });
  const ifMatch = parseIfMatch(header(req, 'if-match'));
  const doc = await findVisibleDocument(deps.db, user, documentId);
  const prior = await getVersion(deps.db, documentId, ifMatch);

  const upload = await receiveUpload(req, {
    tmpDir: deps.blobs.tmpDir,
    limit: deps.maxUploadBytes,
    prefixLength: prior?.size ?? 0,
    mediaType: 'application/pdf',
  });
  try {
    const requestHash = createHash('sha256').update(`${documentId}\n${ifMatch}\n${upload.sha256}`).digest('hex');
    const earlier = await storedReply(deps.db, user.id, key.data);
    if (earlier) return replay(earlier, requestHash);

    precheck(doc, ifMatch);
    if (!prior) throw new ServerError(409, 'VERSION_CONFLICT', { current: doc.current_version });
    if (!(await openTask(deps.db, documentId, user.id))) throw new ServerError(409, 'ASSIGNMENT_NOT_OPEN');
    if (upload.prefixSha256 === null || upload.prefixSha256 !== prior.sha256) {
      throw new ServerError(422, 'NOT_INCREMENTAL');
    }

    let inspection: UploadInspection;
    try {
      inspection = await deps.inspector.inspect(upload.path, prior.size);
    } catch (e) {
      if (e instanceof InspectorUnavailable) throw new ServerError(503, 'INSPECTOR_UNAVAILABLE');
      throw e;
    }

    const bound = new Map<string, CertKind>(
      (
        await deps.db.query<{ sha256: string; kind: CertKind }>(
          'SELECT sha256, kind FROM user_certificates WHERE user_id = ?',
          [user.id],
        )
      ).map((r) => [r.sha256, r.kind]),
    );

    await deps.blobs.adopt(upload.path, upload.sha256);
    const now = deps.now();
    return await deps.db.transaction(async (tx) => {
      const fresh = await one<DocumentRow>(tx, `SELECT * FROM documents WHERE id = ?${tx.forUpdate}`, [documentId]);
      if (!fresh) throw new ServerError(404, 'NOT_FOUND');
      const again = await storedReply(tx, user.id, key.data);
      if (again) return replay(again, requestHash);
      precheck(fresh, ifMatch);
      const task = await openTask(tx, documentId, user.id);
      if (!task) throw new ServerError(409, 'ASSIGNMENT_NOT_OPEN');
      const sig = judgeUpload(inspection, {
        action: task.action,
        boundCertificates: bound,
        hasCompetentApproval: await hasCompetentApproval(tx, documentId),
        numberAllocated: fresh.number !== null,
      });

      const version = fresh.current_version + 1;
      await tx.exec(
        'INSERT INTO document_versions (document_id, version, sha256, size, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        [documentId, version, upload.sha256, upload.size, user.id, now],
      );
      await tx.exec(
        `INSERT INTO signatures (document_id, version, assignment_id, user_id, signer_cert_sha256, signer_kind,
           signer_role, action, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          documentId,
          version,
          task.id,
          user.id,
          sig.signerCertSha256.toLowerCase(),
          sig.signerKind,
          user.role,
          task.action,
          now,
        ],
      );
      await tx.exec("UPDATE assignments SET state = 'done', completed_version = ?, updated_at = ? WHERE id = ?", [
        version,
        now,
        task.id,
      ]);
      await openNextStep(tx, documentId, now);
      const left = await one<{ n: number }>(
        tx,
        "SELECT COUNT(*) AS n FROM assignments WHERE document_id = ? AND state IN ('open', 'waiting')",
        [documentId],
      );
      const status: DocumentStatus = (left?.n ?? 0) === 0 ? '06' : '05';
      await tx.exec('UPDATE documents SET current_version = ?, status = ?, updated_at = ? WHERE id = ?', [
        version,
        status,
        now,
        documentId,
      ]);
      await touchDocument(tx, documentId, now);
      const body: UploadResponse = {
        documentId,
        version,
        sha256: upload.sha256,
        size: upload.size,
        status,
        assignmentState: 'done',
      };
      await tx.exec(
        `INSERT INTO idempotency (user_id, idem_key, document_id, request_hash, status, body, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [user.id, key.data, documentId, requestHash, 201, JSON.stringify(body), now],
      );
      return { status: 201, body, replayed: false };
    });
  } finally {
    // Still there only when the upload was refused before adoption.
    await unlink(upload.path).catch(() => undefined);
  }
}
