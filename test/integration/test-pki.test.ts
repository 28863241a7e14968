// Proves the test infrastructure itself: the VGCA-shaped PKI, SoftHSM tokens holding its keys, a
// CMS signature whose RSA/ECDSA operation happens on the token, and the TSA and OCSP responders —
// each judged by openssl, not by our own code.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as asn1js from 'asn1js';
import pkcs11js from 'pkcs11js';
import * as pkijs from 'pkijs';
import { freePort, startOcsp } from '../helpers/ocsp.js';
import type { TestOcsp } from '../helpers/ocsp.js';
import { createTestPki } from '../helpers/pki.js';
import type { TestCert, TestPki } from '../helpers/pki.js';
import { run, runOk } from '../helpers/run.js';
import { createSoftHsmEnv } from '../helpers/softhsm.js';
import type { SoftHsmEnv } from '../helpers/softhsm.js';
import { startTsa } from '../helpers/tsa.js';
import type { TestTsa } from '../helpers/tsa.js';

const CMS_OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
} as const;

// DigestInfo prefix for SHA-256 (RFC 8017 9.2 note 1), for tokens driven with raw CKM_RSA_PKCS.
const SHA256_DIGEST_INFO_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex');

const RSA_TOKEN = 'VGCA Token RSA';
const EC_TOKEN = 'VGCA Token EC';
const PIN = '12345678';

let pki: TestPki;
let hsm: SoftHsmEnv;
let tsa: TestTsa;
let ocsp: TestOcsp;
let work: string;
let onTokenCert: TestCert;
let pkcs11: pkcs11js.PKCS11 | undefined;

const sha256 = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest();

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'kyso-test-pki-'));
  const ocspPort = await freePort();
  pki = await createTestPki({ ocspUrl: `http://127.0.0.1:${ocspPort}/` });
  [tsa, ocsp] = await Promise.all([startTsa(pki), startOcsp(pki)]);

  // Every token exists before C_Initialize below: SoftHSM scans the token dir only then.
  hsm = await createSoftHsmEnv();
  await hsm.addToken({
    label: RSA_TOKEN,
    userPin: PIN,
    objects: [
      { id: '01', label: 'Nguyễn Văn Đức', keyPem: pki.person.keyPem, certDer: pki.person.certDer },
      { id: '04', label: 'Lê Minh Tuấn', keyPem: pki.personRsa3072.keyPem, certDer: pki.personRsa3072.certDer },
    ],
  });
  const ecToken = await hsm.addToken({
    label: EC_TOKEN,
    userPin: PIN,
    objects: [{ id: '02', label: 'Trần Thị Hương', keyPem: pki.personEc.keyPem, certDer: pki.personEc.certDer }],
    generate: [{ id: '03', label: 'on-token', keyType: 'EC:prime256v1' }],
  });
  const spki = ecToken.generated.get('on-token');
  assert.ok(spki);
  onTokenCert = await pki.issueForPublicKey(
    {
      name: 'on-token',
      profile: 'person',
      subject: { c: 'VN', o: 'Bộ Tài chính', cn: 'Phạm Thị Ánh', uid: 'CCCD:001195045678' },
    },
    spki,
  );
  await ecToken.writeCertificate({ id: '03', label: 'on-token', certDer: onTokenCert.certDer });

  // libsofthsm2 reads SOFTHSM2_CONF from this process's environment inside C_Initialize.
  Object.assign(process.env, hsm.env);
  const p = new pkcs11js.PKCS11();
  p.load(hsm.module);
  p.C_Initialize();
  pkcs11 = p;
});

after(async () => {
  if (pkcs11) {
    pkcs11.C_Finalize();
    pkcs11.close();
  }
  await Promise.all([tsa?.close(), ocsp?.close()]);
  await Promise.all([hsm?.cleanup(), pki?.cleanup(), work ? rm(work, { recursive: true, force: true }) : undefined]);
});

// --- PKCS#11 --------------------------------------------------------------------------------

function p11(): pkcs11js.PKCS11 {
  assert.ok(pkcs11, 'PKCS#11 module not initialised');
  return pkcs11;
}

