// The CAdES builder with software keys (node:crypto): the exact signed-attribute set (content-type,
// message-digest, signing-certificate-v2; no signing-time; DER order), the SignerInfo fields, the
// signature algorithm identifiers, certificates deduplicated, the self-check against the
// certificate, and the /Contents size estimate against real outputs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createHash, createPrivateKey, sign as nodeSign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createTestPki } from '../helpers/pki.js';
import type { TestIdentity, TestPki } from '../helpers/pki.js';
import {
  assembleSignedData,
  buildSignedAttributes,
  DEFAULT_TIMESTAMP_TOKEN_BYTES,
  estimateCmsSize,
  maxEcdsaDerLength,
  signCades,
} from '../../src-core/cms/cades-builder.js';
import type { CmsHash, CmsScheme } from '../../src-core/cms/cades-builder.js';
import { children, content, isCtx, parse, raw, readOid, TAG } from '../../src-core/cms/der.js';
import { OID } from '../../src-core/cms/oids.js';
import { parseSignedData } from '../../src-core/cms/signed-data.js';
import { verifyDetachedCms } from '../../src-core/cms/cms-verify.js';
import { KysoError } from '../../src-shared/errors.js';

let pki: TestPki;
const CONTENT = Buffer.from('Công văn số 123/BTC-VP — nội dung cần ký.\n');

before(async () => {
  pki = await createTestPki();
});
after(async () => {
  await pki?.cleanup();
});

const der = (u: Uint8Array): Buffer => Buffer.from(u);
const nodeName = (h: CmsHash): string => h.replace('-', '').toLowerCase();

function softSign(key: KeyObject, scheme: CmsScheme, hash: CmsHash, tbs: Buffer): Buffer {
  if (scheme === 'ECDSA') return nodeSign(nodeName(hash), tbs, { key, dsaEncoding: 'der' });
  if (scheme === 'RSA-PSS') {
    const saltLength = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 }[hash];
    return nodeSign(nodeName(hash), tbs, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });
  }
  return nodeSign(nodeName(hash), tbs, key);
}

function signer(id: TestIdentity, scheme: CmsScheme, hash: CmsHash) {
  const key = createPrivateKey(id.keyPem);
  return async (tbs: Buffer) => ({ signature: softSign(key, scheme, hash, tbs), scheme });
}

describe('signed attributes', () => {
  test('content-type, message-digest, signing-certificate-v2 — DER-sorted, no signing-time', () => {
    const md = createHash('sha256').update(CONTENT).digest();
    const { der: attrs } = buildSignedAttributes({
      messageDigest: md,
      hash: 'SHA-256',
      signerCertDer: der(pki.person.certDer),
    });
    const set = parse(attrs);
    assert.equal(set.tagByte, TAG.set);
    const items = children(set);
    const encodings = items.map(raw);
    assert.deepEqual(encodings, [...encodings].sort(Buffer.compare), 'DER SET OF order');
    const oids = items.map((a) => readOid(children(a)[0]));
    assert.deepEqual(new Set(oids), new Set([OID.contentType, OID.messageDigest, OID.signingCertificateV2]));
    assert.ok(!oids.includes(OID.signingTime));

    const value = (o: string) => children(children(items[oids.indexOf(o)]!)[1]!)[0]!;
    assert.equal(readOid(value(OID.contentType)), OID.data);
    assert.deepEqual(content(value(OID.messageDigest)), md);

    // SigningCertificateV2 { certs { ESSCertIDv2 { certHash, issuerSerial } } }: SHA-256 is the DEFAULT, so omitted.
    const essId = children(children(children(value(OID.signingCertificateV2))[0]!)[0]!);
    assert.equal(essId.length, 2);
    assert.deepEqual(content(essId[0]!), createHash('sha256').update(pki.person.certDer).digest());
    const [names, serial] = children(essId[1]!);
    const dirName = children(names!)[0]!;
    assert.ok(isCtx(dirName, 4));
    const certIssuer = children(children(parse(der(pki.person.certDer)))[0]!)[3]!;
    assert.deepEqual(raw(children(dirName)[0]!), raw(certIssuer), 'issuer Name copied byte for byte');
    assert.equal(
      content(serial!)
        .toString('hex')
        .toUpperCase()
        .replace(/^(00)+/, ''),
      pki.person.serialHex,
    );
  });

  test('SHA-384: ESSCertIDv2 names its hash algorithm', () => {
    const md = createHash('sha384').update(CONTENT).digest();
    const { der: attrs } = buildSignedAttributes({
      messageDigest: md,
      hash: 'SHA-384',
      signerCertDer: der(pki.person.certDer),
    });
    const sc = children(parse(attrs)).find((a) => readOid(children(a)[0]) === OID.signingCertificateV2)!;
    const essId = children(children(children(children(children(sc)[1]!)[0]!)[0]!)[0]!);
    assert.equal(essId.length, 3);
    assert.equal(readOid(children(essId[0]!)[0]), OID.sha384);
    assert.deepEqual(content(essId[1]!), createHash('sha384').update(pki.person.certDer).digest());
  });

  test('a digest of the wrong length is refused', () => {
    assert.throws(
      () =>
        buildSignedAttributes({
          messageDigest: Buffer.alloc(20),
          hash: 'SHA-256',
          signerCertDer: der(pki.person.certDer),
        }),
      (e: unknown) => e instanceof KysoError && e.code === 'CMS_INPUT_INVALID',
    );
    assert.throws(
      () =>
        buildSignedAttributes({ messageDigest: Buffer.alloc(32), hash: 'SHA-256', signerCertDer: Buffer.from('nope') }),
      (e: unknown) => e instanceof KysoError && e.code === 'CMS_INPUT_INVALID',
    );
  });
});

