// requestTimestamp against the real openssl TSA and its failure modes: HTTP 500, garbage, a proxy's
// HTML page, a reply slower than the timeout (no retry), an unreachable TSA (one retry), a
// transient network error recovered by the retry, a refused policy, and replies tampered in transit
// (imprint, nonce, token signature) through a fetch wrapper.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createTestPki } from '../helpers/pki.js';
import type { TestPki } from '../helpers/pki.js';
import { freePort } from '../helpers/ocsp.js';
import { startTsa } from '../helpers/tsa.js';
import type { TestTsa } from '../helpers/tsa.js';
import { requestTimestamp } from '../../src-core/cms/tsa-client.js';
import { integer } from '../../src-core/cms/der.js';
import { verifyTimestampToken } from '../../src-core/cms/timestamp-token.js';
import { KysoError } from '../../src-shared/errors.js';
import type { ErrorCode } from '../../src-shared/errors.js';
import type { MessageKey } from '../../src-shared/i18n/messages.js';
import { en, vi } from '../../src-shared/i18n/messages.js';

let pki: TestPki;
let tsa: TestTsa;
const DATA = Buffer.from('giá trị chữ ký');
const DIGEST = createHash('sha256').update(DATA).digest();

before(async () => {
  pki = await createTestPki();
  tsa = await startTsa(pki);
});
afterEach(() => tsa.setFault(null));
after(async () => {
  await tsa?.close();
  await pki?.cleanup();
});

async function rejectsWith(p: Promise<unknown>, code: ErrorCode, key?: MessageKey): Promise<KysoError> {
  let caught: unknown;
  await assert.rejects(p, (e: unknown) => {
    caught = e;
    return true;
  });
  assert.ok(caught instanceof KysoError, String(caught));
  assert.equal(caught.code, code, `${caught.code} ${caught.messageKey}`);
  if (key) assert.equal(caught.messageKey, key);
  // Every message exists in both languages.
  assert.ok(vi[caught.messageKey] && en[caught.messageKey]);
  return caught;
}

/** fetch that lets a test rewrite the request body or the reply on the way. */
function tamperingFetch(o: { request?: (b: Buffer) => Buffer; reply?: (b: Buffer) => Buffer }): typeof fetch {
  return async (url, init) => {
    const body = o.request ? o.request(Buffer.from(init!.body as Uint8Array)) : (init!.body as Uint8Array);
    const res = await fetch(url, { ...init, body });
    const bytes = Buffer.from(await res.arrayBuffer());
    return new Response(o.reply ? o.reply(bytes) : bytes, { status: res.status, headers: res.headers });
  };
}

function flipFirst(haystack: Buffer, needle: Buffer): Buffer {
  const at = haystack.indexOf(needle);
  assert.ok(at >= 0, 'pattern present');
  const out = Buffer.from(haystack);
  out[at + needle.length - 1] = out[at + needle.length - 1]! ^ 1;
  return out;
}

describe('granted', () => {
  test('data or digest, SHA-256/384/512; the token verifies', async () => {
    const a = await requestTimestamp({ url: tsa.url, data: DATA });
    assert.equal(a.status, 'granted');
    assert.deepEqual(a.tsaCertDer, Buffer.from(pki.tsa.certDer));
    assert.equal(a.policy, tsa.policyOid);
    assert.match(a.serial, /^[0-9A-F]+$/);
    assert.ok(Math.abs(a.genTime.getTime() - Date.now()) < 60_000);
    const check = verifyTimestampToken(a.token, { expected: { data: DATA } });
    assert.deepEqual(check.errors, []);
    for (const hash of ['SHA-384', 'SHA-512'] as const) {
      const digest = createHash(hash.replace('-', '').toLowerCase()).update(DATA).digest();
      const r = await requestTimestamp({ url: tsa.url, digest, hash });
      assert.equal(verifyTimestampToken(r.token, { expected: { digest: { hash, value: digest } } }).imprintOk, true);
    }
    const two = await requestTimestamp({ url: tsa.url, digest: DIGEST });
    assert.notEqual(two.serial, a.serial);
  });
});

