// verifyDetachedCms on good and bad CMS: valid RSA/EC, tampered content, tampered signature, wrong
// certificate, signer certificate missing, each required attribute missing or repeated, signing-time
// present, weak algorithms, and garbage. Property tests: random bytes and single-byte mutations of a
// valid CMS never throw, and a mutation inside what the signature protects never verifies.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, sign as nodeSign } from 'node:crypto';
import fc from 'fast-check';
import { createTestPki } from '../helpers/pki.js';
import type { TestIdentity, TestPki } from '../helpers/pki.js';
import { assembleSignedData, buildSignedAttributes, signCades } from '../../src-core/cms/cades-builder.js';
import { cmsDigestAlgorithm, verifyDetachedCms } from '../../src-core/cms/cms-verify.js';
import type { CmsCheck } from '../../src-core/cms/cms-verify.js';
import {
  children,
  ctx,
  integer,
  isCtx,
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
  toDefinite,
} from '../../src-core/cms/der.js';
import { OID } from '../../src-core/cms/oids.js';
import { parseCertificate } from '../../src-core/cms/x509.js';

let pki: TestPki;
let rsaCms: Buffer;
let ecCms: Buffer;
const CONTENT = Buffer.from('Quyết định số 45/QĐ-BTC: nội dung được ký.\n');
const der = (u: Uint8Array): Buffer => Buffer.from(u);

async function sign(id: TestIdentity, content = CONTENT): Promise<Buffer> {
  const key = createPrivateKey(id.keyPem);
  const ec = id.keySpec.type === 'ec';
  return signCades({
    content,
    hash: 'SHA-256',
    signerCertDer: der(id.certDer),
    chainDers: [der(pki.issuing.certDer)],
    sign: async (tbs) =>
      ec
        ? { signature: nodeSign('sha256', tbs, { key, dsaEncoding: 'der' }), scheme: 'ECDSA' }
        : { signature: nodeSign('sha256', tbs, key), scheme: 'RSA-PKCS1' },
  });
}

/**
 * A CMS over hand-made signed attributes (or none: null), signed by `id` with RSA PKCS#1 and the
 * digest `digestOid`, to produce variants the builder refuses to make.
 */
function withAttributes(attrs: Buffer[] | null, id: TestIdentity = pki.person, digestOid: string = OID.sha256): Buffer {
  const cert = parseCertificate(der(id.certDer));
  const hashName = digestOid === OID.sha1 ? 'sha1' : 'sha256';
  const set = attrs ? setOf(attrs) : null;
  const signature = nodeSign(hashName, set ?? CONTENT, createPrivateKey(id.keyPem));
  const signerInfo = seq(
    integer(1),
    seq(cert.issuerDer, tlv(0x02, cert.serial)),
    seq(oid(digestOid)),
    ...(set ? [retag(set, 0xa0)] : []),
    seq(oid(OID.rsaEncryption), nul()),
    octets(signature),
  );
  const signedData = seq(
    integer(1),
    setOf([seq(oid(digestOid))]),
    seq(oid(OID.data)),
    ctx(0, cert.der),
    setOf([signerInfo]),
  );
  return seq(oid(OID.signedData), ctx(0, signedData));
}

const attr = (type: string, ...values: Buffer[]): Buffer => seq(oid(type), setOf(values));
const essV2 = (id: TestIdentity): Buffer => {
  const signed = buildSignedAttributes({
    messageDigest: Buffer.alloc(32),
    hash: 'SHA-256',
    signerCertDer: der(id.certDer),
  });
  return raw(children(parse(signed.der)).find((a) => readOid(children(a)[0]) === OID.signingCertificateV2)!);
};
const md = (content = CONTENT, h = 'sha256'): Buffer => createHash(h).update(content).digest();

function ok(c: CmsCheck): boolean {
  return c.signatureValid && c.digestMatches && c.contentTypeOk && c.signingCertV2Ok && c.errors.length === 0;
}

before(async () => {
  pki = await createTestPki();
  rsaCms = await sign(pki.person);
  ecCms = await sign(pki.personEc);
});
after(async () => {
  await pki?.cleanup();
});