function slotByLabel(label: string): Buffer {
  const mod = p11();
  const slot = mod.C_GetSlotList(true).find((s) => mod.C_GetTokenInfo(s).label.trim() === label);
  assert.ok(slot, `token "${label}" not found`);
  return slot;
}

/** Opens a logged-in session on the token, runs fn, and always logs out and closes. */
function withSession<T>(tokenLabel: string, fn: (session: Buffer) => T): T {
  const mod = p11();
  const session = mod.C_OpenSession(slotByLabel(tokenLabel), pkcs11js.CKF_SERIAL_SESSION);
  try {
    mod.C_Login(session, pkcs11js.CKU_USER, PIN);
    try {
      return fn(session);
    } finally {
      mod.C_Logout(session);
    }
  } finally {
    mod.C_CloseSession(session);
  }
}

function findObjects(session: Buffer, template: pkcs11js.Template): Buffer[] {
  const mod = p11();
  mod.C_FindObjectsInit(session, template);
  try {
    return mod.C_FindObjects(session, 16);
  } finally {
    mod.C_FindObjectsFinal(session);
  }
}

function tokenSign(tokenLabel: string, keyIdHex: string, mechanism: number, data: Uint8Array): Buffer {
  return withSession(tokenLabel, (session) => {
    const [key] = findObjects(session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_ID, value: Buffer.from(keyIdHex, 'hex') },
    ]);
    assert.ok(key, `no private key with CKA_ID ${keyIdHex} on ${tokenLabel}`);
    const mod = p11();
    mod.C_SignInit(session, { mechanism }, key);
    return mod.C_Sign(session, Buffer.from(data), Buffer.alloc(1024));
  });
}

// --- CMS ------------------------------------------------------------------------------------

/** A DER INTEGER from unsigned big-endian bytes: minimal, with a 00 pad when the top bit is set. */
function positiveInteger(bytes: Uint8Array): asn1js.Integer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const trimmed = bytes.subarray(i);
  const needsPad = ((trimmed[0] ?? 0) & 0x80) !== 0;
  const value = needsPad ? Buffer.concat([Buffer.from([0]), trimmed]) : Buffer.from(trimmed);
  return new asn1js.Integer({ valueHex: value });
}

/** PKCS#11 CKM_ECDSA returns r||s; CMS wants ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }. */
function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  assert.equal(raw.length % 2, 0);
  const half = raw.length / 2;
  const seq = new asn1js.Sequence({
    value: [positiveInteger(raw.subarray(0, half)), positiveInteger(raw.subarray(half))],
  });
  return new Uint8Array(seq.toBER(false));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * Detached CMS SignedData with content-type, message-digest and signing-certificate-v2 (no
 * signing-time). `signDer` receives the DER of the signed attributes SET — the exact bytes the
 * signature covers — and returns the signature value.
 */
