// CMS built by src-core/cms with software keys, judged by openssl: `openssl cms -verify` for RSA-2048,
// RSA-PSS, EC P-256 and SHA-384 (and the tampered-content negative control), the signed attributes
// as openssl prints them (signing-certificate-v2 present, no signing-time), and B-T: a timestamp
// from the real test TSA added at signing and as a later upgrade, `openssl cms -verify` still OK,
// the token checked by `openssl ts -verify` against the test root.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createHash, createPrivateKey, sign as nodeSign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTestPki } from '../helpers/pki.js';
import type { TestIdentity, TestPki } from '../helpers/pki.js';
import { run, runOk } from '../helpers/run.js';
import { startTsa } from '../helpers/tsa.js';
import type { TestTsa } from '../helpers/tsa.js';
import { estimateCmsSize, signCades } from '../../src-core/cms/cades-builder.js';
import type { CmsHash, CmsScheme } from '../../src-core/cms/cades-builder.js';
import { verifyDetachedCms } from '../../src-core/cms/cms-verify.js';
import { addTimestampToSignedData, requestTimestamp } from '../../src-core/cms/tsa-client.js';
import { parseSignedData } from '../../src-core/cms/signed-data.js';
import { OID } from '../../src-core/cms/oids.js';

let pki: TestPki;
let tsa: TestTsa;
let work: string;
const CONTENT = Buffer.from('%PDF-1.7 … Công văn số 123/BTC-VP ngày 04/12/2025 — phần được ký.\n');
const der = (u: Uint8Array): Buffer => Buffer.from(u);

before(async () => {
  pki = await createTestPki();
  tsa = await startTsa(pki);
  work = await mkdtemp(join(pki.dir, 'cms-'));
  await writeFile(join(work, 'data.bin'), CONTENT);
});
after(async () => {
  await tsa?.close();
  await pki?.cleanup();
});

function softSign(key: KeyObject, scheme: CmsScheme, hash: CmsHash, tbs: Buffer): Buffer {
  const name = hash.replace('-', '').toLowerCase();
  if (scheme === 'ECDSA') return nodeSign(name, tbs, { key, dsaEncoding: 'der' });
  if (scheme === 'RSA-PSS') {
    return nodeSign(name, tbs, {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    });
  }
  return nodeSign(name, tbs, key);
}

async function sign(id: TestIdentity, scheme: CmsScheme, hash: CmsHash, withTsa = false): Promise<Buffer> {
  const key = createPrivateKey(id.keyPem);
  return signCades({
    content: CONTENT,
    hash,
    signerCertDer: der(id.certDer),
    chainDers: [der(pki.issuing.certDer)],
    sign: async (tbs) => ({ signature: softSign(key, scheme, hash, tbs), scheme }),
    ...(withTsa ? { tsa: { url: tsa.url } } : {}),
  });
}

async function opensslVerify(name: string, cms: Buffer, content: Buffer = CONTENT) {
  const cmsPath = join(work, `${name}.p7s`);
  const dataPath = join(work, `${name}.bin`);
  await writeFile(cmsPath, cms);
  await writeFile(dataPath, content);
  return run('openssl', [
    'cms',
    '-verify',
    '-binary',
    '-inform',
    'DER',
    '-in',
    cmsPath,
    '-content',
    dataPath,
    '-CAfile',
    pki.files.rootPem,
    '-certfile',
    pki.files.issuingPem,
    '-purpose',
    'any',
    '-out',
    '/dev/null',
  ]);
}

async function opensslTsVerify(name: string, token: Buffer, signatureValue: Buffer) {
  const tokenPath = join(work, `${name}.tst`);
  await writeFile(tokenPath, token);
  return run('openssl', [
    'ts',
    '-verify',
    '-digest',
    createHash('sha256').update(signatureValue).digest('hex'),
    '-token_in',
    '-in',
    tokenPath,
    '-CAfile',
    pki.files.rootPem,
    '-untrusted',
    pki.files.issuingPem,
  ]);
}

describe('openssl cms -verify', () => {
  const cases: [string, () => TestIdentity, CmsScheme, CmsHash][] = [
    ['RSA-2048 PKCS#1 SHA-256', () => pki.person, 'RSA-PKCS1', 'SHA-256'],
    ['RSA-2048 PSS SHA-256', () => pki.person, 'RSA-PSS', 'SHA-256'],
    ['RSA-3072 PKCS#1 SHA-384', () => pki.personRsa3072, 'RSA-PKCS1', 'SHA-384'],
    ['EC P-256 SHA-256', () => pki.personEc, 'ECDSA', 'SHA-256'],
    ['organisation seal RSA SHA-512', () => pki.organisation, 'RSA-PKCS1', 'SHA-512'],
  ];
  for (const [name, id, scheme, hash] of cases) {
    test(`${name}: verifies; tampered content fails`, async () => {
      const cms = await sign(id(), scheme, hash);
      const good = await opensslVerify(name.replace(/\W+/g, '-'), cms);
      assert.equal(good.status, 0, good.stderr);
      assert.match(good.stderr, /Verification successful/);
      const tampered = Buffer.from(CONTENT);
      tampered[tampered.length - 2] = tampered[tampered.length - 2]! ^ 0x20;
      const bad = await opensslVerify(`${name.replace(/\W+/g, '-')}-tampered`, cms, tampered);
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /digest failure|Verification failure/i);
    });
  }

  test('openssl sees signing-certificate-v2 for our certificate and no signing-time', async () => {
    const cms = await sign(pki.person, 'RSA-PKCS1', 'SHA-256');
    const path = join(work, 'print.p7s');
    await writeFile(path, cms);
    const printed = (await runOk('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', path])).stdout;
    assert.match(printed, /id-smime-aa-signingCertificateV2/);
    assert.match(printed, /contentType/);
    assert.match(printed, /messageDigest/);
    assert.doesNotMatch(printed, /signingTime/);
    assert.match(printed, /eContent: <ABSENT>/);
    const certHash = createHash('sha256').update(pki.person.certDer).digest('hex').toUpperCase();
    assert.ok(printed.replace(/\s/g, '').includes(certHash), 'ESSCertIDv2 hash of the signer certificate');
    assert.match(printed, /algorithm: rsaEncryption/);
  });
});

