/**
 * Pulling the queue (delta sync from the server's cursor) and fetching document content for
 * offline signing. A page and its cursor are committed together; content is fetched by the
 * version's hash (resumable with Range + If-Range) and only named once its hash matches.
 */
import { open, stat, unlink } from 'node:fs/promises';
import { SyncError } from './errors.js';
import { errorFromResponse, parseJson, type DownloadSink } from './http-client.js';
import { QueuePageSchema } from './response-schemas.js';
import { authed, type SyncContext } from './sync-context.js';
import { BlobHashMismatch } from './blob-store.js';

export interface PullResult {
  changes: number;
  pages: number;
}

export async function pullQueue(ctx: SyncContext, pageSize: number): Promise<PullResult> {
  let cursor = ctx.store.cursor;
  let changes = 0;
  let pages = 0;
  for (;;) {
    const r = await authed(ctx, 'GET', `/api/v1/queue?since=${cursor}&limit=${pageSize}`);
    if (r.status !== 200) throw errorFromResponse(r);
    const page = parseJson(r, QueuePageSchema);
    if (BigInt(page.nextCursor) < BigInt(cursor)) {
      throw new SyncError('PROTOCOL', 'sync.error.protocol', { detail: 'cursor went backwards' });
    }
    ctx.store.applyQueuePage(page.items, page.nextCursor, ctx.now());
    changes += page.items.length;
    pages++;
    // A server that says "more" without moving the cursor would loop forever.
    if (!page.hasMore || page.nextCursor === cursor) break;
    cursor = page.nextCursor;
  }
  return { changes, pages };
}

/** Downloads the content of every open task that is not on disk yet; returns how many. */
export async function prefetchContent(ctx: SyncContext, concurrency = 4): Promise<number> {
  const wanted: ReturnType<typeof ctx.store.contentHashesWanted> = [];
  for (const w of ctx.store.contentHashesWanted()) if (!(await ctx.blobs.has(w.sha256))) wanted.push(w);
  let next = 0;
  let fetched = 0;
  let failure: unknown = null;
  const worker = async (): Promise<void> => {
    while (next < wanted.length && failure === null) {
      const w = wanted[next++]!;
      try {
        if (await fetchContent(ctx, w)) fetched++;
      } catch (e) {
        // Offline or auth: stop everyone; a single bad file: skip it, the next round retries.
        if (e instanceof SyncError && e.code !== 'PROTOCOL' && e.code !== 'REJECTED') failure = e;
        else ctx.log(`sync: content of ${w.documentId} v${w.version} not fetched (${(e as Error).message})`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, wanted.length) }, worker));
  if (failure !== null) throw failure;
  return fetched;
}

export async function fetchContent(
  ctx: SyncContext,
  w: { sha256: string; documentId: string; version: number },
): Promise<boolean> {
  if (await ctx.blobs.has(w.sha256)) return false;
  const part = ctx.blobs.partialPath(w.sha256);
  const path = `/api/v1/documents/${encodeURIComponent(w.documentId)}/content?version=${w.version}`;
  const attempt = async (token: string): Promise<{ status: number; headers: Headers; problemBody?: Buffer }> => {
    const have = await stat(part).then(
      (s) => s.size,
      () => 0,
    );
    // Resume a partial file only if the server still has the same bytes (If-Range on the hash).
    const headers: Record<string, string> = have > 0 ? { range: `bytes=${have}-`, 'if-range': `"${w.sha256}"` } : {};
    return ctx.http().download(path, { token, headers }, async (status): Promise<DownloadSink> => {
      // 206 continues the partial file; 200 (no range, or If-Range failed) starts it again.
      const fh = await open(part, status === 206 ? 'a' : 'w', 0o600);
      return { write: async (c) => void (await fh.write(c)), close: () => fh.close() };
    });
  };
  let token = await ctx.auth().accessToken();
  let res = await attempt(token);
  if (res.status === 401) {
    ctx.auth().invalidate(token);
    token = await ctx.auth().refresh();
    res = await attempt(token);
  }
  if (res.status === 404) return false; // no longer visible: the next pull says why
  if (res.status === 416) {
    await unlink(part).catch(() => undefined);
    return false;
  }
  if (res.status !== 200 && res.status !== 206) {
    throw errorFromResponse({ status: res.status, headers: res.headers, body: res.problemBody ?? Buffer.alloc(0) });
  }
  try {
    await ctx.blobs.adoptFile(part, w.sha256, { durable: false });
  } catch (e) {
    if (e instanceof BlobHashMismatch) {
      throw new SyncError('PROTOCOL', 'sync.error.protocol', { detail: 'content hash mismatch' });
    }
    throw e;
  }
  return true;
}
