/**
 * Reading request bodies within limits. JSON bodies are small and buffered; uploads are streamed
 * to a temp file while two SHA-256 digests run: one over the whole body and one over its first
 * `prefixLength` bytes (the version the server sent), so the prefix check never re-reads the file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { ServerError } from '../errors.js';

function declaredLength(req: IncomingMessage): number | undefined {
  const h = req.headers['content-length'];
  if (h === undefined) return undefined;
  const n = Number(h);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

function tooLarge(limit: number): ServerError {
  return new ServerError(413, 'PAYLOAD_TOO_LARGE', { limit }, { close: true });
}

export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const len = declaredLength(req);
  const hasBody = (len !== undefined && len > 0) || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) return {};
  if (mediaType(req) !== 'application/json') {
    throw new ServerError(415, 'UNSUPPORTED_MEDIA_TYPE', { expected: 'application/json' }, { close: true });
  }
  if (len !== undefined && len > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  await consume(
    req,
    (chunk) => {
      chunks.push(chunk);
      return true;
    },
    limit,
  );
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ServerError(400, 'BAD_REQUEST', { detail: 'body is not valid JSON' });
  }
}

/**
 * Feeds the body to onChunk (false = pause until resume is called). Not a pipeline: on a failure
 * we stop reading but must not destroy the request, whose socket still has to carry our 413/400;
 * the problem answer then says Connection: close.
 */
function consume(
  req: IncomingMessage,
  onChunk: (chunk: Buffer, resume: () => void) => boolean,
  limit: number,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let size = 0;
    let settled = false;
    const fail = (e: ServerError): void => {
      if (settled) return;
      settled = true;
      req.pause();
      req.removeAllListeners('data');
      reject(e);
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) {
        fail(tooLarge(limit));
        return;
      }
      if (!onChunk(chunk, () => req.resume())) req.pause();
    });
    req.once('end', () => {
      if (settled) return;
      settled = true;
      resolve();
    });
    req.once('close', () => {
      if (!req.complete)
        fail(new ServerError(400, 'BAD_REQUEST', { detail: 'request body interrupted' }, { close: true }));
    });
    req.once('error', () =>
      fail(new ServerError(400, 'BAD_REQUEST', { detail: 'request body interrupted' }, { close: true })),
    );
  });
}

/** Drains what is left of a request so keep-alive connections stay usable after an early answer. */
export function discardBody(req: IncomingMessage): void {
  if (!req.readableEnded) req.resume();
}

export interface ReceivedUpload {
  path: string;
  size: number;
  sha256: string;
  /** SHA-256 of the first prefixLength bytes; null when the body is not longer than that. */
  prefixSha256: string | null;
}

export async function receiveUpload(
  req: IncomingMessage,
  opts: { tmpDir: string; limit: number; prefixLength: number; mediaType: string },
): Promise<ReceivedUpload> {
  if (mediaType(req) !== opts.mediaType) {
    throw new ServerError(415, 'UNSUPPORTED_MEDIA_TYPE', { expected: opts.mediaType }, { close: true });
  }
  const len = declaredLength(req);
  if (len !== undefined && len > opts.limit) throw tooLarge(opts.limit);

  const path = join(opts.tmpDir, `upload-${randomBytes(12).toString('hex')}.part`);
  const whole = createHash('sha256');
  const prefix = createHash('sha256');
  let size = 0;
  let prefixDone = opts.prefixLength === 0;
  const file = createWriteStream(path, { flags: 'wx', mode: 0o600 });
  const fileDone = new Promise<void>((resolve, reject) => {
    file.once('finish', resolve);
    file.once('error', reject);
  });
  // Awaited below on success; this only keeps an early failure from being an unhandled rejection.
  fileDone.catch(() => undefined);
  try {
    await consume(
      req,
      (chunk, resume) => {
        if (!prefixDone) {
          const need = opts.prefixLength - size;
          prefix.update(need >= chunk.length ? chunk : chunk.subarray(0, need));
          if (need <= chunk.length) prefixDone = true;
        }
        size += chunk.length;
        whole.update(chunk);
        if (file.write(chunk)) return true;
        file.once('drain', resume);
        return false;
      },
      opts.limit,
    );
    file.end();
    await fileDone;
    // Durable before anyone is told it was accepted.
    const fh = await open(path, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (e) {
    file.destroy();
    await unlink(path).catch(() => undefined);
    if (e instanceof ServerError) throw e;
    throw new ServerError(500, 'INTERNAL');
  }
  const prefixSha256 = size > opts.prefixLength ? prefix.digest('hex') : null;
  return { path, size, sha256: whole.digest('hex'), prefixSha256 };
}