function buildDetachedCms(opts: {
  content: Uint8Array;
  signer: TestCert;
  extraCerts: TestCert[];
  signatureAlgorithm: pkijs.AlgorithmIdentifier;
  signDer: (signedAttrsDer: Uint8Array) => Uint8Array;
}): Uint8Array {
  const { signer } = opts;
  const essCertIdV2 = new asn1js.Sequence({
    value: [
      // hashAlgorithm omitted: it DEFAULTs to SHA-256, and DER forbids encoding a default.
      new asn1js.OctetString({ valueHex: sha256(signer.certDer) }),
      new asn1js.Sequence({
        value: [
          new pkijs.GeneralNames({ names: [new pkijs.GeneralName({ type: 4, value: signer.cert.issuer })] }).toSchema(),
          signer.cert.serialNumber,
        ],
      }),
    ],
  });
  const attributes = [
    new pkijs.Attribute({
      type: CMS_OID.contentType,
      values: [new asn1js.ObjectIdentifier({ value: CMS_OID.data })],
    }),
    new pkijs.Attribute({
      type: CMS_OID.messageDigest,
      values: [new asn1js.OctetString({ valueHex: sha256(opts.content) })],
    }),
    new pkijs.Attribute({
      type: CMS_OID.signingCertificateV2,
      values: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertIdV2] })] })],
    }),
  ];
  // DER SET OF is sorted by encoding. Verifiers (openssl among them) re-encode the attributes
  // before checking the signature, so an unsorted set would verify against different bytes.
  const sorted = attributes
    .map((a) => ({ a, der: new Uint8Array(a.toSchema().toBER(false)) }))
    .sort((x, y) => compareBytes(x.der, y.der))
    .map((x) => x.a);
  const signedAttrsDer = new Uint8Array(new asn1js.Set({ value: sorted.map((a) => a.toSchema()) }).toBER(false));
  const signature = opts.signDer(signedAttrsDer);

  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: signer.cert.issuer, serialNumber: signer.cert.serialNumber }),
    digestAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: CMS_OID.sha256 }),
    signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: sorted }),
    signatureAlgorithm: opts.signatureAlgorithm,
    signature: new asn1js.OctetString({ valueHex: signature }),
  });
  const signedData = new pkijs.SignedData({
    version: 1,
    digestAlgorithms: [new pkijs.AlgorithmIdentifier({ algorithmId: CMS_OID.sha256 })],
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: CMS_OID.data }),
    certificates: [signer.cert, ...opts.extraCerts.map((c) => c.cert)],
    signerInfos: [signerInfo],
  });
  const contentInfo = new pkijs.ContentInfo({
    contentType: CMS_OID.signedData,
    content: signedData.toSchema(true),
  });
  return new Uint8Array(contentInfo.toSchema().toBER(false));
}

const rsaSha256 = (): pkijs.AlgorithmIdentifier =>
  new pkijs.AlgorithmIdentifier({ algorithmId: CMS_OID.sha256WithRsa, algorithmParams: new asn1js.Null() });
const ecdsaSha256 = (): pkijs.AlgorithmIdentifier =>
  new pkijs.AlgorithmIdentifier({ algorithmId: CMS_OID.ecdsaWithSha256 });

async function opensslCmsVerify(name: string, cms: Uint8Array, content: Uint8Array) {
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

const CONTENT = new TextEncoder().encode('Công văn số 123/BTC-VP ngày 04/12/2025 — nội dung cần ký.\n');

// --- tests ----------------------------------------------------------------------------------

describe('test PKI', () => {
  test('subjects are UTF8String Vietnamese and the chain verifies', async () => {
    const subject = await runOk('openssl', [
      'x509',
      '-in',
      pki.person.certPath,
      '-noout',
      '-subject',
      '-nameopt',
      'utf8,sep_comma_plus_space',
    ]);
    assert.match(subject.stdout, /CN=Nguyễn Văn Đức/);
    assert.match(subject.stdout, /UID=CCCD:001085012345/);
    assert.match(subject.stdout, /title=Chánh Văn phòng/);
    assert.match(subject.stdout, /O=Bộ Tài chính/);
    const parsed = await runOk('openssl', ['asn1parse', '-in', pki.person.certPath]);
    assert.match(parsed.stdout, /UTF8STRING\s+:Nguyễn Văn Đức/);
    const org = await runOk('openssl', [
      'x509',
      '-in',
      pki.organisation.certPath,
      '-noout',
      '-subject',
      '-nameopt',
      'utf8',
    ]);
    assert.match(org.stdout, /UID=MST:0100100079/);
    const issuer = await runOk('openssl', [
      'x509',
      '-in',
      pki.person.certPath,
      '-noout',
      '-issuer',
      '-nameopt',
      'utf8',
    ]);
    assert.match(issuer.stdout, /CN=CA phục vụ các cơ quan Nhà nước G2 \(TEST\)/);

    const leaves = [pki.person, pki.organisation, pki.personEc, pki.personRsa3072, pki.tsa, pki.ocsp];
    const verify = await runOk('openssl', [
      'verify',
      '-CAfile',
      pki.files.rootPem,
      '-untrusted',
      pki.files.issuingPem,
      ...leaves.map((l) => l.certPath),
    ]);
    for (const l of leaves) assert.ok(verify.stdout.includes(`${l.certPath}: OK`), verify.stdout);

    const ec = await runOk('openssl', ['x509', '-in', pki.personEc.certPath, '-noout', '-text']);
    assert.match(ec.stdout, /NIST CURVE: P-256/);
    const rsa3072 = await runOk('openssl', ['x509', '-in', pki.personRsa3072.certPath, '-noout', '-text']);
    assert.match(rsa3072.stdout, /Public-Key: \(3072 bit\)/);
    const tsaExt = await runOk('openssl', ['x509', '-in', pki.tsa.certPath, '-noout', '-ext', 'extendedKeyUsage']);
    assert.match(tsaExt.stdout, /Extended Key Usage: critical\s+Time Stamping/);
    const issuingExt = await runOk('openssl', [
      'x509',
      '-in',
      pki.issuing.certPath,
      '-noout',
      '-ext',
      'basicConstraints',
    ]);
    assert.match(issuingExt.stdout, /CA:TRUE, pathlen:0/);
    const aia = await runOk('openssl', ['x509', '-in', pki.person.certPath, '-noout', '-ocsp_uri']);
    assert.equal(aia.stdout.trim(), ocsp.url);
  });

  test('an expired leaf fails path validation', async () => {
    const expired = await pki.issue({ name: 'expired', validity: 'expired', key: { type: 'ec', curve: 'P-256' } });
    const r = await run('openssl', [
      'verify',
      '-CAfile',
      pki.files.rootPem,
      '-untrusted',
      pki.files.issuingPem,
      expired.certPath,
    ]);
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /certificate has expired/);
  });
});

