/**
 * Signing a queued document into the outbox, and the start-up recovery of that step.
 *
 *   1. a 'signing' row (the intent, with its idempotency key) is committed;
 *   2. signDocument writes the signed file to staging/ (its own temp + fsync + rename);
 *   3. the file is moved into the blob store under its hash (fsync file, rename, fsync dir);
 *   4. only then one transaction marks the row 'pending' and appends the journal entry.
 *
 * A crash before 4 leaves a 'signing' row (rolled back to 'abandoned', journalled as
 * 'interrupted') and at most an unreferenced file (removed). After 4 the signature cannot be
 * lost: the row is re-read at every start and uploaded until the server acknowledges it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { KysoError } from '../../src-shared/errors.js';
import { decodeCertificate } from '../pki/cert-decode.js';
import type { FieldPlacement } from '../sign/pdf-signer.js';
import { signDocument, type DocumentSigner, type PadesLevel, type SignDocumentOptions } from '../sign/sign-document.js';
import { sha256File } from './blob-store.js';
import { SyncError } from './errors.js';
import type { SyncContext } from './sync-context.js';
import type { OutboxEntry } from './types.js';

export interface SignRequest {
  assignmentId: number;
  signer: DocumentSigner;
  /** Visible placement, reason, location…; default: invisible, signing time now. */
  placement?: Omit<FieldPlacement, 'kind'>;
  /** Extra objects in the signature's revision (appearance helpers, number/date). */
  prepare?: SignDocumentOptions['prepare'];
  /** Default B-B: what can be made offline. Higher levels need the TSA now. */
  level?: PadesLevel;
  tsaUrl?: string;
}

function subjectOf(der: Buffer): string | null {
  try {
    return decodeCertificate(der).subjectDn;
  } catch {
    return null;
  }
}

export async function signIntoOutbox(ctx: SyncContext, req: SignRequest): Promise<OutboxEntry> {
  const account = ctx.account();
  if (!account) throw new SyncError('AUTH_REQUIRED', 'sync.error.neverSynced');
  const item = ctx.store.getQueueItem(req.assignmentId);
  if (!item) throw new SyncError('ITEM_UNKNOWN', 'sync.error.itemUnknown', { id: req.assignmentId });
  if (item.assignmentState !== 'open' || item.status === '13') {
    throw new SyncError('NOT_SIGNABLE', 'sync.error.notSignable', {
      id: req.assignmentId,
      reason: item.status === '13' ? 'recalled' : item.assignmentState,
    });
  }
  if (ctx.store.liveEntryFor(req.assignmentId)) {
    throw new SyncError('NOT_SIGNABLE', 'sync.error.notSignable', { id: req.assignmentId, reason: 'already signed' });
  }
  const input = ctx.blobs.pathOf(item.contentSha256);
  // The bytes we sign must be exactly the server's version: the server checks the prefix hash.
  const actual = await sha256File(input).catch(() => null);
  if (!actual || actual.sha256 !== item.contentSha256) {
    throw new SyncError('CONTENT_MISSING', 'sync.error.contentMissing', { title: item.title });
  }

  const id = randomUUID();
  const level = req.level ?? 'B-B';
  try {
    ctx.store.insertSigning(
      {
        id,
        assignmentId: item.id,
        documentId: item.documentId,
        userId: account.userId,
        serverUrl: account.serverUrl,
        baseVersion: item.version,
        baseSha256: item.contentSha256,
        level,
        idempotencyKey: `kyso-${id}`,
        signerCertSha256: createHash('sha256').update(req.signer.certDer).digest('hex'),
        signerSubject: subjectOf(req.signer.certDer),
      },
      ctx.now(),
    );
  } catch (e) {
    if ((e as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
      throw new SyncError('NOT_SIGNABLE', 'sync.error.notSignable', { id: req.assignmentId, reason: 'already signed' });
    }
    throw e;
  }

  await mkdir(ctx.stagingDir, { recursive: true });
  const staged = join(ctx.stagingDir, `${id}.pdf`);
  let fieldName: string;
  try {
    const r = await signDocument({
      input,
      output: staged,
      signer: req.signer,
      level,
      ...(req.tsaUrl ? { tsaUrl: req.tsaUrl } : {}),
      placement: req.placement ?? { signingTime: new Date(ctx.now()) },
      ...(req.prepare ? { prepare: req.prepare } : {}),
    });
    fieldName = r.fieldName;
  } catch (e) {
    await unlink(staged).catch(() => undefined);
    ctx.store.markSignFailed(
      id,
      e instanceof KysoError ? e.code : e instanceof SyncError ? e.code : 'ERROR',
      ctx.now(),
    );
    throw e;
  }
  const { sha256 } = await ctx.blobs.adoptFile(staged);
  const entry = ctx.store.markSigned(id, sha256, fieldName, ctx.now());
  ctx.log(`sync: signed document ${entry.documentId} v${entry.baseVersion} into the outbox`);
  ctx.onOutbox(entry);
  return entry;
}

export interface RecoveryReport {
  stagingRemoved: number;
  tempRemoved: number;
  interrupted: number;
  requeued: number;
  damaged: number;
  blobsCollected: number;
}

/** Start-up: finish or roll back whatever the last process left half done. */
export async function recover(ctx: SyncContext): Promise<RecoveryReport> {
  await mkdir(ctx.stagingDir, { recursive: true });
  const staged = await readdir(ctx.stagingDir);
  // No row points at staging/: anything there is a signing that never reached step 4.
  for (const n of staged) await rm(join(ctx.stagingDir, n), { force: true, recursive: true });
  const tempRemoved = await ctx.blobs.clearTemp();
  const now = ctx.now();
  const interrupted = ctx.store.rollBackInterruptedSignings(now);
  let damaged = 0;
  const pending = ctx.store.listOutbox(['pending']);
  for (const e of pending) {
    if (!e.signedSha256 || !(await ctx.blobs.verify(e.signedSha256))) {
      // Cannot happen with the write order above unless the disk lost data; say so, never upload it.
      ctx.store.markRejected(
        e.id,
        { code: 'STORE_CORRUPT', messageKey: 'sync.error.signedFileDamaged', params: { document: e.documentId } },
        now,
      );
      damaged++;
    }
  }
  ctx.store.retryAllNow(now);
  const blobsCollected = await ctx.blobs.gc(ctx.store.referencedBlobs());
  return {
    stagingRemoved: staged.length,
    tempRemoved,
    interrupted,
    requeued: pending.length - damaged,
    damaged,
    blobsCollected,
  };
}