describe('SignedData', () => {
  const cases: [string, () => TestIdentity, CmsScheme, CmsHash, string][] = [
    ['RSA-2048 PKCS#1 SHA-256', () => pki.person, 'RSA-PKCS1', 'SHA-256', OID.rsaEncryption],
    ['RSA-3072 PKCS#1 SHA-512', () => pki.personRsa3072, 'RSA-PKCS1', 'SHA-512', OID.rsaEncryption],
    ['RSA-2048 PSS SHA-256', () => pki.person, 'RSA-PSS', 'SHA-256', OID.rsaPss],
    ['EC P-256 SHA-256', () => pki.personEc, 'ECDSA', 'SHA-256', OID.ecdsaWithSha256],
    ['EC P-256 SHA-384', () => pki.personEc, 'ECDSA', 'SHA-384', OID.ecdsaWithSha384],
  ];
  for (const [name, id, scheme, hash, sigOid] of cases) {
    test(`${name}: structure and self-verification`, async () => {
      const cms = await signCades({
        content: CONTENT,
        hash,
        signerCertDer: der(id().certDer),
        // The chain repeats the signer and the issuing CA: deduplicated.
        chainDers: [der(pki.issuing.certDer), der(id().certDer), der(pki.issuing.certDer)],
        sign: signer(id(), scheme, hash),
      });
      const sd = parseSignedData(cms);
      assert.equal(sd.version, 1);
      assert.equal(sd.eContentType, OID.data);
      assert.equal(sd.eContent, undefined, 'detached');
      assert.equal(sd.certificates.length, 2);
      assert.deepEqual(
        sd.certificates.map((c) => c.toString('hex')),
        [der(id().certDer), der(pki.issuing.certDer)].sort(Buffer.compare).map((c) => c.toString('hex')),
      );
      assert.equal(sd.signerInfos.length, 1);
      const si = sd.signerInfos[0]!;
      assert.equal(si.version, 1);
      assert.equal(si.sid.kind, 'issuerSerial');
      assert.equal(si.signatureAlgorithm.oid, sigOid);
      if (scheme === 'RSA-PKCS1') assert.equal(si.signatureAlgorithm.params?.toString('hex'), '0500');
      if (scheme === 'ECDSA') assert.equal(si.signatureAlgorithm.params, undefined);
      assert.equal(si.digestAlgorithm.params, undefined, 'SHA-2 with absent parameters (RFC 5754)');
      assert.equal(si.unsignedAttrs.length, 0);
      assert.ok(si.signedAttrs?.derCanonical);

      const check = await verifyDetachedCms({ cmsDer: cms, contentChunks: CONTENT });
      assert.deepEqual(check.errors, []);
      assert.deepEqual(check.warnings, []);
      assert.ok(check.signatureValid && check.digestMatches && check.contentTypeOk && check.signingCertV2Ok);
      assert.equal(check.digestAlgorithm, hash);
      assert.equal(check.signatureAlgorithm, `${scheme} ${hash}`);
    });
  }

  test('the same signed attributes, re-tagged [0], are what the SignerInfo carries', async () => {
    const md = createHash('sha256').update(CONTENT).digest();
    const attrs = buildSignedAttributes({ messageDigest: md, hash: 'SHA-256', signerCertDer: der(pki.person.certDer) });
    const signature = softSign(createPrivateKey(pki.person.keyPem), 'RSA-PKCS1', 'SHA-256', attrs.der);
    const cms = assembleSignedData({
      signedAttrsDer: attrs.der,
      signatureValue: signature,
      scheme: 'RSA-PKCS1',
      hash: 'SHA-256',
      signerCertDer: der(pki.person.certDer),
      chainDers: [],
    });
    const tagged = Buffer.from(attrs.der);
    tagged[0] = 0xa0;
    assert.ok(cms.includes(tagged));
    assert.deepEqual(parseSignedData(cms).signerInfos[0]!.signedAttrs!.der, attrs.der);
  });

  test('streamed content gives the same CMS digest as a buffer', async () => {
    async function* chunks() {
      yield CONTENT.subarray(0, 10);
      yield CONTENT.subarray(10);
    }
    const cms = await signCades({
      content: chunks(),
      hash: 'SHA-256',
      signerCertDer: der(pki.person.certDer),
      chainDers: [],
      sign: signer(pki.person, 'RSA-PKCS1', 'SHA-256'),
    });
    assert.ok((await verifyDetachedCms({ cmsDer: cms, contentChunks: CONTENT })).digestMatches);
  });

  test('a signature that does not match the certificate is caught before assembling', async () => {
    await assert.rejects(
      signCades({
        content: CONTENT,
        hash: 'SHA-256',
        signerCertDer: der(pki.person.certDer),
        chainDers: [],
        sign: signer(pki.organisation, 'RSA-PKCS1', 'SHA-256'),
      }),
      (e: unknown) => e instanceof KysoError && e.code === 'CMS_SIGNATURE_MISMATCH',
    );
    await assert.rejects(
      signCades({
        content: CONTENT,
        hash: 'SHA-256',
        signerCertDer: der(pki.person.certDer),
        chainDers: [],
        sign: async () => ({ signature: Buffer.alloc(72, 1), scheme: 'ECDSA' }),
      }),
      (e: unknown) => e instanceof KysoError && e.code === 'CMS_INPUT_INVALID',
    );
    await assert.rejects(
      signCades({
        content: CONTENT,
        hash: 'SHA-256',
        signerCertDer: der(pki.person.certDer),
        chainDers: [],
        sign: async (tbs) => ({ ...(await signer(pki.person, 'RSA-PKCS1', 'SHA-256')(tbs)), hash: 'SHA-384' }),
      }),
      (e: unknown) => e instanceof KysoError && e.code === 'CMS_INPUT_INVALID',
    );
  });
});

