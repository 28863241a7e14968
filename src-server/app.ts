/**
 * The reference workflow server: node:http, one router, explicit dependencies. Every request is
 * authenticated where its route says so, answered as JSON or problem+json, and written to the
 * audit log (except successful polling). Binds 127.0.0.1 unless told otherwise.
 *
 * Request log (`requestLog`, `kyso server --log FILE`): one `server.request` line per request —
 * method, path without its query string, route name, status, milliseconds and the user id once
 * authenticated — through src-core's redacting logger. Never a body, a header or a token.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ZodError } from 'zod';
import { NULL_LOG, type LogSink } from '../src-core/log/logger.js';
import { pickLocale } from '../src-shared/i18n/translate.js';
import { DEFAULT_RATE_LIMIT, type RateLimitPolicy } from './auth/rate-limit.js';
import { DEFAULT_SESSION_POLICY, authenticate, type SessionPolicy } from './auth/sessions.js';
import type { Db } from './db/adapter.js';
import type { AppDeps } from './deps.js';
import { writeAudit } from './domain/audit.js';
import { unavailableInspector, type UploadInspector } from './domain/inspector.js';
import { ServerError } from './errors.js';
import { sendJson, sendProblem } from './http/respond.js';
import { Router, type RequestContext } from './http/router.js';
import { adminRoutes } from './routes/admin-routes.js';
import { authRoutes } from './routes/auth-routes.js';
import { documentRoutes } from './routes/document-routes.js';
import { journalRoutes } from './routes/journal-routes.js';
import type { BlobStore } from './store/blob-store.js';

export interface KysoServerOptions {
  db: Db;
  blobs: BlobStore;
  /** The PDF signature engine's facts about uploads; without one every upload is refused (503). */
  inspector?: UploadInspector;
  now?: () => number;
  maxUploadBytes?: number;
  maxJsonBytes?: number;
  rateLimit?: RateLimitPolicy;
  sessions?: SessionPolicy;
  log?: (line: string) => void;
  /** One line per request (src-core/log: redacting, rotated). Default: none. */
  requestLog?: LogSink;
}

export interface ListenOptions {
  port?: number;
  host?: string;
}

export interface KysoServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export const DEFAULT_MAX_UPLOAD_BYTES = 100 * 1024 * 1024;
export const DEFAULT_MAX_JSON_BYTES = 64 * 1024;

function zodDetail(e: ZodError): string {
  return e.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
    .join('; ');
}

export function createRequestHandler(opts: KysoServerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const deps: AppDeps = {
    db: opts.db,
    blobs: opts.blobs,
    inspector: opts.inspector ?? unavailableInspector,
    now: opts.now ?? Date.now,
    maxUploadBytes: opts.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
    maxJsonBytes: opts.maxJsonBytes ?? DEFAULT_MAX_JSON_BYTES,
    rateLimit: opts.rateLimit ?? DEFAULT_RATE_LIMIT,
    sessions: opts.sessions ?? DEFAULT_SESSION_POLICY,
    log: opts.log ?? ((line) => process.stderr.write(`${line}\n`)),
  };
  const requestLog = opts.requestLog ?? NULL_LOG;
  const router = new Router();
  router.add({
    method: 'GET',
    path: '/api/v1/health',
    name: 'health',
    auth: false,
    handler: (ctx) => {
      ctx.audit.skip = true;
      sendJson(ctx.res, 200, { status: 'ok' });
      return Promise.resolve();
    },
  });
  for (const r of [...authRoutes(deps), ...documentRoutes(deps), ...adminRoutes(deps), ...journalRoutes(deps)])
    router.add(r);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const ctx: RequestContext = {
      req,
      res,
      url,
      params: {},
      ip: req.socket.remoteAddress ?? 'unknown',
      locale: pickLocale(req.headers['accept-language']?.split(',')[0]),
      user: null,
      audit: { documentId: null, detail: null, skip: false },
    };
    let action = 'unknown';
    let result = 'ok';
    const started = performance.now();
    res.once('close', () => {
      const status = res.statusCode;
      const line = {
        method: req.method ?? '?',
        path: url.pathname.length > 200 ? `${url.pathname.slice(0, 200)}…` : url.pathname,
        action,
        status,
        ms: Math.round((performance.now() - started) * 10) / 10,
        ...(ctx.user ? { user: ctx.user.id } : {}),
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      if (status >= 500) requestLog.error('server.request', line);
      else requestLog.info('server.request', line);
    });
    try {
      const m = router.match(req.method ?? 'GET', url.pathname);
      if (m.kind === 'not-found') throw new ServerError(404, 'NOT_FOUND', {}, { close: !req.complete });
      if (m.kind === 'method-not-allowed') {
        throw new ServerError(405, 'METHOD_NOT_ALLOWED', {}, { headers: { Allow: m.allow.join(', ') } });
      }
      action = m.route.name;
      ctx.params = m.params;
      ctx.audit.documentId = m.params.id ?? null;
      if (m.route.auth) {
        const h = req.headers.authorization ?? '';
        const token = /^Bearer ([A-Za-z0-9_-]{10,200})$/.exec(h)?.[1];
        ctx.user = token ? await authenticate(deps.db, token, deps.now()) : null;
        if (!ctx.user) {
          throw new ServerError(
            401,
            'UNAUTHENTICATED',
            {},
            { headers: { 'WWW-Authenticate': 'Bearer realm="kyso"' }, close: !req.complete },
          );
        }
      }
      await m.route.handler(ctx);
    } catch (e) {
      let err: ServerError;
      if (e instanceof ServerError) err = e;
      else if (e instanceof ZodError) err = new ServerError(400, 'VALIDATION_FAILED', { detail: zodDetail(e) });
      else {
        deps.log(`kyso-server: ${action} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        requestLog.error('server.internal', { action, error: e });
        err = new ServerError(500, 'INTERNAL');
      }
      result = err.code;
      if (err.auditDetail !== null && ctx.audit.detail === null) ctx.audit.detail = err.auditDetail;
      // An unread request body (refused before reading) is not worth draining: close instead.
      if (!req.readableEnded && req.method !== 'GET' && req.method !== 'HEAD' && !res.headersSent) {
        res.setHeader('Connection', 'close');
      }
      sendProblem(res, err, ctx.locale);
    } finally {
      const status = res.statusCode;
      if (!(ctx.audit.skip && status < 400)) {
        await writeAudit(deps.db, {
          at: deps.now(),
          userId: ctx.user?.id ?? null,
          ip: ctx.ip,
          action,
          documentId: ctx.audit.documentId,
          status,
          result,
          detail: ctx.audit.detail,
        }).catch((e: unknown) => deps.log(`kyso-server: audit write failed: ${String(e)}`));
      }
    }
  }

  return (req, res) => {
    void handle(req, res);
  };
}

export async function startKysoServer(opts: KysoServerOptions, listen: ListenOptions = {}): Promise<KysoServer> {
  const server = createServer({ keepAliveTimeout: 5000 }, createRequestHandler(opts));
  // Slow-loris and stuck uploads: a request must finish arriving within this time.
  server.requestTimeout = 10 * 60 * 1000;
  server.headersTimeout = 30 * 1000;
  const host = listen.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
