// Timestamp replies built by hand, to reach what a well-behaved TSA never sends: a token signed by a
// certificate without the critical timeStamping EKU, a broken token signature, rejection statuses
// with their text and failure bits, a foreign nonce or imprint, and unreadable replies. The real
// TSA (openssl) is exercised in test/integration/cms-tsa.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, sign as nodeSign } from 'node:crypto';
import { createTestPki, OID as PKI_OID } from '../helpers/pki.js';
import type { TestIdentity, TestPki } from '../helpers/pki.js';
import { buildSignedAttributes } from '../../src-core/cms/cades-builder.js';
import {
  bitString,
  children,
  ctx,
  integer,
  nul,
  octets,
  oid,
  parse,
  raw,
  readOid,
  retag,
  seq,
  setOf,
  tlv,
} from '../../src-core/cms/der.js';
import { OID } from '../../src-core/cms/oids.js';
import { verifyTimestampToken } from '../../src-core/cms/timestamp-token.js';
import { readTimestampReply } from '../../src-core/cms/tsa-client.js';
import { parseCertificate } from '../../src-core/cms/x509.js';
import { KysoError } from '../../src-shared/errors.js';
import type { ErrorCode } from '../../src-shared/errors.js';

let pki: TestPki;
let nonCriticalEku: TestIdentity;
const DIGEST = createHash('sha256').update('chữ ký cần đóng dấu thời gian').digest();
const NONCE = 0x1122334455667788n;

before(async () => {
  pki = await createTestPki();
  nonCriticalEku = await pki.issue({
    name: 'tsa-noncritical',
    profile: 'person',
    subject: { cn: 'TSA with a non-critical EKU' },
    extendedKeyUsages: [PKI_OID.ekuTimeStamping],
  });
});
after(async () => {
  await pki?.cleanup();
});

const attr = (type: string, value: Buffer): Buffer => seq(oid(type), setOf([value]));

function token(o: { signer: TestIdentity; digest?: Buffer; nonce?: bigint | null; breakSignature?: boolean }): Buffer {
  const tstInfo = seq(
    integer(1),
    oid('1.3.6.1.4.1.99999.1.3.1'),
    seq(seq(oid(OID.sha256)), octets(o.digest ?? DIGEST)),
    integer(0x42),
    tlv(0x18, Buffer.from('20251204103000Z')),
    ...(o.nonce === null ? [] : [integer(o.nonce ?? NONCE)]),
  );
  const cert = parseCertificate(Buffer.from(o.signer.certDer));
  const ess = children(
    parse(buildSignedAttributes({ messageDigest: Buffer.alloc(32), hash: 'SHA-256', signerCertDer: cert.der }).der),
  ).find((a) => readOid(children(a)[0]) === OID.signingCertificateV2)!;
  const attrs = setOf([
    attr(OID.contentType, oid(OID.tstInfo)),
    attr(OID.messageDigest, octets(createHash('sha256').update(tstInfo).digest())),
    raw(ess),
  ]);
  const signature = nodeSign('sha256', attrs, createPrivateKey(o.signer.keyPem));
  if (o.breakSignature) signature[10] = signature[10]! ^ 1;
  const signerInfo = seq(
    integer(1),
    seq(cert.issuerDer, tlv(0x02, cert.serial)),
    seq(oid(OID.sha256)),
    retag(attrs, 0xa0),
    seq(oid(OID.rsaEncryption), nul()),
    octets(signature),
  );
  const sd = seq(
    integer(3),
    setOf([seq(oid(OID.sha256))]),
    seq(oid(OID.tstInfo), ctx(0, octets(tstInfo))),
    ctx(0, cert.der),
    setOf([signerInfo]),
  );
  return seq(oid(OID.signedData), ctx(0, sd));
}

const granted = (t: Buffer): Buffer => seq(seq(integer(0)), t);
const asked = { hash: 'SHA-256' as const, digest: DIGEST, nonce: NONCE };

function rejectsWith(fn: () => unknown, code: ErrorCode, check?: (e: KysoError) => void): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof KysoError, String(e));
    assert.equal(e.code, code);
    check?.(e);
    return true;
  });
}