describe('size estimate', () => {
  test('maximum ECDSA DER sizes', () => {
    assert.equal(maxEcdsaDerLength(256), 72);
    assert.equal(maxEcdsaDerLength(384), 104);
    assert.equal(maxEcdsaDerLength(521), 139);
  });

  test('exact for RSA, an upper bound for ECDSA, timestamp margin added', async () => {
    for (const [id, scheme] of [
      [pki.person, 'RSA-PKCS1'],
      [pki.personRsa3072, 'RSA-PKCS1'],
      [pki.personEc, 'ECDSA'],
    ] as const) {
      const chain = [der(pki.issuing.certDer), der(pki.root.certDer)];
      const est = estimateCmsSize({ hash: 'SHA-256', signerCertDer: der(id.certDer), chainDers: chain });
      let max = 0;
      for (let i = 0; i < 20; i++) {
        const cms = await signCades({
          content: Buffer.from(`${i}`),
          hash: 'SHA-256',
          signerCertDer: der(id.certDer),
          chainDers: chain,
          sign: signer(id, scheme, 'SHA-256'),
        });
        max = Math.max(max, cms.length);
      }
      if (scheme === 'RSA-PKCS1') assert.equal(est.cmsBytes, max);
      else assert.ok(est.cmsBytes >= max && est.cmsBytes - max <= 4, `${est.cmsBytes} vs ${max}`);
      assert.equal(est.timestampBytes, 0);

      const withTs = estimateCmsSize({
        hash: 'SHA-256',
        signerCertDer: der(id.certDer),
        chainDers: chain,
        timestamp: true,
      });
      assert.ok(withTs.timestampBytes >= DEFAULT_TIMESTAMP_TOKEN_BYTES);
      assert.ok(withTs.timestampBytes <= DEFAULT_TIMESTAMP_TOKEN_BYTES + 40);
      assert.equal(withTs.totalBytes, withTs.cmsBytes + withTs.timestampBytes);
      const small = estimateCmsSize({
        hash: 'SHA-256',
        signerCertDer: der(id.certDer),
        chainDers: chain,
        timestamp: { tokenBytes: 3000 },
      });
      assert.ok(small.timestampBytes >= 3000 && small.timestampBytes < 3040);
    }
  });
});