describe('valid signatures', () => {
  test('RSA and EC, from a buffer, chunks, or a precomputed digest', async () => {
    for (const cms of [rsaCms, ecCms]) {
      const a = await verifyDetachedCms({ cmsDer: cms, contentChunks: CONTENT });
      assert.ok(ok(a), JSON.stringify(a.errors));
      assert.deepEqual(a.signerCertDer, cms === rsaCms ? der(pki.person.certDer) : der(pki.personEc.certDer));
      assert.equal(a.certificatesDer.length, 2);
      assert.deepEqual(a.algorithmProblems, []);
      assert.equal(a.timestamp, undefined);
      const b = await verifyDetachedCms({ cmsDer: cms, contentChunks: [CONTENT.subarray(0, 7), CONTENT.subarray(7)] });
      assert.ok(ok(b));
      assert.equal(cmsDigestAlgorithm(cms), 'SHA-256');
      const c = await verifyDetachedCms({ cmsDer: cms, signedContentDigest: md() });
      assert.ok(ok(c));
    }
  });
});

describe('tampering', () => {
  test('tampered content: digest mismatch, the signature itself still verifies', async () => {
    const tampered = Buffer.from(CONTENT);
    tampered[5] = tampered[5]! ^ 1;
    const c = await verifyDetachedCms({ cmsDer: rsaCms, contentChunks: tampered });
    assert.equal(c.digestMatches, false);
    assert.equal(c.signatureValid, true);
    assert.ok(c.errors.includes('digest-mismatch'));
  });

  test('tampered signature value', async () => {
    for (const cms of [rsaCms, ecCms]) {
      const sig = (await verifyDetachedCms({ cmsDer: cms, contentChunks: CONTENT })).signatureValue!;
      const at = cms.indexOf(sig);
      const bad = Buffer.from(cms);
      bad[at + sig.length - 3] = bad[at + sig.length - 3]! ^ 0x40;
      const c = await verifyDetachedCms({ cmsDer: bad, contentChunks: CONTENT });
      assert.equal(c.signatureValid, false);
      assert.equal(c.digestMatches, true);
      assert.ok(c.errors.some((e) => e.startsWith('signature-invalid')));
    }
  });

  test('tampered signed attribute (the message digest inside the signed set)', async () => {
    const at = rsaCms.indexOf(md());
    const bad = Buffer.from(rsaCms);
    bad[at] = bad[at]! ^ 1;
    const c = await verifyDetachedCms({ cmsDer: bad, contentChunks: CONTENT });
    assert.equal(c.signatureValid, false);
    assert.equal(c.digestMatches, false);
  });

  test('wrong certificate: SignerInfo names the organisation certificate, the person key signed', async () => {
    const attrs = buildSignedAttributes({
      messageDigest: md(),
      hash: 'SHA-256',
      signerCertDer: der(pki.person.certDer),
    });
    const cms = assembleSignedData({
      signedAttrsDer: attrs.der,
      signatureValue: nodeSign('sha256', attrs.der, createPrivateKey(pki.person.keyPem)),
      scheme: 'RSA-PKCS1',
      hash: 'SHA-256',
      signerCertDer: der(pki.organisation.certDer),
      chainDers: [der(pki.person.certDer)],
    });
    const c = await verifyDetachedCms({ cmsDer: cms, contentChunks: CONTENT });
    assert.deepEqual(c.signerCertDer, der(pki.organisation.certDer));
    assert.equal(c.signatureValid, false);
    assert.equal(c.signingCertV2Ok, false);
    assert.ok(c.errors.some((e) => e.startsWith('signing-certificate:')));
  });

  test('substituted certificate with the same key is caught by signing-certificate-v2', async () => {
    // Same key, another certificate (e.g. a re-issued one with other attributes).
    const other = await pki.issueForPublicKey(
      { name: 'person-reissued', subject: { cn: 'Nguyễn Văn Đức (2)' } },
      pki.person.spkiDer,
    );
    const attrs = buildSignedAttributes({
      messageDigest: md(),
      hash: 'SHA-256',
      signerCertDer: der(pki.person.certDer),
    });
    const cms = assembleSignedData({
      signedAttrsDer: attrs.der,
      signatureValue: nodeSign('sha256', attrs.der, createPrivateKey(pki.person.keyPem)),
      scheme: 'RSA-PKCS1',
      hash: 'SHA-256',
      signerCertDer: der(other.certDer),
      chainDers: [],
    });
    const c = await verifyDetachedCms({ cmsDer: cms, contentChunks: CONTENT });
    assert.equal(c.signatureValid, true);
    assert.equal(c.signingCertV2Ok, false);
  });

  test('signer certificate missing from the CMS; found in extraCertificates', async () => {
    // Rebuild SignedData without its certificates field.
    const ci = children(parse(rsaCms));
    const sdNode = children(ci[1]!)[0]!;
    const parts = children(sdNode).filter((n) => !isCtx(n, 0));
    const stripped = seq(raw(ci[0]!), ctx(0, seq(...parts.map((n) => toDefinite(n)))));
    const c = await verifyDetachedCms({ cmsDer: stripped, contentChunks: CONTENT });
    assert.ok(c.errors.includes('signer-certificate-missing'));
    assert.equal(c.signatureValid, false);
    assert.equal(c.signerCertDer, null);
    assert.equal(c.digestMatches, true);
    const d = await verifyDetachedCms({
      cmsDer: stripped,
      contentChunks: CONTENT,
      extraCertificates: [der(pki.person.certDer)],
    });
    assert.ok(ok(d), JSON.stringify(d.errors));
  });
});

