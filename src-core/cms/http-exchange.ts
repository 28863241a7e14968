/**
 * One HTTP exchange with a TSA, OCSP responder or CRL server, with the failure modes users
 * actually meet turned into typed errors: unreachable, slow, HTTP error, and a 200 from a proxy
 * or captive portal that is not the protocol's content type.
 *
 * Retry policy: at most one retry, only when no HTTP response arrived at all (connection refused
 * or reset, DNS failure), after `retryDelayMs`. A timeout is not retried (the server is slow;
 * asking again doubles the wait and may hit a TSA's rate limit), nor is any HTTP answer.
 *
 * Proxies: pass `fetchImpl` (e.g. undici's fetch bound to a ProxyAgent dispatcher); nothing here
 * reads proxy settings.
 */
import { KysoError } from '../../src-shared/errors.js';
import type { ErrorCode } from '../../src-shared/errors.js';
import type { MessageKey } from '../../src-shared/i18n/messages.js';

export type FetchLike = typeof fetch;

export type ExchangeFamily = 'tsa' | 'revocation';

export interface ExchangeOptions {
  url: string;
  family: ExchangeFamily;
  method: 'GET' | 'POST';
  body?: Buffer;
  requestType?: string;
  /** Accepted response media types (without parameters); any when empty or absent. */
  responseTypes?: readonly string[];
  timeoutMs: number;
  maxBytes: number;
  fetchImpl?: FetchLike;
  retryDelayMs?: number;
  headers?: Readonly<Record<string, string>>;
}

export const DEFAULT_RETRY_DELAY_MS = 500;

const CODES: Record<ExchangeFamily, { unreachable: ErrorCode; http: ErrorCode; malformed: ErrorCode }> = {
  tsa: { unreachable: 'TSA_UNREACHABLE', http: 'TSA_HTTP_ERROR', malformed: 'TSA_RESPONSE_MALFORMED' },
  revocation: {
    unreachable: 'REVOCATION_UNREACHABLE',
    http: 'REVOCATION_HTTP_ERROR',
    malformed: 'REVOCATION_RESPONSE_MALFORMED',
  },
};

const KEYS: Record<
  ExchangeFamily,
  { unreachable: MessageKey; timeout: MessageKey; http: MessageKey; contentType: MessageKey; malformed: MessageKey }
> = {
  tsa: {
    unreachable: 'cms.tsa.unreachable',
    timeout: 'cms.tsa.timeout',
    http: 'cms.tsa.httpError',
    contentType: 'cms.tsa.contentType',
    malformed: 'cms.tsa.malformed',
  },
  revocation: {
    unreachable: 'cms.revocation.unreachable',
    timeout: 'cms.revocation.timeout',
    http: 'cms.revocation.httpError',
    contentType: 'cms.revocation.contentType',
    malformed: 'cms.revocation.malformed',
  },
};

class Timeout extends Error {}
class TooLarge extends Error {}

/**
 * The network-level reason node's fetch hides in `cause` (ECONNREFUSED, ENOTFOUND…). Only codes
 * and messages with the URL removed: a URL may carry a TSA account.
 */
function networkDetail(e: unknown, rawUrl: string, shownUrl: string): string {
  const scrub = (m: string): string => m.split(rawUrl).join(shownUrl);
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    if (cause && typeof cause === 'object') {
      const code = (cause as { code?: unknown }).code;
      if (typeof code === 'string') return code;
      const msg = (cause as { message?: unknown }).message;
      if (typeof msg === 'string') return scrub(msg);
    }
    return scrub(e.message);
  }
  return 'network error';
}

/** Where the URL points, without credentials or query. */
function safeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * user:password in a TSA URL (how several commercial TSAs hand out accounts) becomes HTTP Basic
 * authentication; fetch refuses URLs with credentials.
 */
function splitCredentials(url: URL, headers: Record<string, string>): string {
  if (!url.username && !url.password) return url.toString();
  if (!Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) {
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    headers['authorization'] = `Basic ${Buffer.from(`${user}:${pass}`, 'utf8').toString('base64')}`;
  }
  const clean = new URL(url.toString());
  clean.username = '';
  clean.password = '';
  return clean.toString();
}

export async function httpExchange(o: ExchangeOptions): Promise<Buffer> {
  const codes = CODES[o.family];
  const keys = KEYS[o.family];
  let parsed: URL;
  try {
    parsed = new URL(o.url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new KysoError(codes.unreachable, keys.unreachable, { url: '-', detail: 'invalid http(s) URL' });
  }
  const url = safeUrl(parsed);
  const baseHeaders: Record<string, string> = { ...o.headers };
  const target = splitCredentials(parsed, baseHeaders);
  const doFetch = o.fetchImpl ?? fetch;
  let attempt = 0;
  for (;;) {
    attempt++;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Timeout()), o.timeoutMs);
    let response: Response;
    try {
      try {
        const headers: Record<string, string> = { ...baseHeaders };
        if (o.requestType) headers['content-type'] = o.requestType;
        if (o.responseTypes && o.responseTypes.length > 0) headers['accept'] = o.responseTypes.join(', ');
        const init: RequestInit = { method: o.method, headers, signal: controller.signal, redirect: 'follow' };
        if (o.body) init.body = o.body;
        response = await doFetch(target, init);
      } catch (e) {
        if (controller.signal.aborted) {
          throw new KysoError(codes.unreachable, keys.timeout, { url, seconds: Math.round(o.timeoutMs / 100) / 10 });
        }
        if (attempt === 1) {
          await new Promise((r) => setTimeout(r, o.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS));
          continue;
        }
        throw new KysoError(codes.unreachable, keys.unreachable, { url, detail: networkDetail(e, target, url) });
      }
      if (!response.ok) {
        await response.body?.cancel().catch(() => undefined);
        throw new KysoError(codes.http, keys.http, { url, status: response.status });
      }
      const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (o.responseTypes && o.responseTypes.length > 0 && !o.responseTypes.includes(type)) {
        await response.body?.cancel().catch(() => undefined);
        throw new KysoError(codes.http, keys.contentType, { url, contentType: type || '-' });
      }
      try {
        return await readCapped(response, o.maxBytes);
      } catch (e) {
        if (controller.signal.aborted) {
          throw new KysoError(codes.unreachable, keys.timeout, { url, seconds: Math.round(o.timeoutMs / 100) / 10 });
        }
        if (e instanceof TooLarge) {
          throw new KysoError(codes.malformed, keys.malformed, { detail: `response larger than ${o.maxBytes} bytes` });
        }
        throw new KysoError(codes.unreachable, keys.unreachable, { url, detail: networkDetail(e, target, url) });
      }
    } finally {
      clearTimeout(timer);
    }
  }
}

async function readCapped(response: Response, maxBytes: number): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new TooLarge();
  }
  if (!response.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += chunk.length;
    if (total > maxBytes) {
      throw new TooLarge();
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