describe('readTimestampReply', () => {
  test('a well-formed token from a proper TSA certificate is accepted', () => {
    const r = readTimestampReply(granted(token({ signer: pki.tsa })), asked);
    assert.equal(r.status, 'granted');
    assert.equal(r.serial, '42');
    assert.equal(r.genTime.toISOString(), '2025-12-04T10:30:00.000Z');
    assert.deepEqual(r.tsaCertDer, Buffer.from(pki.tsa.certDer));
    assert.equal(r.policy, '1.3.6.1.4.1.99999.1.3.1');
  });

  test('TSA certificate without (critical) timeStamping EKU', () => {
    rejectsWith(() => readTimestampReply(granted(token({ signer: pki.person })), asked), 'TSA_CERTIFICATE_INVALID');
    rejectsWith(() => readTimestampReply(granted(token({ signer: nonCriticalEku })), asked), 'TSA_CERTIFICATE_INVALID');
  });

  test('broken token signature', () => {
    rejectsWith(
      () => readTimestampReply(granted(token({ signer: pki.tsa, breakSignature: true })), asked),
      'TSA_SIGNATURE_INVALID',
    );
  });

  test('foreign imprint or nonce, or no nonce at all', () => {
    rejectsWith(
      () => readTimestampReply(granted(token({ signer: pki.tsa, digest: Buffer.alloc(32, 7) })), asked),
      'TSA_IMPRINT_MISMATCH',
    );
    rejectsWith(() => readTimestampReply(granted(token({ signer: pki.tsa, nonce: 5n })), asked), 'TSA_NONCE_MISMATCH');
    rejectsWith(
      () => readTimestampReply(granted(token({ signer: pki.tsa, nonce: null })), asked),
      'TSA_NONCE_MISMATCH',
    );
    // Without a nonce in the query, none is expected.
    assert.ok(readTimestampReply(granted(token({ signer: pki.tsa, nonce: null })), { ...asked, nonce: null }));
  });

  test('rejection statuses carry their text and failure bits', () => {
    const statusText = seq(tlv(0x0c, Buffer.from('Chính sách không được hỗ trợ')));
    // failInfo bit 15 = unacceptedPolicy.
    const rejection = seq(seq(integer(2), statusText, bitString(Buffer.from([0x00, 0x01]))));
    rejectsWith(
      () => readTimestampReply(rejection, asked),
      'TSA_REJECTED',
      (e) => {
        assert.equal(e.params['status'], 'rejection');
        assert.match(String(e.params['text']), /Chính sách không được hỗ trợ/);
        assert.match(String(e.params['text']), /unacceptedPolicy/);
      },
    );
    rejectsWith(
      () => readTimestampReply(seq(seq(integer(3))), asked),
      'TSA_REJECTED',
      (e) => assert.equal(e.params['status'], 'waiting'),
    );
  });

  test('unreadable replies', () => {
    rejectsWith(() => readTimestampReply(Buffer.from('<html>proxy login</html>'), asked), 'TSA_RESPONSE_MALFORMED');
    rejectsWith(() => readTimestampReply(seq(seq(integer(0))), asked), 'TSA_RESPONSE_MALFORMED');
    rejectsWith(() => readTimestampReply(seq(seq(integer(0)), seq(oid(OID.data))), asked), 'TSA_RESPONSE_MALFORMED');
  });
});

describe('verifyTimestampToken', () => {
  test('reports instead of throwing', () => {
    for (const bad of [Buffer.alloc(0), Buffer.from([0x30, 0x80]), Buffer.from(pki.tsa.certDer)]) {
      const c = verifyTimestampToken(bad);
      assert.equal(c.signatureValid, false);
      assert.ok(c.errors.length > 0);
    }
  });

  test('imprint expectation by data: hashed with the token algorithm', () => {
    const data = Buffer.from('signature value bytes');
    const t = token({ signer: pki.tsa, digest: createHash('sha256').update(data).digest() });
    assert.equal(verifyTimestampToken(t, { expected: { data } }).imprintOk, true);
    assert.equal(verifyTimestampToken(t, { expected: { data: Buffer.from('other') } }).imprintOk, false);
    const c = verifyTimestampToken(t);
    assert.equal(c.imprintOk, null);
    assert.ok(c.signatureValid && c.essOk && c.ekuOk);
    assert.deepEqual(c.errors, []);
  });
});