describe('SoftHSM token', () => {
  test('key pair and certificate share CKA_ID; labels keep UTF-8', () => {
    withSession(RSA_TOKEN, (session) => {
      const objects = findObjects(session, [{ type: pkcs11js.CKA_ID, value: Buffer.from('01', 'hex') }]);
      const classes = objects
        .map((o) =>
          p11()
            .C_GetAttributeValue(session, o, [{ type: pkcs11js.CKA_CLASS }])[0]
            ?.value.readUInt32LE(0),
        )
        .sort();
      assert.deepEqual(classes, [pkcs11js.CKO_CERTIFICATE, pkcs11js.CKO_PUBLIC_KEY, pkcs11js.CKO_PRIVATE_KEY].sort());
      const [cert] = findObjects(session, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
        { type: pkcs11js.CKA_ID, value: Buffer.from('01', 'hex') },
      ]);
      assert.ok(cert);
      const [value, label] = p11().C_GetAttributeValue(session, cert, [
        { type: pkcs11js.CKA_VALUE },
        { type: pkcs11js.CKA_LABEL },
      ]);
      assert.deepEqual(new Uint8Array(value?.value ?? []), pki.person.certDer);
      assert.equal(label?.value.toString('utf8'), 'Nguyễn Văn Đức');
    });
    assert.equal(hsm.tokens.length, 2);
  });
});