describe('failures', () => {
  test('HTTP 500', async () => {
    tsa.setFault('http-500');
    const e = await rejectsWith(
      requestTimestamp({ url: tsa.url, digest: DIGEST }),
      'TSA_HTTP_ERROR',
      'cms.tsa.httpError',
    );
    assert.equal(e.params['status'], 500);
  });

  test('garbage body with the right content type', async () => {
    tsa.setFault('garbage');
    await rejectsWith(requestTimestamp({ url: tsa.url, digest: DIGEST }), 'TSA_RESPONSE_MALFORMED');
  });

  test('an HTML page (proxy, captive portal)', async () => {
    tsa.setFault('wrong-content-type');
    const e = await rejectsWith(
      requestTimestamp({ url: tsa.url, digest: DIGEST }),
      'TSA_HTTP_ERROR',
      'cms.tsa.contentType',
    );
    assert.equal(e.params['contentType'], 'text/html');
  });

  test('slower than the timeout: typed error, not retried', async () => {
    tsa.setFault({ delayMs: 1500 });
    const before = tsa.requestCount;
    const started = Date.now();
    const e = await rejectsWith(
      requestTimestamp({ url: tsa.url, digest: DIGEST, timeoutMs: 300 }),
      'TSA_UNREACHABLE',
      'cms.tsa.timeout',
    );
    assert.ok(Date.now() - started < 1200);
    assert.equal(e.params['seconds'], 0.3);
    // Give the server time to count the request, then check there was exactly one.
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(tsa.requestCount, before + 1);
  });

  test('unreachable: one retry, then a typed error naming the cause', async () => {
    const port = await freePort();
    let calls = 0;
    const counting: typeof fetch = (url, init) => {
      calls++;
      return fetch(url, init);
    };
    const e = await rejectsWith(
      requestTimestamp({ url: `http://127.0.0.1:${port}/tsa`, digest: DIGEST, fetchImpl: counting, retryDelayMs: 20 }),
      'TSA_UNREACHABLE',
      'cms.tsa.unreachable',
    );
    assert.equal(calls, 2);
    assert.equal(e.params['detail'], 'ECONNREFUSED');
    assert.equal(e.params['url'], `http://127.0.0.1:${port}/tsa`);
  });

  test('a transient network error is recovered by the retry', async () => {
    let calls = 0;
    const flaky: typeof fetch = (url, init) => {
      calls++;
      if (calls === 1) return Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } }));
      return fetch(url, init);
    };
    const r = await requestTimestamp({ url: tsa.url, digest: DIGEST, fetchImpl: flaky, retryDelayMs: 20 });
    assert.equal(calls, 2);
    assert.equal(r.status, 'granted');
  });

  test('credentials in the URL become Basic auth and are not repeated in errors', async () => {
    const url = new URL(tsa.url);
    url.username = 'tài-khoản';
    url.password = 'secret';
    url.search = '?key=secret';
    const seen: string[] = [];
    const spying: typeof fetch = (target, init) => {
      seen.push(String(target), String((init?.headers as Record<string, string>)['authorization']));
      return fetch(target, init);
    };
    const ok = await requestTimestamp({ url: url.toString(), digest: DIGEST, fetchImpl: spying });
    assert.equal(ok.status, 'granted');
    assert.doesNotMatch(seen[0]!, /secret@/);
    assert.equal(seen[1], `Basic ${Buffer.from('tài-khoản:secret').toString('base64')}`);

    tsa.setFault('http-500');
    const e = await rejectsWith(requestTimestamp({ url: url.toString(), digest: DIGEST }), 'TSA_HTTP_ERROR');
    assert.doesNotMatch(JSON.stringify(e.params), /secret/);
    const port = await freePort();
    const down = await rejectsWith(
      requestTimestamp({ url: `http://u:secret@127.0.0.1:${port}/?k=secret`, digest: DIGEST, retryDelayMs: 1 }),
      'TSA_UNREACHABLE',
    );
    assert.doesNotMatch(JSON.stringify(down.params), /secret/);
  });

  test('an unsupported policy is rejected with the TSA status', async () => {
    const e = await rejectsWith(
      requestTimestamp({ url: tsa.url, digest: DIGEST, policyOid: '1.2.3.4.5.6' }),
      'TSA_REJECTED',
      'cms.tsa.rejected',
    );
    assert.equal(e.params['status'], 'rejection');
    assert.match(String(e.params['text']), /unacceptedPolicy|policy/i);
  });
});

describe('replies that do not answer our query', () => {
  test('imprint changed on the way: TSA_IMPRINT_MISMATCH', async () => {
    await rejectsWith(
      requestTimestamp({
        url: tsa.url,
        digest: DIGEST,
        fetchImpl: tamperingFetch({ request: (b) => flipFirst(b, DIGEST) }),
      }),
      'TSA_IMPRINT_MISMATCH',
    );
  });

  test('nonce changed on the way: TSA_NONCE_MISMATCH', async () => {
    const nonce = 0x1122334455667788n;
    await rejectsWith(
      requestTimestamp({
        url: tsa.url,
        digest: DIGEST,
        nonce,
        fetchImpl: tamperingFetch({ request: (b) => flipFirst(b, integer(nonce)) }),
      }),
      'TSA_NONCE_MISMATCH',
    );
  });

  test('token signature damaged: TSA_SIGNATURE_INVALID', async () => {
    await rejectsWith(
      requestTimestamp({
        url: tsa.url,
        digest: DIGEST,
        // The SignerInfo signature is the last element of the reply (openssl adds no unsigned attributes).
        fetchImpl: tamperingFetch({
          reply: (b) => {
            const out = Buffer.from(b);
            out[out.length - 5] = out[out.length - 5]! ^ 1;
            return out;
          },
        }),
      }),
      'TSA_SIGNATURE_INVALID',
    );
  });

  test('TSTInfo changed on the way: the token signature no longer covers it', async () => {
    await rejectsWith(
      requestTimestamp({
        url: tsa.url,
        digest: DIGEST,
        nonce: 0x0102030405060708n,
        // Changing the nonce inside the reply: TSTInfo no longer matches the signed message digest.
        fetchImpl: tamperingFetch({ reply: (b) => flipFirst(b, integer(0x0102030405060708n)) }),
      }),
      'TSA_SIGNATURE_INVALID',
    );
  });
});
