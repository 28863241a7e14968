// A throw-away CA hierarchy shaped like the Vietnamese government one (VGCA G2): a root, an issuing
// CA with pathlen 0, and the leaf kinds a signing client meets (person, organisation seal, TSA, OCSP
// responder). Everything is built in memory with pkijs over node's WebCrypto and written to a temp
// dir as PEM/DER, so openssl, softhsm2-util and the code under test can all read the same files.
//
// pkijs rather than @peculiar/x509: the latter needs a global Reflect-metadata polyfill (tsyringe),
// which is not installed and would leak into every test process that imports this helper.
import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

// The repo compiles without the DOM lib, so name node's WebCrypto types explicitly.
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

export const OID = {
  countryName: '2.5.4.6',
  stateOrProvinceName: '2.5.4.8',
  localityName: '2.5.4.7',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  title: '2.5.4.12',
  commonName: '2.5.4.3',
  emailAddress: '1.2.840.113549.1.9.1',
  /** userId; VGCA puts the citizen ID ("CCCD:…", "CMND:…") or tax code ("MST:…") here. */
  uid: '0.9.2342.19200300.100.1.1',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  certificatePolicies: '2.5.29.32',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  adOcsp: '1.3.6.1.5.5.7.48.1',
  adCaIssuers: '1.3.6.1.5.5.7.48.2',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
  ekuTimeStamping: '1.3.6.1.5.5.7.3.8',
  ekuOcspSigning: '1.3.6.1.5.5.7.3.9',
  ekuClientAuth: '1.3.6.1.5.5.7.3.2',
  ekuEmailProtection: '1.3.6.1.5.5.7.3.4',
} as const;

/** Policy OID the test TSA stamps with (a private-arc placeholder, not a real VGCA policy). */
export const TEST_TSA_POLICY_OID = '1.3.6.1.4.1.99999.1.3.1';

export type KeySpec = { type: 'rsa'; bits: 2048 | 3072 | 4096 } | { type: 'ec'; curve: 'P-256' | 'P-384' };

/** Distinguished name parts, emitted in this order (C, ST, L, O, OU, T, CN, UID, E) like VGCA certificates. */
export interface SubjectSpec {
  c?: string;
  st?: string;
  l?: string;
  o?: string;
  ou?: string;
  title?: string;
  cn: string;
  uid?: string;
  email?: string;
}

/**
 * person / organisation: signing leaves (digitalSignature + nonRepudiation).
 * tsa: critical EKU timeStamping, as `openssl ts` and RFC 3161 require.
 * ocsp: EKU OCSPSigning + id-pkix-ocsp-nocheck, a delegated responder of the issuing CA.
 */
export type LeafProfile = 'person' | 'organisation' | 'tsa' | 'ocsp';

export type RevocationReason =
  | 'unspecified'
  | 'keyCompromise'
  | 'CACompromise'
  | 'affiliationChanged'
  | 'superseded'
  | 'cessationOfOperation'
  | 'certificateHold';

export interface IssueOptions {
  /** File stem inside pki.dir (name.pem, name.der, name.key); must be unique within the PKI. */
  name: string;
  profile?: LeafProfile;
  subject?: SubjectSpec;
  /** Default RSA-2048. Ignored by issueForPublicKey. */
  key?: KeySpec;
  /** 'expired' = valid from 3 years ago until 1 year ago; 'not-yet-valid' = starts in a year. */
  validity?: 'valid' | 'expired' | 'not-yet-valid';
  notBefore?: Date;
  notAfter?: Date;
  /** OCSP URL for the AIA extension; defaults to the PKI's ocspUrl; null leaves AIA out. */
  ocspUrl?: string | null;
  extendedKeyUsages?: string[];
  policies?: string[];
  /** Upper-case hex; random 128-bit positive serial when omitted. */
  serialHex?: string;
}

