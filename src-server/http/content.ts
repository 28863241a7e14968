/**
 * Serving a stored file: strong ETag = the quoted SHA-256 hex of its bytes, If-None-Match → 304,
 * a single byte range → 206 (several ranges are answered with the whole file, which RFC 9110
 * allows), If-Range to resume safely, streamed from disk in chunks.
 */
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { ServerError } from '../errors.js';

export interface StoredFile {
  path: string;
  size: number;
  sha256: string;
  contentType: string;
  extraHeaders?: Record<string, string>;
}

type RangeResult = { kind: 'none' } | { kind: 'range'; start: number; end: number } | { kind: 'unsatisfiable' };

export function parseRange(h: string | undefined, size: number): RangeResult {
  if (h === undefined) return { kind: 'none' };
  const m = /^bytes=(\d*)-(\d*)$/.exec(h.trim());
  // Multiple ranges or other units: ignore the header and send everything.
  if (!m) return { kind: 'none' };
  const [, a, b] = m as unknown as [string, string, string];
  if (a === '' && b === '') return { kind: 'none' };
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (start >= size || start > end) return { kind: 'unsatisfiable' };
  return { kind: 'range', start, end };
}

function etagMatches(list: string | undefined, etag: string): boolean {
  if (list === undefined) return false;
  return list
    .split(',')
    .map((s) => s.trim().replace(/^W\//, ''))
    .some((s) => s === '*' || s === etag);
}

export async function serveFile(req: IncomingMessage, res: ServerResponse, f: StoredFile): Promise<void> {
  const etag = `"${f.sha256}"`;
  const common = {
    ETag: etag,
    'Accept-Ranges': 'bytes',
    // Documents are private: caches on the way must not keep them; the client revalidates by ETag.
    'Cache-Control': 'private, no-cache',
    'X-Content-Type-Options': 'nosniff',
    ...f.extraHeaders,
  };
  if (etagMatches(req.headers['if-none-match'], etag)) {
    res.writeHead(304, common);
    res.end();
    return;
  }
  const ifRange = req.headers['if-range'] as string | undefined;
  const rangeAllowed = ifRange === undefined || ifRange.trim() === etag;
  const range = rangeAllowed ? parseRange(req.headers.range, f.size) : { kind: 'none' as const };
  if (range.kind === 'unsatisfiable') {
    throw new ServerError(416, 'RANGE_NOT_SATISFIABLE', {}, { headers: { 'Content-Range': `bytes */${f.size}` } });
  }
  const start = range.kind === 'range' ? range.start : 0;
  const end = range.kind === 'range' ? range.end : f.size - 1;
  const headers: Record<string, string> = {
    ...common,
    'Content-Type': f.contentType,
    'Content-Length': String(f.size === 0 ? 0 : end - start + 1),
  };
  if (range.kind === 'range') headers['Content-Range'] = `bytes ${start}-${end}/${f.size}`;
  res.writeHead(range.kind === 'range' ? 206 : 200, headers);
  if (req.method === 'HEAD' || f.size === 0) {
    res.end();
    return;
  }
  try {
    await pipeline(createReadStream(f.path, { start, end, highWaterMark: 256 * 1024 }), res);
  } catch {
    // The client went away or the disk failed half-way: the connection is closed either way.
    res.destroy();
  }
}
