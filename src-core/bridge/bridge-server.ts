/**
 * The localhost bridge: serves the renderer and the API contract to a browser on 127.0.0.1.
 * It is plain Node (no Electron) so `kyso ui`, the tests and the Electron main process share it.
 *
 * Threat model: any web page the user visits can send requests to 127.0.0.1, and DNS
 * rebinding can make them same-origin. So: bind to 127.0.0.1 only; accept only our exact Host;
 * reject foreign Origins; require a session cookie that is only obtainable by opening the
 * one-time URL printed at launch; and keep the signing confirmation in our own UI.
 *
 * Log (`log` option): one line per request — method, path, status, milliseconds. Never a body,
 * a query string (the launch link's carries the one-time secret), a header or a cookie.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import type { KysoApi } from '../../src-shared/api/contract.js';
import { dispatch } from '../../src-shared/api/invoke.js';
import { toErrorValue } from '../../src-shared/errors.js';
import { NULL_LOG, type LogSink } from '../log/logger.js';
import type { ServiceHost } from '../service/create-service.js';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const MAX_BODY = 1 << 20;
const SESSION_COOKIE = 'kyso_session';
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.json': 'application/json',
};

export interface BridgeOptions {
  /** The service; when it carries a host (createService does), events and files are served too. */
  api: KysoApi & { host?: ServiceHost };
  /** Built renderer folder (dist/renderer). */
  staticDir: string;
  port?: number;
  /**
   * One `bridge.request` line per request (`kyso ui` passes the service's redacting logger):
   * API calls, the launch and every refusal at info, static files at debug. Default: none.
   */
  log?: LogSink;
}

export interface Bridge {
  /** Open this once: it carries the one-time secret and sets the session cookie. */
  readonly launchUrl: string;
  readonly origin: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startBridge(opts: BridgeOptions): Promise<Bridge> {
  const oneTimeSecret = randomBytes(32).toString('base64url');
  const sessionToken = randomBytes(32).toString('base64url');
  let secretUsed = false;
  const root = await realpath(opts.staticDir);
  let origin = '';
  let allowedHosts: string[] = [];

  const log = opts.log ?? NULL_LOG;

  const server: Server = createServer((req, res) => {
    logRequest(log, req, res);
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error');
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = req.headers.host ?? '';
    if (!allowedHosts.includes(host)) return send(res, 421, 'text/plain; charset=utf-8', 'wrong host');
    const reqOrigin = req.headers.origin;
    if (reqOrigin !== undefined && reqOrigin !== origin)
      return send(res, 403, 'text/plain; charset=utf-8', 'forbidden');
    const url = new URL(req.url ?? '/', origin);

    if (url.pathname === '/launch') {
      const given = url.searchParams.get('s') ?? '';
      if (secretUsed || !safeEqual(given, oneTimeSecret)) {
        return send(res, 403, 'text/plain; charset=utf-8', 'this link was already used or is wrong');
      }
      secretUsed = true;
      res.writeHead(303, {
        location: '/',
        'set-cookie': `${SESSION_COOKIE}=${sessionToken}; HttpOnly; SameSite=Strict; Path=/`,
        'cache-control': 'no-store',
      });
      res.end();
      return;
    }

    if (!safeEqual(readCookie(req, SESSION_COOKIE) ?? '', sessionToken)) {
      return send(res, 403, 'text/plain; charset=utf-8', 'open the link printed by "kyso ui"');
    }

    const svc = opts.api.host;
    if (svc && url.pathname === '/api/events') return serveEvents(req, res, svc);
    if (svc && url.pathname.startsWith('/api/blob/')) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'method');
      return serveBlob(req, res, svc, decodeURIComponent(url.pathname.slice('/api/blob/'.length)), url);
    }
    if (svc && url.pathname === '/api/upload') {
      if (req.method !== 'POST') return send(res, 405, 'text/plain; charset=utf-8', 'POST only');
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
      // Never a type a cross-site form can send without a preflight (the Origin check stops those).
      if (!UPLOAD_TYPES.includes(type)) return send(res, 415, 'text/plain; charset=utf-8', 'unsupported type');
      try {
        const uploadId = await svc.receiveUpload(req, { name: url.searchParams.get('name') ?? 'upload', mime: type });
        return send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ uploadId }));
      } catch (e) {
        res.shouldKeepAlive = false;
        return send(res, 400, 'application/json; charset=utf-8', JSON.stringify({ error: toErrorValue(e) }));
      }
    }

    if (url.pathname.startsWith('/api/call/')) {
      if (req.method !== 'POST') return send(res, 405, 'text/plain; charset=utf-8', 'POST only');
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
        return send(res, 415, 'text/plain; charset=utf-8', 'application/json only');
      }
      const body = await readBody(req);
      if (body === null) {
        // The rest of the body is unread: the connection cannot be reused.
        res.shouldKeepAlive = false;
        return send(res, 413, 'text/plain; charset=utf-8', 'too large');
      }
      let payload: unknown;
      try {
        payload = body.length ? JSON.parse(body.toString('utf8')) : {};
      } catch {
        return send(res, 400, 'text/plain; charset=utf-8', 'bad json');
      }
      const result = await dispatch(opts.api, decodeURIComponent(url.pathname.slice('/api/call/'.length)), payload);
      return send(res, 200, 'application/json; charset=utf-8', JSON.stringify(result));
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'method');
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    const file = await resolveStatic(root, rel);
    if (!file) return send(res, 404, 'text/plain; charset=utf-8', 'not found');
    const data = await readFile(file);
    return send(res, 200, MIME[extname(file)] ?? 'application/octet-stream', data);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('bridge: no address');
  origin = `http://127.0.0.1:${addr.port}`;
  allowedHosts = [`127.0.0.1:${addr.port}`, `localhost:${addr.port}`];

  return {
    launchUrl: `${origin}/launch?s=${oneTimeSecret}`,
    origin,
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const UPLOAD_TYPES = ['application/pdf', 'image/png', 'application/octet-stream'];

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

/** The path without its query string or fragment, bounded (the path is the client's text). */
export function logPath(rawUrl: string | undefined): string {
  const path = (rawUrl ?? '/').split(/[?#]/, 1)[0]!;
  return path.length > 200 ? `${path.slice(0, 200)}…` : path;
}

/** Logs the request once its answer is complete or the connection is gone. */
function logRequest(log: LogSink, req: IncomingMessage, res: ServerResponse): void {
  const started = performance.now();
  const method = req.method ?? '?';
  const path = logPath(req.url);
  res.once('close', () => {
    const status = res.statusCode;
    const api = path === '/launch' || path.startsWith('/api/');
    const line = {
      method,
      path,
      status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      ...(res.writableFinished ? {} : { aborted: true }),
    };
    if (api || status >= 400) log.info('bridge.request', line);
    else log.debug('bridge.request', line);
  });
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, ...SECURITY_HEADERS });
  res.end(body);
}

/**
 * Server-sent events: the service's events (token inserted/removed, queue, batch progress …) as
 * `data: JSON` lines. A reconnecting EventSource sends Last-Event-ID and gets what it missed.
 */
function serveEvents(req: IncomingMessage, res: ServerResponse, host: ServiceHost): void {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': 'text/event-stream; charset=utf-8',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 1000\n\n');
  const write = (e: { seq: number }): void => {
    res.write(`id: ${e.seq}\ndata: ${JSON.stringify(e)}\n\n`);
  };
  const last = Number(req.headers['last-event-id'] ?? NaN);
  if (Number.isInteger(last)) for (const e of host.events.since(last)) write(e);
  const unsubscribe = host.events.subscribe(write);
  const ping = setInterval(() => res.write(': ping\n\n'), 15000);
  ping.unref();
  const end = (): void => {
    clearInterval(ping);
    unsubscribe();
  };
  req.once('close', end);
  res.once('close', end);
}

