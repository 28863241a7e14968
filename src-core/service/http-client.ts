/**
 * A small HTTP client for the workflow server (and the reachability checks): node:http/https,
 * streaming a file as the body or into a file, a timeout, and an optional HTTP proxy (absolute
 * URIs for http://, CONNECT for https://). Network failures become one clear error value.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { request as httpRequestRaw, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequestRaw } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KysoError } from '../../src-shared/errors.js';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'DELETE' | 'HEAD';
  url: string;
  headers?: Record<string, string>;
  body?: Buffer | { file: string; size: number };
  timeoutMs?: number;
  proxy?: string;
  /** Stream a 2xx body into this file instead of memory. */
  toFile?: string;
  maxBytes?: number;
}

export interface HttpResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export function unreachable(url: string, detail: string): KysoError {
  let origin = url;
  try {
    origin = new URL(url).origin;
  } catch {
    // keep as given
  }
  return new KysoError('SERVER_UNREACHABLE', 'ui.error.serverUnreachable', { url: origin, detail });
}

async function proxySocket(proxy: URL, target: URL, timeoutMs: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const port = target.port || (target.protocol === 'https:' ? '443' : '80');
    const req = httpRequestRaw({
      host: proxy.hostname,
      port: proxy.port || 80,
      method: 'CONNECT',
      path: `${target.hostname}:${port}`,
      headers: { host: `${target.hostname}:${port}` },
      timeout: timeoutMs,
    });
    req.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(new Error(`proxy CONNECT ${res.statusCode}`));
      } else resolve(socket);
    });
    req.once('timeout', () => req.destroy(new Error('proxy timeout')));
    req.once('error', reject);
    req.end();
  });
}

export async function httpRequest(r: HttpRequest): Promise<HttpResponse> {
  const target = new URL(r.url);
  const timeoutMs = r.timeoutMs ?? 30000;
  const headers: OutgoingHttpHeaders = { ...(r.headers ?? {}) };
  if (r.body) headers['content-length'] = Buffer.isBuffer(r.body) ? r.body.length : r.body.size;
  const proxy = r.proxy ? new URL(r.proxy) : null;
  let socket: Duplex | null = null;
  try {
    if (proxy && target.protocol === 'https:') socket = await proxySocket(proxy, target, timeoutMs);
  } catch (e) {
    throw unreachable(r.url, (e as Error).message);
  }
  return new Promise<HttpResponse>((resolve, reject) => {
    const isHttps = target.protocol === 'https:';
    const viaPlainProxy = proxy !== null && !isHttps;
    const opts = {
      method: r.method,
      host: viaPlainProxy ? proxy.hostname : target.hostname,
      port: viaPlainProxy ? proxy.port || 80 : target.port || (isHttps ? 443 : 80),
      path: viaPlainProxy ? target.href : `${target.pathname}${target.search}`,
      headers: viaPlainProxy ? { ...headers, host: target.host } : headers,
      timeout: timeoutMs,
      ...(socket
        ? { createConnection: () => tlsConnect({ socket: socket as never, servername: target.hostname }) }
        : {}),
    };
    const req = (isHttps ? httpsRequestRaw : httpRequestRaw)(opts, (res) => {
      const status = res.statusCode ?? 0;
      if (r.toFile && status >= 200 && status < 300) {
        pipeline(res, createWriteStream(r.toFile, { mode: 0o600 })).then(
          () => resolve({ status, headers: res.headers, body: Buffer.alloc(0) }),
          (e: Error) => reject(unreachable(r.url, e.message)),
        );
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > (r.maxBytes ?? 64 * 1024 * 1024)) {
          res.destroy(new Error('response too large'));
          return;
        }
        chunks.push(c);
      });
      res.once('end', () => resolve({ status, headers: res.headers, body: Buffer.concat(chunks) }));
      res.once('error', (e) => reject(unreachable(r.url, e.message)));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', (e: NodeJS.ErrnoException) => reject(unreachable(r.url, e.code ?? e.message)));
    if (!r.body) req.end();
    else if (Buffer.isBuffer(r.body)) req.end(r.body);
    else {
      pipeline(createReadStream(r.body.file), req).catch((e: Error) => req.destroy(e));
    }
  });
}

export function jsonOf<T>(res: HttpResponse): T {
  return JSON.parse(res.body.toString('utf8')) as T;
}
