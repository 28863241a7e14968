/**
 * Pushing the outbox: for each signed file, in signing order —
 *
 * - conflict check against the queue just pulled (only before the first attempt: once a request
 *   may have reached the server, only the server can say what happened to it);
 * - the upgrade (DSS + document timestamp) when the policy says before upload — only while no
 *   attempt was made, since the idempotency key is bound to the exact bytes once sent;
 * - the upload: attempt counted durably first, then POST with the entry's own key and If-Match.
 *   201 (or the server's replay of an earlier 201) → uploaded; 409 → conflict with the server's
 *   reason, local copy kept; other 4xx → rejected; no answer / 5xx / 429 → retried later with
 *   backoff and the SAME key, so a lost response can never become a second version.
 */
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { QueueItem } from '../../src-shared/api/sync-types.js';
import { backoffDelay } from './backoff.js';
import { isTransient, toSyncErrorValue, type SyncError } from './errors.js';
import { errorFromResponse, parseJson, problemOf } from './http-client.js';
import { UploadResponseSchema } from './response-schemas.js';
import { authed, type SyncContext } from './sync-context.js';
import type { ConflictInfo, OutboxEntry } from './types.js';
import { upgradeSignedFile } from './upgrade.js';

export interface PushResult {
  uploaded: number;
  conflicts: number;
  rejected: number;
  pending: number;
  upgraded: number;
}

/** What the synced queue says about a task we hold a signature for; null = go ahead. */
export function feedConflict(e: OutboxEntry, item: QueueItem | undefined): ConflictInfo | null {
  if (!item) return null;
  if (item.assignmentState === 'removed') {
    return { code: 'ASSIGNMENT_REMOVED', reason: null, source: 'feed', currentVersion: item.version, problem: null };
  }
  if (item.status === '13') {
    return {
      code: 'DOCUMENT_RECALLED',
      reason: item.recallReason,
      source: 'feed',
      currentVersion: item.version,
      problem: null,
    };
  }
  // A newer version while our task is still open: someone else's revision replaced ours.
  if (item.version > e.baseVersion && item.assignmentState === 'open') {
    return { code: 'VERSION_CONFLICT', reason: null, source: 'feed', currentVersion: item.version, problem: null };
  }
  return null;
}

export async function pushOutbox(ctx: SyncContext): Promise<PushResult> {
  const out: PushResult = { uploaded: 0, conflicts: 0, rejected: 0, pending: 0, upgraded: 0 };
  for (const initial of ctx.store.listOutbox(['pending'])) {
    let e = initial;
    if (e.nextAttemptAt > ctx.now()) {
      out.pending++;
      continue;
    }
    if (e.attempts === 0) {
      const c = feedConflict(e, ctx.store.getQueueItem(e.assignmentId));
      if (c) {
        const done = ctx.store.markConflict(e.id, c, ctx.now());
        ctx.log(`sync: ${e.documentId} not uploaded: ${c.code}`);
        ctx.onOutbox(done);
        out.conflicts++;
        continue;
      }
      if (ctx.upgrade.policy === 'before-upload' && ctx.upgrade.tsaUrl && !e.upgraded) {
        const u = await upgradeEntry(ctx, e);
        if (!u) {
          out.pending++;
          continue;
        }
        e = u;
        out.upgraded++;
      }
    }
    const r = await uploadEntry(ctx, e);
    if (r.state === 'uploaded') {
      out.uploaded++;
      if (ctx.upgrade.policy === 'after-upload' && ctx.upgrade.tsaUrl && !r.upgraded) {
        if (await upgradeEntry(ctx, r, true)) out.upgraded++;
      }
    } else if (r.state === 'conflict') out.conflicts++;
    else if (r.state === 'rejected') out.rejected++;
    else out.pending++;
  }
  return out;
}

/**
 * DSS + document timestamp into a new file. A TSA that is down holds the upload back (policy:
 * before upload) and is retried with backoff; the B-B file stays what it was.
 */
