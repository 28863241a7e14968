/**
 * HTTP to the workflow server over fetch (global, undici+proxy, or Electron's net.fetch).
 * Every failure becomes a SyncError: no answer at all is OFFLINE (the request may or may not
 * have reached the server — the outbox retries uploads with the same idempotency key for
 * exactly that reason), 5xx/429 are transient, a problem+json body is kept for the UI.
 * Nothing here logs: headers carry bearer tokens.
 */
import type { SyncProblem } from '../../src-shared/api/sync-types.js';
import type { FetchLike } from '../cms/http-exchange.js';
import { SyncError } from './errors.js';
import { ProblemSchema } from './response-schemas.js';

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

export interface RequestOptions {
  token?: string;
  json?: unknown;
  body?: Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;

export class SyncHttp {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly fetchImpl: FetchLike = globalThis.fetch,
    private readonly opts: { timeoutMs?: number; acceptLanguage?: string; userAgent?: string } = {},
  ) {
    this.baseUrl = normaliseServerUrl(baseUrl);
  }

  async request(method: string, path: string, o: RequestOptions = {}): Promise<HttpResponse> {
    const headers: Record<string, string> = {
      accept: 'application/json, application/problem+json;q=0.9, */*;q=0.1',
      'accept-language': this.opts.acceptLanguage ?? 'vi',
      ...(this.opts.userAgent ? { 'user-agent': this.opts.userAgent } : {}),
      ...o.headers,
    };
    let body: Buffer | undefined;
    if (o.json !== undefined) {
      body = Buffer.from(JSON.stringify(o.json));
      headers['content-type'] = 'application/json';
    } else if (o.body) {
      body = o.body;
      headers['content-type'] = o.contentType ?? 'application/octet-stream';
    }
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), o.timeoutMs ?? this.opts.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS);
    try {
      let res: Response;
      try {
        res = await this.fetchImpl(`${this.baseUrl}${path}`, {
          method,
          headers,
          ...(body ? { body } : {}),
          signal: controller.signal,
          redirect: 'error',
        });
      } catch (e) {
        throw offline(e, controller.signal.aborted);
      }
      let bytes: Buffer;
      try {
        bytes = Buffer.from(await res.arrayBuffer());
      } catch (e) {
        // Headers came, the body did not: the answer is lost as much as if nothing had come.
        throw offline(e, controller.signal.aborted);
      }
      return { status: res.status, headers: res.headers, body: bytes };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Streams a GET body (large documents) into the sink that `openSink` returns for the status
   * (200 or 206); other statuses come back with their (small) body for the error.
   */
  async download(
    path: string,
    o: RequestOptions,
    openSink: (status: number) => Promise<DownloadSink>,
  ): Promise<{ status: number; headers: Headers; problemBody?: Buffer }> {
    const headers: Record<string, string> = { 'accept-language': this.opts.acceptLanguage ?? 'vi', ...o.headers };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    const controller = new AbortController();
    const limit = o.timeoutMs ?? this.opts.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
    // An idle timer, not a total one: a 100 MB scan over a slow line may take minutes.
    let timer = setTimeout(() => controller.abort(), limit);
    const touch = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(), limit);
    };
    try {
      let res: Response;
      try {
        res = await this.fetchImpl(`${this.baseUrl}${path}`, { headers, signal: controller.signal, redirect: 'error' });
      } catch (e) {
        throw offline(e, controller.signal.aborted);
      }
      if (res.status !== 200 && res.status !== 206) {
        const problemBody = Buffer.from(await res.arrayBuffer().catch(() => new ArrayBuffer(0)));
        return { status: res.status, headers: res.headers, problemBody };
      }
      const sink = await openSink(res.status);
      try {
        if (res.body) {
          const reader = res.body.getReader();
          for (;;) {
            let step: Awaited<ReturnType<typeof reader.read>>;
            try {
              step = await reader.read();
            } catch (e) {
              throw offline(e, controller.signal.aborted);
            }
            if (step.done) break;
            touch();
            await sink.write(step.value);
          }
        }
      } finally {
        await sink.close();
      }
      return { status: res.status, headers: res.headers };
    } finally {
      clearTimeout(timer);
    }
  }
}

export interface DownloadSink {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export function normaliseServerUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SyncError('NO_SERVER', 'sync.error.badServerUrl', { url });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new SyncError('NO_SERVER', 'sync.error.badServerUrl', { url });
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}

function offline(e: unknown, timedOut: boolean): SyncError {
  const cause = (e as { cause?: { code?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : timedOut ? 'timeout' : 'network';
  return new SyncError('OFFLINE', 'sync.error.offline', { detail: code });
}

export function problemOf(r: { body: Buffer; headers: Headers }): SyncProblem | null {
  const type = r.headers.get('content-type') ?? '';
  if (!type.includes('json')) return null;
  try {
    const parsed = ProblemSchema.safeParse(JSON.parse(r.body.toString('utf8')));
    return parsed.success ? (parsed.data as SyncProblem) : null;
  } catch {
    return null;
  }
}

/** The SyncError for a non-success answer. */
export function errorFromResponse(r: HttpResponse): SyncError {
  const problem = problemOf(r);
  const extra = { status: r.status, ...(problem ? { problem } : {}) };
  const detail = problem?.detail ?? `HTTP ${r.status}`;
  if (r.status === 401) return new SyncError('AUTH_REQUIRED', 'sync.error.authRequired', {}, extra);
  if (r.status === 429) return new SyncError('RATE_LIMITED', 'sync.error.rateLimited', { detail }, extra);
  if (r.status >= 500 || r.status === 408)
    return new SyncError('SERVER_UNAVAILABLE', 'sync.error.serverUnavailable', { status: r.status }, extra);
  return new SyncError('REJECTED', 'sync.error.rejected', { code: problem?.code ?? `HTTP ${r.status}`, detail }, extra);
}

export function parseJson<T>(
  r: HttpResponse,
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
): T {
  let v: unknown;
  try {
    v = JSON.parse(r.body.toString('utf8'));
  } catch {
    throw new SyncError('PROTOCOL', 'sync.error.protocol', { detail: 'not JSON' });
  }
  const p = schema.safeParse(v);
  if (!p.success) throw new SyncError('PROTOCOL', 'sync.error.protocol', { detail: 'unexpected response shape' });
  return p.data;
}
