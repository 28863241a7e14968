// A real RFC 3161 time-stamp authority on 127.0.0.1: node:http in front, `openssl ts -reply`
// doing the stamping with the test PKI's TSA certificate.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { TEST_TSA_POLICY_OID } from './pki.js';
import type { TestPki } from './pki.js';
import { run } from './run.js';

/** Misbehaviours a client must survive; null = answer correctly. */
export type TsaFault =
  | null
  | 'http-500'
  /** 200 with the right content type but a body that is not a TimeStampResp. */
  | 'garbage'
  /** 200 with text/html, as a captive portal or misconfigured proxy would. */
  | 'wrong-content-type'
  | { delayMs: number };

export interface StartTsaOptions {
  /** TSTInfo policy; default TEST_TSA_POLICY_OID. */
  policyOid?: string;
  /** Queries larger than this get 413. Default 16 KiB (a real query is ~60-100 bytes). */
  maxRequestBytes?: number;
  /** Put the issuing CA certificate into the token's SignedData besides the TSA cert. Default true. */
  includeChain?: boolean;
}

export interface TestTsa {
  url: string;
  /** The openssl config used, for tests that want to call `openssl ts` with it directly. */
  configPath: string;
  policyOid: string;
  /** Number of time-stamp queries answered (faults included). */
  readonly requestCount: number;
  setFault(fault: TsaFault): void;
  close(): Promise<void>;
}

const OPENSSL_TIMEOUT_MS = 10_000;

export async function startTsa(pki: TestPki, opts: StartTsaOptions = {}): Promise<TestTsa> {
  const policyOid = opts.policyOid ?? TEST_TSA_POLICY_OID;
  const maxBytes = opts.maxRequestBytes ?? 16 * 1024;
  const dir = await mkdtemp(join(pki.dir, 'tsa-'));
  const serialPath = join(dir, 'tsaserial');
  await writeFile(serialPath, '01\n');
  const configPath = join(dir, 'openssl-tsa.cnf');
  const config = [
    '[ tsa ]',
    'default_tsa = tsa_config',
    '',
    '[ tsa_config ]',
    `serial = ${serialPath}`,
    'crypto_device = builtin',
    `signer_cert = ${pki.tsa.certPath}`,
    `signer_key = ${pki.tsa.keyPath}`,
    ...(opts.includeChain === false ? [] : [`certs = ${pki.files.issuingPem}`]),
    'signer_digest = sha256',
    `default_policy = ${policyOid}`,
    'digests = sha256, sha384, sha512, sha1',
    'accuracy = secs:1',
    'clock_precision_digits = 0',
    'ordering = no',
    'tsa_name = yes',
    'ess_cert_id_chain = no',
    // Without this openssl writes the legacy SHA-1 ESSCertID (signingCertificate v1).
    'ess_cert_id_alg = sha256',
    '',
  ].join('\n');
  await writeFile(configPath, config);

  let fault: TsaFault = null;
  let requestCount = 0;
  // openssl increments the serial file read-modify-write; two replies at once could share a serial.
  let queue: Promise<unknown> = Promise.resolve();

  async function stamp(query: Uint8Array): Promise<Uint8Array | null> {
    const queryPath = join(dir, `${randomBytes(8).toString('hex')}.tsq`);
    await writeFile(queryPath, query);
    try {
      const r = await run(
        'openssl',
        ['ts', '-reply', '-config', configPath, '-section', 'tsa_config', '-queryfile', queryPath],
        { timeoutMs: OPENSSL_TIMEOUT_MS },
      );
      return r.status === 0 && r.stdoutBytes.length > 0 ? new Uint8Array(r.stdoutBytes) : null;
    } finally {
      await rm(queryPath, { force: true });
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/timestamp-query') {
      res.writeHead(415).end();
      return;
    }
    const body = await readBounded(req, maxBytes);
    if (body === null) {
      res.writeHead(413, { connection: 'close' }).end();
      return;
    }
    requestCount += 1;
    const current = fault;
    if (current === 'http-500') {
      res.writeHead(500).end('TSA test fault');
      return;
    }
    if (current === 'garbage') {
      res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(randomBytes(64));
      return;
    }
    if (current !== null && typeof current === 'object') {
      await new Promise((r) => setTimeout(r, current.delayMs));
    }
    const job = queue.then(() => stamp(body));
    queue = job.catch(() => undefined);
    const reply = await job;
    if (reply === null) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('openssl ts -reply rejected the query');
      return;
    }
    const contentType = current === 'wrong-content-type' ? 'text/html' : 'application/timestamp-reply';
    res.writeHead(200, { 'content-type': contentType, 'content-length': reply.length }).end(reply);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(e));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    configPath,
    policyOid,
    get requestCount() {
      return requestCount;
    },
    setFault(f: TsaFault) {
      fault = f;
    },
    async close() {
      // Delayed or keep-alive connections would otherwise hold server.close() open.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queue;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Reads the body, or returns null (and stops reading) once it exceeds maxBytes. */
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