async function upgradeEntry(ctx: SyncContext, e: OutboxEntry, afterUpload = false): Promise<OutboxEntry | null> {
  const staged = join(ctx.stagingDir, `${e.id}.upgrade.pdf`);
  try {
    await upgradeSignedFile({
      input: ctx.blobs.pathOf(e.signedSha256!),
      output: staged,
      fieldName: e.fieldName!,
      tsaUrl: ctx.upgrade.tsaUrl!,
      timeoutMs: ctx.upgrade.timeoutMs,
      ...(ctx.upgrade.fetchImpl ? { fetchImpl: ctx.upgrade.fetchImpl } : {}),
    });
    const { sha256 } = await ctx.blobs.adoptFile(staged);
    const u = ctx.store.markUpgraded(e.id, sha256, ctx.now(), afterUpload);
    ctx.log(`sync: signature on ${e.documentId} upgraded (DSS + document timestamp)`);
    ctx.onOutbox(u);
    return u;
  } catch (err) {
    await unlink(staged).catch(() => undefined);
    const value = {
      code: 'UPGRADE_FAILED' as const,
      messageKey: 'sync.error.upgradeFailed' as const,
      params: { detail: (err as { code?: string }).code ?? (err as Error).message.split('\n')[0] ?? '' },
    };
    if (!afterUpload)
      ctx.store.scheduleRetry(e.id, ctx.now() + backoffDelay(e.attempts, ctx.backoff, ctx.random), value, ctx.now());
    ctx.log(`sync: upgrade of ${e.documentId} failed (${value.params.detail}); will retry`);
    return null;
  }
}

async function uploadEntry(ctx: SyncContext, initial: OutboxEntry): Promise<OutboxEntry> {
  const body = await readFile(ctx.blobs.pathOf(initial.signedSha256!));
  // Durable before the first byte leaves: from now on these bytes belong to this key.
  const e = ctx.store.markAttempt(initial.id, ctx.now());
  let res;
  try {
    res = await authed(ctx, 'POST', `/api/v1/documents/${encodeURIComponent(e.documentId)}/signed`, {
      body,
      contentType: 'application/pdf',
      headers: { 'idempotency-key': e.idempotencyKey, 'if-match': String(e.baseVersion) },
      // Big files over slow links: the server reads, hashes and verifies before answering.
      timeoutMs: 120_000 + Math.ceil(body.length / 50_000) * 1000,
    });
  } catch (err) {
    if (isTransient(err)) {
      ctx.store.scheduleRetry(
        e.id,
        ctx.now() + backoffDelay(e.attempts - 1, ctx.backoff, ctx.random),
        toSyncErrorValue(err),
        ctx.now(),
      );
    }
    // Offline or signed out: the round stops here; the entry stays pending.
    throw err;
  }
  if (res.status === 201) {
    const ack = parseJson(res, UploadResponseSchema);
    const done = ctx.store.markUploaded(e.id, ack.version, ctx.now());
    const replayed = res.headers.get('idempotent-replayed') === 'true';
    ctx.log(
      `sync: uploaded ${e.documentId} → version ${ack.version}${replayed ? ' (acknowledged earlier, replayed)' : ''}`,
    );
    ctx.onOutbox(done);
    return done;
  }
  if (res.status === 409) {
    const problem = problemOf(res);
    const p = problem?.params ?? {};
    const conflict: ConflictInfo = {
      code: problem?.code ?? 'CONFLICT',
      reason: typeof p.reason === 'string' && p.reason !== '' ? p.reason : (problem?.detail ?? null),
      source: 'server',
      currentVersion: typeof p.current === 'number' ? p.current : null,
      problem,
    };
    const done = ctx.store.markConflict(e.id, conflict, ctx.now());
    ctx.log(`sync: ${e.documentId} refused with 409 ${conflict.code}; local copy kept`);
    ctx.onOutbox(done);
    return done;
  }
  const err: SyncError = errorFromResponse(res);
  if (err.transient) {
    ctx.store.scheduleRetry(
      e.id,
      ctx.now() + backoffDelay(e.attempts - 1, ctx.backoff, ctx.random),
      err.toValue(),
      ctx.now(),
    );
    return ctx.store.getOutbox(e.id)!;
  }
  const done = ctx.store.markRejected(e.id, err.toValue(), ctx.now());
  ctx.log(`sync: ${e.documentId} rejected by the server (${err.problem?.code ?? res.status}); local copy kept`);
  ctx.onOutbox(done);
  return done;
}