/** A file the service handed out by id (document, signed file, image, support bundle); Range supported. */
async function serveBlob(
  req: IncomingMessage,
  res: ServerResponse,
  host: ServiceHost,
  id: string,
  url: URL,
): Promise<void> {
  const b = host.blob(id);
  if (!b) return send(res, 404, 'text/plain; charset=utf-8', 'not found');
  const size = (await stat(b.path)).size;
  const headers: Record<string, string | number> = {
    ...SECURITY_HEADERS,
    'content-type': b.mime,
    'accept-ranges': 'bytes',
    'content-disposition': `${b.download || url.searchParams.get('download') ? 'attachment' : 'inline'}; filename*=UTF-8''${encodeURIComponent(b.name)}`,
  };
  const range = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? ''));
  let start = 0;
  let end = size - 1;
  let status = 200;
  if (range && (range[1] || range[2])) {
    if (range[1]) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    } else {
      start = Math.max(0, size - Number(range[2]));
    }
    if (start > end || start >= size) {
      res.writeHead(416, { ...headers, 'content-range': `bytes */${size}` });
      res.end();
      return;
    }
    status = 206;
    headers['content-range'] = `bytes ${start}-${end}/${size}`;
  }
  headers['content-length'] = size === 0 ? 0 : end - start + 1;
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || size === 0) return void res.end();
  await new Promise<void>((resolve) => {
    const stream = createReadStream(b.path, { start, end });
    stream.once('error', () => {
      res.destroy();
      resolve();
    });
    res.once('close', () => {
      stream.destroy();
      resolve();
    });
    stream.pipe(res);
  });
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY) return null;
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** Resolves a request path inside root only; symlinks and `..` cannot escape it. */
async function resolveStatic(root: string, rel: string): Promise<string | null> {
  if (rel.includes('\0')) return null;
  try {
    const real = await realpath(join(root, rel));
    return real === root || real.startsWith(root + sep) ? real : null;
  } catch {
    return null;
  }
}