export interface TestCert {
  name: string;
  subject: SubjectSpec;
  /** Upper-case hex without leading zero bytes: the form openssl prints and index.txt stores. */
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  cert: pkijs.Certificate;
  certDer: Uint8Array;
  certPem: string;
  certPath: string;
  certDerPath: string;
  /** DER SubjectPublicKeyInfo. */
  spkiDer: Uint8Array;
}

export interface TestKeyPair {
  keySpec: KeySpec;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** PKCS#8 PEM ("BEGIN PRIVATE KEY"), what softhsm2-util --import accepts. */
  keyPem: string;
  keyPkcs8Der: Uint8Array;
  keyPath: string;
}

export type TestIdentity = TestCert & TestKeyPair;

export interface CreateTestPkiOptions {
  /** Put into the AIA of every leaf the issuing CA signs (see startOcsp's freePort for how to know it early). */
  ocspUrl?: string;
  /** Key of root and issuing CA. Default RSA-2048 (RSA-4096 takes seconds per key). */
  caKey?: KeySpec;
  /** Parent for the temp dir; default os.tmpdir(). */
  parentDir?: string;
}

export interface TestPki {
  dir: string;
  ocspUrl: string | undefined;
  root: TestIdentity;
  issuing: TestIdentity;
  /** RSA-2048, Nguyễn Văn Đức, Chánh Văn phòng, Bộ Tài chính, UID=CCCD:001085012345. */
  person: TestIdentity;
  /** RSA-2048 organisation seal, CN=Bộ Tài chính, UID=MST:0100100079. */
  organisation: TestIdentity;
  /** ECDSA P-256 person. */
  personEc: TestIdentity;
  /** RSA-3072 person. */
  personRsa3072: TestIdentity;
  tsa: TestIdentity;
  ocsp: TestIdentity;
  files: {
    rootPem: string;
    issuingPem: string;
    /** issuing CA then root, PEM. */
    chainPem: string;
    /** openssl-ca style database of everything the issuing CA signed; read by `openssl ocsp -index`. */
    indexTxt: string;
  };
  /** Issues a leaf with a freshly generated key, signed by the issuing CA, and records it in index.txt. */
  issue(opts: IssueOptions): Promise<TestIdentity>;
  /** Issues a leaf for a key generated elsewhere (e.g. on a token); spkiDer is a DER SubjectPublicKeyInfo. */
  issueForPublicKey(opts: IssueOptions, spkiDer: Uint8Array): Promise<TestCert>;
  /** Marks a leaf of the issuing CA revoked in index.txt; startOcsp() reads the index per request, so the next query sees it. */
  revoke(target: TestCert | string, opts?: { reason?: RevocationReason; at?: Date }): Promise<void>;
  cleanup(): Promise<void>;
}

const engine = new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto });

const YEAR_MS = 365 * 24 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

export function derToPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export function pemToDer(pem: string): Uint8Array {
  const body = pem.replace(/-----(BEGIN|END) [^-]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(body, 'base64'));
}

