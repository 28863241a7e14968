// A real OCSP responder for the test PKI's issuing CA on 127.0.0.1.
//
// Each request is answered by a fresh `openssl ocsp -index … -reqin … -respout …` run behind a
// node:http server, instead of a long-running `openssl ocsp -port`: OpenSSL 3.0's -port takes only
// a number and listens on all interfaces ([::]), and it caches index.txt, so a revocation would need
// a restart. Per request, revocations show up at once and we bind to loopback only.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import type { RevocationReason, TestCert, TestPki } from './pki.js';
import { run } from './run.js';

export type OcspFault =
  | null
  | 'http-500'
  | 'garbage'
  /** A well-formed OCSPResponse with status tryLater (3) and no body. */
  | 'try-later'
  /** status unauthorized (6): what responders say about certificates of CAs they do not serve. */
  | 'unauthorized'
  | { delayMs: number };

export interface StartOcspOptions {
  /**
   * Port to listen on; default: the port of pki.ocspUrl when that points at 127.0.0.1 (so the URL
   * already inside the leaves' AIA is served), else a random free port.
   */
  port?: number;
  /** nextUpdate = thisUpdate + this many minutes. Default 5. */
  nextUpdateMinutes?: number;
  maxRequestBytes?: number;
}

export interface TestOcsp {
  /** Base URL; POST application/ocsp-request here, or GET url + base64(request) (RFC 6960 A.1). */
  url: string;
  readonly requestCount: number;
  /** pki.revoke() under the name tests reach for; takes effect with the next request. */
  revoke(target: TestCert | string, opts?: { reason?: RevocationReason; at?: Date }): Promise<void>;
  setFault(fault: OcspFault): void;
  close(): Promise<void>;
}

const OPENSSL_TIMEOUT_MS = 10_000;
// OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED } with no responseBytes.
const TRY_LATER = new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x03]);
const UNAUTHORIZED = new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x06]);

/**
 * A TCP port that was free a moment ago on 127.0.0.1. Use it to know the OCSP URL before the PKI
 * exists (the URL goes into every leaf's AIA):
 *   const port = await freePort();
 *   const pki = await createTestPki({ ocspUrl: `http://127.0.0.1:${port}/` });
 *   const ocsp = await startOcsp(pki); // listens on that port
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function portFromUrl(url: string | undefined): number | undefined {
  if (!url) return undefined;
  const u = new URL(url);
  if (u.hostname !== '127.0.0.1' || !u.port) return undefined;
  return Number(u.port);
}

export async function startOcsp(pki: TestPki, opts: StartOcspOptions = {}): Promise<TestOcsp> {
  const maxBytes = opts.maxRequestBytes ?? 16 * 1024;
  const nmin = opts.nextUpdateMinutes ?? 5;
  const dir = await mkdtemp(join(pki.dir, 'ocsp-'));
  let fault: OcspFault = null;
  let requestCount = 0;

  async function respond(request: Uint8Array): Promise<Uint8Array | null> {
    const stem = join(dir, randomBytes(8).toString('hex'));
    const reqPath = `${stem}.req`;
    const respPath = `${stem}.resp`;
    await writeFile(reqPath, request);
    try {
      const r = await run(
        'openssl',
        [
          'ocsp',
          '-index',
          pki.files.indexTxt,
          '-CA',
          pki.files.issuingPem,
          '-rsigner',
          pki.ocsp.certPath,
          '-rkey',
          pki.ocsp.keyPath,
          '-rmd',
          'sha256',
          '-nmin',
          String(nmin),
          '-reqin',
          reqPath,
          '-respout',
          respPath,
        ],
        { timeoutMs: OPENSSL_TIMEOUT_MS },
      );
      if (r.status !== 0) return null;
      return new Uint8Array(await readFile(respPath));
    } finally {
      await rm(reqPath, { force: true });
      await rm(respPath, { force: true });
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let request: Uint8Array | null;
    if (req.method === 'GET') {
      // The path after the base URL is the URL-encoded base64 of the DER request.
      const encoded = (req.url ?? '/').replace(/^\/+/, '');
      request = encoded ? new Uint8Array(Buffer.from(decodeURIComponent(encoded), 'base64')) : null;
      if (request === null || request.length === 0) {
        res.writeHead(400).end();
        return;
      }
    } else if (req.method === 'POST') {
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/ocsp-request') {
        res.writeHead(415).end();
        return;
      }
      request = await readBounded(req, maxBytes);
      if (request === null) {
        res.writeHead(413, { connection: 'close' }).end();
        return;
      }
    } else {
      res.writeHead(405, { allow: 'GET, POST' }).end();
      return;
    }
    requestCount += 1;
    const current = fault;
    const send = (body: Uint8Array): void => {
      res.writeHead(200, { 'content-type': 'application/ocsp-response', 'content-length': body.length }).end(body);
    };
    if (current === 'http-500') {
      res.writeHead(500).end('OCSP test fault');
      return;
    }
    if (current === 'garbage') return send(randomBytes(64));
    if (current === 'try-later') return send(TRY_LATER);
    if (current === 'unauthorized') return send(UNAUTHORIZED);
    if (current !== null && typeof current === 'object') {
      await new Promise((r) => setTimeout(r, current.delayMs));
    }
    const response = await respond(request);
    if (response === null) {
      // openssl answers malformedRequest itself where it can parse enough; this is for the rest.
      return send(new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x01]));
    }
    send(response);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(e));
      else res.destroy();
    });
  });
  const wanted = opts.port ?? portFromUrl(pki.ocspUrl) ?? 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(wanted, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    get requestCount() {
      return requestCount;
    },
    revoke: (target, ro) => pki.revoke(target, ro),
    setFault(f: OcspFault) {
      fault = f;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function readBounded(req: IncomingMessage, maxBytes: number): Promise<Uint8Array | null> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > maxBytes) {
    req.resume();
    return Promise.resolve(null);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    req.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        req.removeAllListeners('data');
        req.resume();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(total > maxBytes ? null : new Uint8Array(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}