describe('attributes', () => {
  const ct = () => attr(OID.contentType, oid(OID.data));
  const mdAttr = () => attr(OID.messageDigest, octets(md()));

  test('all present: valid (sanity check of the hand-made variant)', async () => {
    const c = await verifyDetachedCms({
      cmsDer: withAttributes([ct(), mdAttr(), essV2(pki.person)]),
      contentChunks: CONTENT,
    });
    assert.ok(ok(c), JSON.stringify(c.errors));
  });

  test('message-digest missing', async () => {
    const c = await verifyDetachedCms({ cmsDer: withAttributes([ct(), essV2(pki.person)]), contentChunks: CONTENT });
    assert.equal(c.digestMatches, false);
    assert.ok(c.errors.includes('message-digest-missing'));
  });

  test('content-type missing, repeated, or not id-data', async () => {
    const missing = await verifyDetachedCms({
      cmsDer: withAttributes([mdAttr(), essV2(pki.person)]),
      contentChunks: CONTENT,
    });
    assert.equal(missing.contentTypeOk, false);
    assert.ok(missing.errors.includes('content-type-missing'));
    const twice = await verifyDetachedCms({
      cmsDer: withAttributes([ct(), attr(OID.contentType, oid(OID.signedData)), mdAttr(), essV2(pki.person)]),
      contentChunks: CONTENT,
    });
    assert.equal(twice.contentTypeOk, false);
    assert.ok(twice.errors.includes('content-type-repeated'));
    const two = await verifyDetachedCms({
      cmsDer: withAttributes([attr(OID.contentType, oid(OID.data), oid(OID.tstInfo)), mdAttr(), essV2(pki.person)]),
      contentChunks: CONTENT,
    });
    assert.equal(two.contentTypeOk, false);
    const wrong = await verifyDetachedCms({
      cmsDer: withAttributes([attr(OID.contentType, oid(OID.tstInfo)), mdAttr(), essV2(pki.person)]),
      contentChunks: CONTENT,
    });
    assert.ok(wrong.errors.includes('content-type-mismatch'));
  });

  test('signing-certificate-v2 missing, or only the SHA-1 v1', async () => {
    const none = await verifyDetachedCms({ cmsDer: withAttributes([ct(), mdAttr()]), contentChunks: CONTENT });
    assert.equal(none.signatureValid, true);
    assert.equal(none.signingCertV2Ok, false);
    assert.ok(none.errors.some((e) => e.includes('signing-certificate attribute missing')));
    const v1Value = seq(seq(seq(octets(createHash('sha1').update(pki.person.certDer).digest()))));
    const v1 = await verifyDetachedCms({
      cmsDer: withAttributes([ct(), mdAttr(), attr(OID.signingCertificate, v1Value)]),
      contentChunks: CONTENT,
    });
    assert.equal(v1.signingCertV2Ok, false);
    assert.ok(v1.errors.some((e) => e.startsWith('signing-certificate-v2-missing')));
  });

  test('signing-time present is reported as a warning', async () => {
    const st = attr(OID.signingTime, tlv(0x17, Buffer.from('251204103000Z')));
    const c = await verifyDetachedCms({
      cmsDer: withAttributes([ct(), mdAttr(), essV2(pki.person), st]),
      contentChunks: CONTENT,
    });
    assert.ok(ok(c));
    assert.deepEqual(c.warnings, ['signing-time-present']);
  });

  test('no signed attributes at all', async () => {
    // Signature directly over the content: valid CMS, but not what PAdES allows, and nothing binds the certificate.
    const c = await verifyDetachedCms({ cmsDer: withAttributes(null), contentChunks: CONTENT });
    assert.equal(c.signatureValid, false);
    assert.ok(c.errors.includes('signed-attributes-missing'));
  });

  test('weak digest algorithm is flagged', async () => {
    const cms = withAttributes(
      [ct(), attr(OID.messageDigest, octets(md(CONTENT, 'sha1'))), essV2(pki.person)],
      pki.person,
      OID.sha1,
    );
    const c = await verifyDetachedCms({ cmsDer: cms, contentChunks: CONTENT });
    assert.equal(c.digestAlgorithm, 'SHA-1');
    assert.equal(c.signatureValid, true);
    assert.equal(c.digestMatches, true);
    assert.deepEqual(c.algorithmProblems, ['digest SHA-1', 'signature SHA-1']);
  });
});