describe('CMS signed on the token, verified by openssl', () => {
  test('RSA-2048 with CKM_SHA256_RSA_PKCS', async () => {
    const cms = buildDetachedCms({
      content: CONTENT,
      signer: pki.person,
      extraCerts: [pki.issuing],
      signatureAlgorithm: rsaSha256(),
      signDer: (der) => tokenSign(RSA_TOKEN, '01', pkcs11js.CKM_SHA256_RSA_PKCS, der),
    });
    const ok = await opensslCmsVerify('rsa', cms, CONTENT);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, /Verification successful/);

    const tampered = new Uint8Array(CONTENT);
    tampered[5] = (tampered[5] ?? 0) ^ 0x01;
    const bad = await opensslCmsVerify('rsa-tampered', cms, tampered);
    assert.notEqual(bad.status, 0);
    assert.doesNotMatch(bad.stderr, /Verification successful/);
    assert.match(bad.stderr, /digest failure|verification failure/i);
  });

  test('RSA-3072 with raw CKM_RSA_PKCS over a DigestInfo', async () => {
    const cms = buildDetachedCms({
      content: CONTENT,
      signer: pki.personRsa3072,
      extraCerts: [pki.issuing],
      signatureAlgorithm: rsaSha256(),
      signDer: (der) =>
        tokenSign(RSA_TOKEN, '04', pkcs11js.CKM_RSA_PKCS, Buffer.concat([SHA256_DIGEST_INFO_PREFIX, sha256(der)])),
    });
    assert.equal(cms.length > 0, true);
    const ok = await opensslCmsVerify('rsa3072', cms, CONTENT);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, /Verification successful/);
  });

  test('EC P-256 imported key with CKM_ECDSA (r||s converted to DER)', async () => {
    const cms = buildDetachedCms({
      content: CONTENT,
      signer: pki.personEc,
      extraCerts: [pki.issuing],
      signatureAlgorithm: ecdsaSha256(),
      signDer: (der) => ecdsaRawToDer(tokenSign(EC_TOKEN, '02', pkcs11js.CKM_ECDSA, sha256(der))),
    });
    const ok = await opensslCmsVerify('ec', cms, CONTENT);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, /Verification successful/);
  });

  test('EC P-256 key generated on the token, certified afterwards', async () => {
    const cms = buildDetachedCms({
      content: CONTENT,
      signer: onTokenCert,
      extraCerts: [pki.issuing],
      signatureAlgorithm: ecdsaSha256(),
      signDer: (der) => ecdsaRawToDer(tokenSign(EC_TOKEN, '03', pkcs11js.CKM_ECDSA, sha256(der))),
    });
    const ok = await opensslCmsVerify('on-token', cms, CONTENT);
    assert.equal(ok.status, 0, ok.stderr);
    // The private key never left the token: SoftHSM marks generated keys non-extractable.
    withSession(EC_TOKEN, (session) => {
      const [key] = findObjects(session, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
        { type: pkcs11js.CKA_ID, value: Buffer.from('03', 'hex') },
      ]);
      assert.ok(key);
      const [extractable] = p11().C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_EXTRACTABLE }]);
      assert.equal(extractable?.value[0], 0);
    });
  });
});