describe('B-T', () => {
  test('timestamp added at signing: openssl cms and openssl ts both verify', async (t) => {
    for (const [id, scheme] of [
      [pki.person, 'RSA-PKCS1'],
      [pki.personEc, 'ECDSA'],
    ] as const) {
      const before = tsa.requestCount;
      const cms = await sign(id, scheme, 'SHA-256', true);
      assert.equal(tsa.requestCount, before + 1);
      const v = await opensslVerify(`bt-${scheme}`, cms);
      assert.equal(v.status, 0, v.stderr);

      const si = parseSignedData(cms).signerInfos[0]!;
      const ts = si.unsignedAttrs.filter((a) => a.oid === OID.signatureTimeStampToken);
      assert.equal(ts.length, 1);
      const tokenNode = ts[0]!.values[0]!;
      const token = tokenNode.buf.subarray(tokenNode.start, tokenNode.end);
      const tv = await opensslTsVerify(`bt-${scheme}`, token, si.signature);
      assert.equal(tv.status, 0, tv.stderr + tv.stdout);
      assert.match(tv.stdout, /Verification: OK/);
      // Negative control: the token does not stamp other bytes.
      const wrong = await opensslTsVerify(`bt-${scheme}-wrong`, token, Buffer.from('other'));
      assert.notEqual(wrong.status, 0);

      const check = await verifyDetachedCms({ cmsDer: cms, contentChunks: CONTENT });
      assert.deepEqual(check.errors, []);
      assert.ok(check.timestamp);
      assert.equal(check.timestamp.imprintOk, true);
      assert.equal(check.timestamp.signatureValid, true);
      assert.equal(check.timestamp.ekuOk, true);
      assert.deepEqual(check.timestamp.tsaCertDer, der(pki.tsa.certDer));
      assert.ok(Math.abs(check.timestamp.genTime!.getTime() - Date.now()) < 60_000);

      // The estimate with this TSA's real token size is an upper bound of the real CMS.
      const est = estimateCmsSize({
        hash: 'SHA-256',
        signerCertDer: der(id.certDer),
        chainDers: [der(pki.issuing.certDer)],
        timestamp: { tokenBytes: token.length },
      });
      assert.ok(est.totalBytes >= cms.length && est.totalBytes - cms.length <= 4, `${est.totalBytes} vs ${cms.length}`);
      const byDefault = estimateCmsSize({
        hash: 'SHA-256',
        signerCertDer: der(id.certDer),
        chainDers: [der(pki.issuing.certDer)],
        timestamp: true,
      });
      assert.ok(byDefault.totalBytes > cms.length);
      t.diagnostic(`timestamp token from the test TSA: ${token.length} bytes; B-T CMS ${cms.length} bytes`);
    }
  });

  test('B-B upgraded to B-T later: signed bytes unchanged, openssl verifies', async () => {
    const bb = await sign(pki.person, 'RSA-PKCS1', 'SHA-256');
    const si = parseSignedData(bb).signerInfos[0]!;
    const stamp = await requestTimestamp({ url: tsa.url, data: si.signature, hash: 'SHA-256' });
    const bt = addTimestampToSignedData(bb, stamp.token);
    assert.ok(bt.length > bb.length);
    const after = parseSignedData(bt).signerInfos[0]!;
    assert.deepEqual(after.signedAttrs!.der, si.signedAttrs!.der);
    assert.deepEqual(after.signature, si.signature);
    assert.deepEqual(parseSignedData(bt).certificates, parseSignedData(bb).certificates);
    const v = await opensslVerify('upgrade', bt);
    assert.equal(v.status, 0, v.stderr);
    const tv = await opensslTsVerify('upgrade', stamp.token, si.signature);
    assert.equal(tv.status, 0, tv.stderr + tv.stdout);
    const check = await verifyDetachedCms({ cmsDer: bt, contentChunks: CONTENT });
    assert.deepEqual(check.errors, []);
    assert.equal(check.timestamp?.imprintOk, true);

    // A token for another signature is refused.
    const other = await requestTimestamp({ url: tsa.url, data: Buffer.from('another signature'), hash: 'SHA-256' });
    assert.throws(() => addTimestampToSignedData(bb, other.token), /TSA_IMPRINT_MISMATCH/);
  });
});