/** Certificates carry whole seconds only; keeping Dates whole makes round-trips compare equal. */
function wholeSeconds(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

async function generateKeyPair(spec: KeySpec): Promise<CryptoKeyPair> {
  const algorithm =
    spec.type === 'rsa'
      ? {
          name: 'RSASSA-PKCS1-v1_5',
          hash: 'SHA-256',
          modulusLength: spec.bits,
          publicExponent: new Uint8Array([1, 0, 1]),
        }
      : { name: 'ECDSA', namedCurve: spec.curve };
  return (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
}

function buildName(s: SubjectSpec): pkijs.RelativeDistinguishedNames {
  // countryName is PrintableString by definition (X.520); every other part is UTF8String, as in
  // real VGCA certificates, so Vietnamese diacritics survive byte-for-byte.
  const parts: [string, string | undefined][] = [
    [OID.stateOrProvinceName, s.st],
    [OID.localityName, s.l],
    [OID.organizationName, s.o],
    [OID.organizationalUnitName, s.ou],
    [OID.title, s.title],
    [OID.commonName, s.cn],
    [OID.uid, s.uid],
  ];
  const typesAndValues: pkijs.AttributeTypeAndValue[] = [];
  if (s.c !== undefined) {
    typesAndValues.push(
      new pkijs.AttributeTypeAndValue({
        type: OID.countryName,
        value: new asn1js.PrintableString({ value: s.c }),
      }),
    );
  }
  for (const [type, value] of parts) {
    if (value === undefined) continue;
    typesAndValues.push(new pkijs.AttributeTypeAndValue({ type, value: new asn1js.Utf8String({ value }) }));
  }
  if (s.email !== undefined) {
    typesAndValues.push(
      new pkijs.AttributeTypeAndValue({
        type: OID.emailAddress,
        value: new asn1js.IA5String({ value: s.email }),
      }),
    );
  }
  // pkijs would put every attribute into one multi-valued RDN ("C=VN + O=… + CN=…"); real names
  // have one attribute per RDN, so encode the SEQUENCE OF SET ourselves and let pkijs keep those bytes.
  const der = new asn1js.Sequence({
    value: typesAndValues.map((tv) => new asn1js.Set({ value: [tv.toSchema()] })),
  }).toBER(false);
  return pkijs.RelativeDistinguishedNames.fromBER(der);
}

/** The DN as openssl writes it into index.txt; the responder only matches serials, so this is informational. */
function slashDn(s: SubjectSpec): string {
  const parts: [string, string | undefined][] = [
    ['C', s.c],
    ['ST', s.st],
    ['L', s.l],
    ['O', s.o],
    ['OU', s.ou],
    ['title', s.title],
    ['CN', s.cn],
    ['UID', s.uid],
    ['emailAddress', s.email],
  ];
  return parts
    .filter((p): p is [string, string] => p[1] !== undefined)
    .map(([k, v]) => `/${k}=${v.replace(/[\t\n/]/g, ' ')}`)
    .join('');
}

function ext(extnID: string, critical: boolean, value: asn1js.BaseBlock): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value.toBER(false) });
}

const KU_BITS = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
} as const;

/** DER BIT STRING of named bits: trailing zero bits must be dropped (X.690 11.2.2). */
function keyUsage(bits: (keyof typeof KU_BITS)[]): asn1js.BitString {
  const positions = bits.map((b) => KU_BITS[b]);
  const highest = Math.max(...positions);
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const p of positions) {
    const i = Math.floor(p / 8);
    bytes[i] = (bytes[i] ?? 0) | (0x80 >> (p % 8));
  }
  return new asn1js.BitString({ valueHex: bytes, unusedBits: bytes.length * 8 - (highest + 1) });
}

function keyIdOf(spki: pkijs.PublicKeyInfo): Uint8Array {
  // RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING contents.
  return new Uint8Array(createHash('sha1').update(spki.subjectPublicKey.valueBlock.valueHexView).digest());
}

function randomSerialHex(): string {
  const b = randomBytes(16);
  // High bit clear keeps the INTEGER positive without a 00 pad; a non-zero first nibble keeps the
  // hex free of leading zeros, the form `openssl ocsp` looks up in index.txt.
  b[0] = ((b[0] ?? 0) & 0x7f) | 0x10;
  return b.toString('hex').toUpperCase();
}

function asnTime(d: Date): pkijs.Time {
  // RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  return new pkijs.Time({ type: d.getUTCFullYear() >= 2050 ? 1 : 0, value: d });
}