describe('garbage never throws', () => {
  test('assorted bad inputs', async () => {
    const inputs: Buffer[] = [
      Buffer.alloc(0),
      Buffer.from('not a cms'),
      rsaCms.subarray(0, 100),
      rsaCms.subarray(0, rsaCms.length - 1),
      Buffer.concat([rsaCms, Buffer.from([0])]),
      der(pki.person.certDer),
      seq(oid(OID.signedData), ctx(0, seq(integer(1)))),
      seq(oid(OID.data), ctx(0, octets(Buffer.from('x')))),
      Buffer.alloc(20000).fill(Buffer.from('3080', 'hex')),
      seq(nul()),
    ];
    // Deeply nested definite-length SEQUENCEs where a certificate belongs.
    let deep = seq();
    for (let i = 0; i < 3000; i++) deep = seq(deep);
    inputs.push(
      seq(oid(OID.signedData), ctx(0, seq(integer(1), setOf([]), seq(oid(OID.data)), ctx(0, deep), setOf([])))),
    );
    for (const cmsDer of inputs) {
      const c = await verifyDetachedCms({ cmsDer, contentChunks: CONTENT });
      assert.equal(c.signatureValid, false);
      assert.ok(c.errors.length > 0);
      assert.ok(!c.errors.some((e) => e.startsWith('internal')), c.errors.join('; '));
    }
    const noContent = await verifyDetachedCms({ cmsDer: rsaCms });
    assert.ok(noContent.errors.includes('content-missing'));
    assert.equal(noContent.digestMatches, false);
    // A content stream that fails is reported, not thrown.
    const failing = (async function* () {
      yield CONTENT;
      throw new Error('disk gone');
    })();
    const c = await verifyDetachedCms({ cmsDer: rsaCms, contentChunks: failing });
    assert.ok(c.errors.some((e) => e.startsWith('content-unreadable')));
    assert.equal(c.digestMatches, false);
  });

  test('property: random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        const c = await verifyDetachedCms({ cmsDer: Buffer.from(bytes), contentChunks: CONTENT });
        assert.equal(c.signatureValid, false);
        assert.ok(c.errors.length > 0);
        assert.ok(!c.errors.some((e) => e.startsWith('internal')), c.errors.join('; '));
      }),
      { numRuns: 500 },
    );
  });

  test('property: one byte changed in a valid CMS never throws, and never passes if it hits signed data', async () => {
    const check = await verifyDetachedCms({ cmsDer: rsaCms, contentChunks: CONTENT });
    const signedAttrs = Buffer.from(check.signedAttrsDer!);
    signedAttrs[0] = 0xa0;
    const regions = [signedAttrs, check.signatureValue!, der(pki.person.certDer)].map((b) => {
      const start = rsaCms.indexOf(b);
      assert.ok(start > 0);
      return [start, start + b.length] as const;
    });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: rsaCms.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (pos, xor) => {
          const bad = Buffer.from(rsaCms);
          bad[pos] = bad[pos]! ^ xor;
          const c = await verifyDetachedCms({ cmsDer: bad, contentChunks: CONTENT });
          assert.ok(!c.errors.some((e) => e.startsWith('internal')), c.errors.join('; '));
          if (regions.some(([s, e]) => pos >= s && pos < e)) assert.equal(ok(c), false, `byte ${pos} ^ ${xor}`);
        },
      ),
      { numRuns: 400 },
    );
  });
});