describe('TSA', () => {
  test('stamps an openssl query that openssl then verifies', async () => {
    const dataPath = join(work, 'ts-data.bin');
    const queryPath = join(work, 'ts.tsq');
    const replyPath = join(work, 'ts.tsr');
    const untrustedPath = join(work, 'ts-untrusted.pem');
    await writeFile(dataPath, CONTENT);
    await writeFile(untrustedPath, pki.tsa.certPem + pki.issuing.certPem);
    await runOk('openssl', ['ts', '-query', '-data', dataPath, '-sha256', '-cert', '-out', queryPath]);
    const res = await fetch(tsa.url, {
      method: 'POST',
      headers: { 'content-type': 'application/timestamp-query' },
      body: await readFile(queryPath),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/timestamp-reply');
    await writeFile(replyPath, new Uint8Array(await res.arrayBuffer()));

    const verify = await run('openssl', [
      'ts',
      '-verify',
      '-data',
      dataPath,
      '-in',
      replyPath,
      '-CAfile',
      pki.files.rootPem,
      '-untrusted',
      untrustedPath,
    ]);
    assert.equal(verify.status, 0, verify.stderr + verify.stdout);
    assert.match(verify.stdout, /Verification: OK/);

    const text = await runOk('openssl', ['ts', '-reply', '-in', replyPath, '-text']);
    assert.match(text.stdout, /Status: Granted/);
    assert.ok(text.stdout.includes(`Policy OID: ${tsa.policyOid}`), text.stdout);
    assert.match(text.stdout, /Hash Algorithm: sha256/);

    const otherData = join(work, 'ts-other.bin');
    await writeFile(otherData, 'khác');
    const wrong = await run('openssl', [
      'ts',
      '-verify',
      '-data',
      otherData,
      '-in',
      replyPath,
      '-CAfile',
      pki.files.rootPem,
      '-untrusted',
      untrustedPath,
    ]);
    assert.notEqual(wrong.status, 0);
  });

  test('rejects wrong content type and oversized bodies', async () => {
    const wrongType = await fetch(tsa.url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    assert.equal(wrongType.status, 415);
    const big = await fetch(tsa.url, {
      method: 'POST',
      headers: { 'content-type': 'application/timestamp-query' },
      body: new Uint8Array(1024 * 1024),
    });
    assert.equal(big.status, 413);
  });
  test('fault injection: HTTP 500, then garbage, then back to normal', async () => {
    const query = await runOk('openssl', [
      'ts',
      '-query',
      '-digest',
      sha256(CONTENT).toString('hex'),
      '-sha256',
      '-cert',
    ]);
    const post = () =>
      fetch(tsa.url, {
        method: 'POST',
        headers: { 'content-type': 'application/timestamp-query' },
        body: query.stdoutBytes,
      });
    const before = tsa.requestCount;
    try {
      tsa.setFault('http-500');
      assert.equal((await post()).status, 500);
      tsa.setFault('garbage');
      const garbage = await post();
      assert.equal(garbage.status, 200);
      const replyPath = join(work, 'garbage.tsr');
      await writeFile(replyPath, new Uint8Array(await garbage.arrayBuffer()));
      const parsed = await run('openssl', ['ts', '-reply', '-in', replyPath, '-text']);
      assert.notEqual(parsed.status, 0);
    } finally {
      tsa.setFault(null);
    }
    assert.equal((await post()).status, 200);
    assert.equal(tsa.requestCount, before + 3);
  });
});

describe('OCSP', () => {
  async function ocspStatus(cert: TestCert): Promise<string> {
    const r = await run('openssl', [
      'ocsp',
      '-issuer',
      pki.files.issuingPem,
      '-cert',
      cert.certPath,
      '-url',
      ocsp.url,
      '-CAfile',
      pki.files.rootPem,
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /Response verify OK/);
    const line = r.stdout.split('\n').find((l) => l.startsWith(`${cert.certPath}:`));
    assert.ok(line, r.stdout);
    return line.slice(cert.certPath.length + 1).trim();
  }

  test('good for a live leaf; revoked after revocation, with reason', async () => {
    assert.equal(await ocspStatus(pki.person), 'good');
    const leaf = await pki.issue({
      name: 'to-revoke',
      subject: { c: 'VN', cn: 'Đỗ Văn Hùng', uid: 'CCCD:001080056789' },
    });
    assert.equal(await ocspStatus(leaf), 'good');
    await ocsp.revoke(leaf, { reason: 'keyCompromise' });
    assert.equal(await ocspStatus(leaf), 'revoked');
    const detail = await run('openssl', [
      'ocsp',
      '-issuer',
      pki.files.issuingPem,
      '-cert',
      leaf.certPath,
      '-url',
      ocsp.url,
      '-CAfile',
      pki.files.rootPem,
    ]);
    assert.match(detail.stdout, /Reason: keyCompromise/);
    assert.equal(await ocspStatus(pki.person), 'good');
  });

  test('answers GET requests (RFC 6960 A.1) too', async () => {
    const reqPath = join(work, 'ocsp-get.req');
    const respPath = join(work, 'ocsp-get.resp');
    await runOk('openssl', [
      'ocsp',
      '-issuer',
      pki.files.issuingPem,
      '-cert',
      pki.organisation.certPath,
      '-reqout',
      reqPath,
      '-no_nonce',
    ]);
    const b64 = (await readFile(reqPath)).toString('base64');
    const res = await fetch(ocsp.url + encodeURIComponent(b64));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/ocsp-response');
    await writeFile(respPath, new Uint8Array(await res.arrayBuffer()));
    const r = await run('openssl', [
      'ocsp',
      '-respin',
      respPath,
      '-issuer',
      pki.files.issuingPem,
      '-cert',
      pki.organisation.certPath,
      '-CAfile',
      pki.files.rootPem,
      '-no_nonce',
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.includes(`${pki.organisation.certPath}: good`), r.stdout);
  });
  test('fault injection: tryLater is reported as a responder error', async () => {
    try {
      ocsp.setFault('try-later');
      const r = await run('openssl', [
        'ocsp',
        '-issuer',
        pki.files.issuingPem,
        '-cert',
        pki.person.certPath,
        '-url',
        ocsp.url,
        '-CAfile',
        pki.files.rootPem,
      ]);
      assert.match(r.stdout + r.stderr, /Responder Error: trylater/);
    } finally {
      ocsp.setFault(null);
    }
    assert.equal(await ocspStatus(pki.person), 'good');
  });
});