function indexTime(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const year = d.getUTCFullYear();
  const y = year >= 2050 ? String(year) : p(year % 100);
  return `${y}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
}

interface IndexEntry {
  serialHex: string;
  notAfter: Date;
  dn: string;
  revoked?: { at: Date; reason: RevocationReason | undefined };
}

function indexLine(e: IndexEntry): string {
  const revocation = e.revoked ? `${indexTime(e.revoked.at)}${e.revoked.reason ? `,${e.revoked.reason}` : ''}` : '';
  return [e.revoked ? 'R' : 'V', indexTime(e.notAfter), revocation, e.serialHex, 'unknown', e.dn].join('\t');
}

interface SignParams {
  subject: SubjectSpec;
  spki: pkijs.PublicKeyInfo;
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  extensions: pkijs.Extension[];
  issuer: { name: pkijs.RelativeDistinguishedNames; key: CryptoKey; keyId: Uint8Array } | null;
  selfKey?: CryptoKey;
}

async function signCertificate(p: SignParams): Promise<pkijs.Certificate> {
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ valueHex: Buffer.from(p.serialHex, 'hex') });
  const subjectName = buildName(p.subject);
  cert.subject = subjectName;
  cert.issuer = p.issuer ? p.issuer.name : subjectName;
  cert.notBefore = asnTime(p.notBefore);
  cert.notAfter = asnTime(p.notAfter);
  cert.subjectPublicKeyInfo = p.spki;
  const ski = keyIdOf(p.spki);
  const akiKeyId = p.issuer ? p.issuer.keyId : ski;
  cert.extensions = [
    ...p.extensions,
    ext(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: ski })),
    ext(
      OID.authorityKeyIdentifier,
      false,
      new pkijs.AuthorityKeyIdentifier({
        keyIdentifier: new asn1js.OctetString({ valueHex: akiKeyId }),
      }).toSchema(),
    ),
  ];
  const signingKey = p.issuer ? p.issuer.key : p.selfKey;
  if (!signingKey) throw new Error('self-signed certificate needs selfKey');
  await cert.sign(signingKey, 'SHA-256', engine);
  return cert;
}

function leafExtensions(
  profile: LeafProfile,
  ocspUrl: string | null | undefined,
  extraEku: string[] | undefined,
  policies: string[] | undefined,
): pkijs.Extension[] {
  const list: pkijs.Extension[] = [
    ext(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: false }).toSchema()),
  ];
  let eku: string[] = [];
  let ekuCritical = false;
  switch (profile) {
    case 'person':
    case 'organisation':
      list.push(ext(OID.keyUsage, true, keyUsage(['digitalSignature', 'nonRepudiation'])));
      break;
    case 'tsa':
      list.push(ext(OID.keyUsage, true, keyUsage(['digitalSignature', 'nonRepudiation'])));
      eku = [OID.ekuTimeStamping];
      ekuCritical = true;
      break;
    case 'ocsp':
      list.push(ext(OID.keyUsage, true, keyUsage(['digitalSignature'])));
      eku = [OID.ekuOcspSigning];
      // Without nocheck a relying party would have to ask the responder about its own certificate.
      list.push(ext(OID.ocspNoCheck, false, new asn1js.Null()));
      break;
  }
  eku = [...eku, ...(extraEku ?? [])];
  if (eku.length > 0) {
    list.push(ext(OID.extKeyUsage, ekuCritical, new pkijs.ExtKeyUsage({ keyPurposes: eku }).toSchema()));
  }
  if (policies && policies.length > 0) {
    list.push(
      ext(
        OID.certificatePolicies,
        false,
        new pkijs.CertificatePolicies({
          certificatePolicies: policies.map((policyIdentifier) => new pkijs.PolicyInformation({ policyIdentifier })),
        }).toSchema(),
      ),
    );
  }
  if (ocspUrl && profile !== 'ocsp') {
    list.push(
      ext(
        OID.authorityInfoAccess,
        false,
        new pkijs.InfoAccess({
          accessDescriptions: [
            new pkijs.AccessDescription({
              accessMethod: OID.adOcsp,
              accessLocation: new pkijs.GeneralName({ type: 6, value: ocspUrl }),
            }),
          ],
        }).toSchema(),
      ),
    );
  }
  return list;
}

const DEFAULT_SUBJECTS: Record<LeafProfile, SubjectSpec> = {
  person: {
    c: 'VN',
    st: 'Hà Nội',
    l: 'Hà Nội',
    o: 'Bộ Tài chính',
    ou: 'Văn phòng',
    title: 'Chánh Văn phòng',
    cn: 'Nguyễn Văn Đức',
    uid: 'CCCD:001085012345',
  },
  organisation: {
    c: 'VN',
    st: 'Hà Nội',
    l: 'Hà Nội',
    o: 'Bộ Tài chính',
    cn: 'Bộ Tài chính',
    uid: 'MST:0100100079',
  },
  tsa: {
    c: 'VN',
    o: 'Ban Cơ yếu Chính phủ',
    ou: 'Cục Chứng thực số và Bảo mật thông tin',
    cn: 'Dịch vụ cấp dấu thời gian G2 (TEST)',
  },
  ocsp: {
    c: 'VN',
    o: 'Ban Cơ yếu Chính phủ',
    ou: 'Cục Chứng thực số và Bảo mật thông tin',
    cn: 'OCSP CA phục vụ các cơ quan Nhà nước G2 (TEST)',
  },
};

const ROOT_SUBJECT: SubjectSpec = {
  c: 'VN',
  o: 'Ban Cơ yếu Chính phủ',
  ou: 'Cục Chứng thực số và Bảo mật thông tin',
  cn: 'RootCA chuyên dùng Chính phủ G2 (TEST)',
};

const ISSUING_SUBJECT: SubjectSpec = {
  c: 'VN',
  o: 'Ban Cơ yếu Chính phủ',
  ou: 'Cục Chứng thực số và Bảo mật thông tin',
  cn: 'CA phục vụ các cơ quan Nhà nước G2 (TEST)',
};

export async function createTestPki(opts: CreateTestPkiOptions = {}): Promise<TestPki> {
  const dir = await mkdtemp(join(opts.parentDir ?? tmpdir(), 'kyso-pki-'));
  try {
    return await buildPki(dir, opts);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

async function buildPki(dir: string, opts: CreateTestPkiOptions): Promise<TestPki> {
  const now = Date.now();
  const caKey = opts.caKey ?? { type: 'rsa', bits: 2048 };
  const ocspUrl = opts.ocspUrl;
  const usedNames = new Set<string>();
  const index = new Map<string, IndexEntry>();
  const indexTxt = join(dir, 'index.txt');

  // Leaves are issued concurrently and the OCSP responder reads index.txt on every request, so
  // rewrites are chained (no two writers) and atomic (write + rename: no reader sees half a file).
  let indexWrite: Promise<void> = Promise.resolve();
  function writeIndex(): Promise<void> {
    indexWrite = indexWrite
      .catch(() => undefined)
      .then(async () => {
        const lines = [...index.values()].map(indexLine);
        const tmp = `${indexTxt}.tmp`;
        await writeFile(tmp, lines.length > 0 ? `${lines.join('\n')}\n` : '');
        await rename(tmp, indexTxt);
      });
    return indexWrite;
  }

  async function persist(
    name: string,
    subject: SubjectSpec,
    cert: pkijs.Certificate,
    serialHex: string,
    notBefore: Date,
    notAfter: Date,
    spkiDer: Uint8Array,
  ): Promise<TestCert> {
    const certDer = new Uint8Array(cert.toSchema().toBER(false));
    const certPem = derToPem('CERTIFICATE', certDer);
    const certPath = join(dir, `${name}.pem`);
    const certDerPath = join(dir, `${name}.der`);
    await writeFile(certPath, certPem);
    await writeFile(certDerPath, certDer);
    return { name, subject, serialHex, notBefore, notAfter, cert, certDer, certPem, certPath, certDerPath, spkiDer };
  }

  async function persistKey(name: string, keySpec: KeySpec, keys: CryptoKeyPair): Promise<TestKeyPair> {
    const keyPkcs8Der = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    const keyPem = derToPem('PRIVATE KEY', keyPkcs8Der);
    const keyPath = join(dir, `${name}.key`);
    await writeFile(keyPath, keyPem, { mode: 0o600 });
    return { keySpec, privateKey: keys.privateKey, publicKey: keys.publicKey, keyPem, keyPkcs8Der, keyPath };
  }

  async function spkiOf(publicKey: CryptoKey): Promise<Uint8Array> {
    return new Uint8Array(await webcrypto.subtle.exportKey('spki', publicKey));
  }

  function claimName(name: string): void {
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`certificate name "${name}" is not a safe file stem`);
    if (usedNames.has(name) || name === 'index.txt' || name === 'chain') {
      throw new Error(`certificate name "${name}" already used in this PKI`);
    }
    usedNames.add(name);
  }

  // --- root and issuing CA ---------------------------------------------------------------------
  claimName('root');
  claimName('issuing');
  const [rootKeys, issuingKeys] = await Promise.all([generateKeyPair(caKey), generateKeyPair(caKey)]);
  const rootSpkiDer = await spkiOf(rootKeys.publicKey);
  const rootSpki = pkijs.PublicKeyInfo.fromBER(rootSpkiDer);
  const rootSerial = randomSerialHex();
  const rootNotBefore = wholeSeconds(now - 10 * YEAR_MS);
  const rootNotAfter = wholeSeconds(now + 20 * YEAR_MS);
  const caExtensions = (pathLen: number | undefined): pkijs.Extension[] => [
    ext(
      OID.basicConstraints,
      true,
      new pkijs.BasicConstraints(
        pathLen === undefined ? { cA: true } : { cA: true, pathLenConstraint: pathLen },
      ).toSchema(),
    ),
    ext(OID.keyUsage, true, keyUsage(['keyCertSign', 'cRLSign'])),
  ];
  const rootCert = await signCertificate({
    subject: ROOT_SUBJECT,
    spki: rootSpki,
    serialHex: rootSerial,
    notBefore: rootNotBefore,
    notAfter: rootNotAfter,
    extensions: caExtensions(undefined),
    issuer: null,
    selfKey: rootKeys.privateKey,
  });
  const root: TestIdentity = {
    ...(await persist('root', ROOT_SUBJECT, rootCert, rootSerial, rootNotBefore, rootNotAfter, rootSpkiDer)),
    ...(await persistKey('root', caKey, rootKeys)),
  };

  const issuingSpkiDer = await spkiOf(issuingKeys.publicKey);
  const issuingSpki = pkijs.PublicKeyInfo.fromBER(issuingSpkiDer);
  const issuingSerial = randomSerialHex();
  const issuingNotBefore = wholeSeconds(now - 5 * YEAR_MS);
  const issuingNotAfter = wholeSeconds(now + 15 * YEAR_MS);
  const issuingCert = await signCertificate({
    subject: ISSUING_SUBJECT,
    spki: issuingSpki,
    serialHex: issuingSerial,
    notBefore: issuingNotBefore,
    notAfter: issuingNotAfter,
    extensions: caExtensions(0),
    issuer: { name: rootCert.subject, key: rootKeys.privateKey, keyId: keyIdOf(rootSpki) },
  });
  const issuing: TestIdentity = {
    ...(await persist(
      'issuing',
      ISSUING_SUBJECT,
      issuingCert,
      issuingSerial,
      issuingNotBefore,
      issuingNotAfter,
      issuingSpkiDer,
    )),
    ...(await persistKey('issuing', caKey, issuingKeys)),
  };
  const issuer = { name: issuingCert.subject, key: issuingKeys.privateKey, keyId: keyIdOf(issuingSpki) };

  const chainPem = join(dir, 'chain.pem');
  await writeFile(chainPem, issuing.certPem + root.certPem);
  await writeFile(join(dir, 'index.txt.attr'), 'unique_subject = no\n');
  await writeIndex();

  // --- leaves ----------------------------------------------------------------------------------
  async function issueCert(o: IssueOptions, spkiDer: Uint8Array): Promise<TestCert> {
    const profile = o.profile ?? 'person';
    const subject = o.subject ?? DEFAULT_SUBJECTS[profile];
    const t = Date.now();
    let notBefore = wholeSeconds(t - DAY_MS);
    let notAfter = wholeSeconds(t + 3 * YEAR_MS);
    if (o.validity === 'expired') {
      notBefore = wholeSeconds(t - 3 * YEAR_MS);
      notAfter = wholeSeconds(t - YEAR_MS);
    } else if (o.validity === 'not-yet-valid') {
      notBefore = wholeSeconds(t + YEAR_MS);
      notAfter = wholeSeconds(t + 2 * YEAR_MS);
    }
    if (o.notBefore) notBefore = wholeSeconds(o.notBefore.getTime());
    if (o.notAfter) notAfter = wholeSeconds(o.notAfter.getTime());
    const serialHex = (o.serialHex ?? randomSerialHex()).toUpperCase();
    if (index.has(serialHex)) throw new Error(`serial ${serialHex} already issued`);
    const cert = await signCertificate({
      subject,
      spki: pkijs.PublicKeyInfo.fromBER(spkiDer),
      serialHex,
      notBefore,
      notAfter,
      extensions: leafExtensions(
        profile,
        o.ocspUrl === undefined ? ocspUrl : o.ocspUrl,
        o.extendedKeyUsages,
        o.policies,
      ),
      issuer,
    });
    index.set(serialHex, { serialHex, notAfter, dn: slashDn(subject) });
    await writeIndex();
    return persist(o.name, subject, cert, serialHex, notBefore, notAfter, spkiDer);
  }

  async function issue(o: IssueOptions): Promise<TestIdentity> {
    claimName(o.name);
    const keySpec = o.key ?? { type: 'rsa', bits: 2048 };
    const keys = await generateKeyPair(keySpec);
    const certPart = await issueCert(o, await spkiOf(keys.publicKey));
    return { ...certPart, ...(await persistKey(o.name, keySpec, keys)) };
  }

  async function issueForPublicKey(o: IssueOptions, spkiDer: Uint8Array): Promise<TestCert> {
    claimName(o.name);
    return issueCert(o, spkiDer);
  }

  async function revoke(target: TestCert | string, ro: { reason?: RevocationReason; at?: Date } = {}): Promise<void> {
    const serialHex = (typeof target === 'string' ? target : target.serialHex).toUpperCase();
    const entry = index.get(serialHex);
    if (!entry) throw new Error(`serial ${serialHex} was not issued by the issuing CA of this PKI`);
    entry.revoked = { at: wholeSeconds((ro.at ?? new Date()).getTime()), reason: ro.reason };
    await writeIndex();
  }

  const [person, organisation, personEc, personRsa3072, tsa, ocsp] = await Promise.all([
    issue({ name: 'person', profile: 'person' }),
    issue({ name: 'organisation', profile: 'organisation' }),
    issue({
      name: 'person-ec',
      profile: 'person',
      key: { type: 'ec', curve: 'P-256' },
      subject: { ...DEFAULT_SUBJECTS.person, title: 'Chuyên viên', cn: 'Trần Thị Hương', uid: 'CCCD:001190023456' },
    }),
    issue({
      name: 'person-rsa3072',
      profile: 'person',
      key: { type: 'rsa', bits: 3072 },
      subject: {
        ...DEFAULT_SUBJECTS.person,
        ou: 'Vụ Pháp chế',
        title: 'Vụ trưởng',
        cn: 'Lê Minh Tuấn',
        uid: 'CCCD:079080034567',
      },
    }),
    issue({ name: 'tsa', profile: 'tsa' }),
    issue({ name: 'ocsp', profile: 'ocsp' }),
  ]);

  return {
    dir,
    ocspUrl,
    root,
    issuing,
    person,
    organisation,
    personEc,
    personRsa3072,
    tsa,
    ocsp,
    files: { rootPem: root.certPath, issuingPem: issuing.certPath, chainPem, indexTxt },
    issue,
    issueForPublicKey,
    revoke,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
