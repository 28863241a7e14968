/**
 * What path validation needs from a certificate beyond the CMS layer's CertInfo: the constraints
 * (basicConstraints, keyUsage), the critical extensions, the TBS copy of the signature algorithm,
 * and a signature check that still works where the platform's X.509 code refuses SHA-1.
 *
 * Read with the CMS layer's DER reader so names and algorithm identifiers are compared as the exact
 * bytes the CA wrote (G1 names are ASCII, G2 names UTF-8: never normalised into each other).
 */
import { X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { children, content, expect, isCtx, parse, raw, readBitStringBytes, readBoolean, TAG } from '../cms/der.js';
import { OID, sigAlgByOid } from '../cms/oids.js';
import type { HashName } from '../cms/oids.js';
import { verifySignature } from '../cms/sig-verify.js';
import { parseCertificate, publicKeyOf, subjectKeyIdentifier } from '../cms/x509.js';
import type { CertInfo } from '../cms/x509.js';
import { sha256Hex } from './trust-anchors.js';

export const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;
export type KeyUsageBit = (typeof KEY_USAGE_BITS)[number];

const OID_AUTHORITY_KEY_ID = '2.5.29.35';

/** Extensions whose criticality we honour (RFC 5280 6.1.4 (o)): anything else critical fails the path. */
const UNDERSTOOD = new Set<string>([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectKeyIdentifier,
  OID_AUTHORITY_KEY_ID,
  '2.5.29.17', // subjectAltName
  '2.5.29.18', // issuerAltName
  '2.5.29.32', // certificatePolicies: read by nobody here, but critical policies are common and harmless to accept
  '2.5.29.36', // policyConstraints
  '2.5.29.54', // inhibitAnyPolicy
  OID.crlDistributionPoints,
  OID.authorityInfoAccess,
  OID.ocspNoCheck,
  '1.3.6.1.5.5.7.1.3', // qcStatements
]);

export interface CertFacts {
  info: CertInfo;
  sha256: string;
  /** DER of the signature AlgorithmIdentifier inside TBSCertificate (must equal the outer one). */
  tbsSignatureAlgorithm: Buffer;
  /** null: no extension. */
  basicConstraints: { ca: boolean; pathLen?: number } | null;
  /** null: no extension (every use allowed, RFC 5280 4.2.1.3). */
  keyUsage: ReadonlySet<KeyUsageBit> | null;
  /** Critical extensions we do not process, by OID. */
  unknownCritical: string[];
  /** Extensions present but unreadable, by OID. */
  malformed: string[];
  /** Issuer Name bytes equal subject Name bytes. */
  selfIssued: boolean;
  /** The hash of the CA's signature on this certificate, when the algorithm names one. */
  signatureHash?: HashName;
  /** authorityKeyIdentifier keyIdentifier, when present and readable. */
  authorityKeyId?: Buffer;
  /** subjectKeyIdentifier, or the RFC 5280 method-1 hash when absent. */
  subjectKeyId: Buffer;
}

function readBasicConstraints(value: Buffer): { ca: boolean; pathLen?: number } {
  const f = children(expect(parse(value), TAG.sequence, 'BasicConstraints'));
  let i = 0;
  let ca = false;
  if (f[i]?.tagByte === TAG.boolean) ca = readBoolean(f[i++]);
  const n = f[i];
  if (n === undefined) return { ca };
  const c = content(expect(n, TAG.integer, 'pathLenConstraint'));
  if (c.length === 0 || c.length > 4 || (c[0]! & 0x80) !== 0) throw new Error('pathLenConstraint out of range');
  let pathLen = 0;
  for (const b of c) pathLen = pathLen * 256 + b;
  return { ca, pathLen };
}

function readKeyUsage(value: Buffer): Set<KeyUsageBit> {
  const bytes = readBitStringBytes(parse(value), 'keyUsage');
  const out = new Set<KeyUsageBit>();
  KEY_USAGE_BITS.forEach((bit, i) => {
    if (((bytes[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0) out.add(bit);
  });
  return out;
}

function readAuthorityKeyId(value: Buffer): Buffer | undefined {
  const keyId = children(expect(parse(value), TAG.sequence, 'AuthorityKeyIdentifier')).find(
    (n) => isCtx(n, 0) && !n.constructed,
  );
  return keyId ? content(keyId) : undefined;
}

function tbsSignatureAlgorithmOf(info: CertInfo): Buffer {
  const f = children(parse(info.tbsDer));
  const i = isCtx(f[0], 0) ? 2 : 1;
  return raw(expect(f[i], TAG.sequence, 'TBSCertificate.signature'));
}

/** Throws (DerError or Error) when the bytes are not a certificate. */
export function certFacts(der: Buffer): CertFacts {
  const info = parseCertificate(der);
  const malformed: string[] = [];
  let basicConstraints: CertFacts['basicConstraints'] = null;
  let keyUsage: CertFacts['keyUsage'] = null;
  const bc = info.extensions.get(OID.basicConstraints);
  if (bc) {
    try {
      basicConstraints = readBasicConstraints(bc.value);
    } catch {
      malformed.push(OID.basicConstraints);
    }
  }
  const ku = info.extensions.get(OID.keyUsage);
  if (ku) {
    try {
      keyUsage = readKeyUsage(ku.value);
    } catch {
      malformed.push(OID.keyUsage);
    }
  }
  let authorityKeyId: Buffer | undefined;
  const aki = info.extensions.get(OID_AUTHORITY_KEY_ID);
  if (aki) {
    try {
      authorityKeyId = readAuthorityKeyId(aki.value);
    } catch {
      // Only a hint for ordering and for telling a forgery from a name clash; not a failure.
    }
  }
  const unknownCritical = [...info.extensions.entries()]
    .filter(([oid, e]) => e.critical && !UNDERSTOOD.has(oid))
    .map(([oid]) => oid);
  const facts: CertFacts = {
    info,
    sha256: sha256Hex(der),
    tbsSignatureAlgorithm: tbsSignatureAlgorithmOf(info),
    basicConstraints,
    keyUsage,
    unknownCritical,
    malformed,
    selfIssued: info.issuerDer.equals(info.subjectDer),
    subjectKeyId: subjectKeyIdentifier(info),
  };
  if (authorityKeyId) facts.authorityKeyId = authorityKeyId;
  const hash = sigAlgByOid(info.signatureAlgorithm.oid)?.hash;
  if (hash) facts.signatureHash = hash;
  return facts;
}

export interface CertSignatureCheck {
  ok: boolean;
  /** Which check said so: node's X.509 code, or our check over the TBS bytes. */
  via: 'x509' | 'tbs';
  hash?: HashName;
  problem?: string;
}

/**
 * Whether `cert` is signed by `issuer`'s key. node's X509Certificate.verify is tried first; when it
 * says no or throws, the signature is checked over the TBS bytes with crypto.verify, because some
 * builds (Electron's BoringSSL, OpenSSL with a strict crypto policy) refuse SHA-1 certificate
 * signatures outright and every G1 path would break. Policy on SHA-1 is the caller's.
 */
export function verifyCertSignature(
  cert: CertFacts,
  issuer: CertFacts,
  opts: { method?: 'auto' | 'tbs' } = {},
): CertSignatureCheck {
  if (!cert.tbsSignatureAlgorithm.equals(cert.info.signatureAlgorithm.raw)) {
    return { ok: false, via: 'tbs', problem: 'signature algorithm differs between TBSCertificate and Certificate' };
  }
  const hash = cert.signatureHash;
  const withHash = (c: CertSignatureCheck): CertSignatureCheck => (hash ? { ...c, hash } : c);
  let key: KeyObject;
  try {
    key = publicKeyOf(issuer.info);
  } catch (e) {
    return withHash({ ok: false, via: 'tbs', problem: `issuer key unusable: ${e instanceof Error ? e.message : ''}` });
  }
  if (opts.method !== 'tbs') {
    try {
      if (new X509Certificate(cert.info.der).verify(key)) return withHash({ ok: true, via: 'x509' });
    } catch {
      // Fall through to the TBS check.
    }
  }
  const r = verifySignature({
    algorithm: cert.info.signatureAlgorithm,
    data: cert.info.tbsDer,
    signature: cert.info.signature,
    publicKey: key,
  });
  const out: CertSignatureCheck = { ok: r.ok, via: 'tbs' };
  if (r.hash ?? hash) out.hash = (r.hash ?? hash)!;
  if (r.problem) out.problem = r.problem;
  return out;
}

/** Subject CN for reports (UTF8String, PrintableString, BMPString…), else the whole Name in hex. */
export function subjectCommonName(info: CertInfo): string {
  try {
    for (const rdn of children(parse(info.subjectDer))) {
      for (const atv of children(rdn)) {
        const [type, value] = children(atv);
        if (!type || !value || content(type).toString('hex') !== '550403') continue;
        const bytes = content(value);
        if (value.tagByte === 0x1e && bytes.length % 2 === 0) return Buffer.from(bytes).swap16().toString('utf16le');
        return bytes.toString(value.tagByte === TAG.utf8String ? 'utf8' : 'latin1');
      }
    }
  } catch {
    // Fall through.
  }
  return info.subjectDer.toString('hex');
}
