/**
 * The parts of an X.509 certificate the CMS layer needs, as raw bytes: issuer and subject Names
 * must be copied into IssuerAndSerialNumber / ESSCertIDv2 exactly as the CA encoded them (a
 * re-encoded Name can differ in string types and then no longer matches).
 */
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  children,
  content,
  expect,
  isCtx,
  parse,
  raw,
  readBitStringBytes,
  readBoolean,
  readIntegerHex,
  readOctets,
  readOid,
  readTime,
  TAG,
} from './der.js';
import type { Node } from './der.js';
import { OID } from './oids.js';

export interface AlgId {
  oid: string;
  /** DER of the parameters element, when present. */
  params?: Buffer;
  raw: Buffer;
}

export interface CertExtension {
  critical: boolean;
  /** Contents of extnValue (the DER of the extension's own value). */
  value: Buffer;
}

export interface CertInfo {
  der: Buffer;
  tbsDer: Buffer;
  /** INTEGER contents exactly as encoded. */
  serial: Buffer;
  serialHex: string;
  issuerDer: Buffer;
  subjectDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  spkiDer: Buffer;
  /** subjectPublicKey BIT STRING contents, the input of key identifiers and OCSP issuerKeyHash. */
  publicKeyBits: Buffer;
  extensions: Map<string, CertExtension>;
  signatureAlgorithm: AlgId;
  signature: Buffer;
}

export function readAlgId(n: Node | undefined, what = 'AlgorithmIdentifier'): AlgId {
  const parts = children(expect(n, TAG.sequence, what));
  const algOid = readOid(parts[0], what);
  const p = parts[1];
  return p === undefined ? { oid: algOid, raw: raw(n!) } : { oid: algOid, params: raw(p), raw: raw(n!) };
}

/** Parses a DER certificate; throws DerError when it is not one. */
export function parseCertificate(der: Buffer): CertInfo {
  const top = parse(der);
  const [tbs, sigAlg, sigVal] = children(expect(top, TAG.sequence, 'Certificate'));
  const fields = children(expect(tbs, TAG.sequence, 'TBSCertificate'));
  let i = 0;
  if (isCtx(fields[0], 0)) i++;
  const serialNode = expect(fields[i++], TAG.integer, 'serialNumber');
  i++; // signature AlgorithmIdentifier, repeated in the outer structure
  const issuer = expect(fields[i++], TAG.sequence, 'issuer');
  const validity = children(expect(fields[i++], TAG.sequence, 'validity'));
  const subject = expect(fields[i++], TAG.sequence, 'subject');
  const spki = expect(fields[i++], TAG.sequence, 'subjectPublicKeyInfo');
  const spkiParts = children(spki);
  const extensions = new Map<string, CertExtension>();
  for (; i < fields.length; i++) {
    const f = fields[i]!;
    if (!isCtx(f, 3)) continue;
    for (const e of children(expect(children(f)[0], TAG.sequence, 'extensions'))) {
      const ep = children(expect(e, TAG.sequence, 'Extension'));
      const id = readOid(ep[0], 'extnID');
      const critical = ep.length === 3 ? readBoolean(ep[1], 'critical') : false;
      extensions.set(id, { critical, value: readOctets(ep[ep.length - 1], 'extnValue') });
    }
  }
  return {
    der,
    tbsDer: raw(tbs!),
    serial: content(serialNode),
    serialHex: readIntegerHex(serialNode),
    issuerDer: raw(issuer),
    subjectDer: raw(subject),
    notBefore: readTime(validity[0], 'notBefore'),
    notAfter: readTime(validity[1], 'notAfter'),
    spkiDer: raw(spki),
    publicKeyBits: readBitStringBytes(spkiParts[1], 'subjectPublicKey'),
    extensions,
    signatureAlgorithm: readAlgId(sigAlg, 'signatureAlgorithm'),
    signature: readBitStringBytes(sigVal, 'signatureValue'),
  };
}

export function publicKeyOf(cert: CertInfo): KeyObject {
  return createPublicKey({ key: cert.spkiDer, format: 'der', type: 'spki' });
}

/** RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits (also OCSP's byKey). */
export const keyHashSha1 = (cert: CertInfo): Buffer => createHash('sha1').update(cert.publicKeyBits).digest();

export function subjectKeyIdentifier(cert: CertInfo): Buffer {
  const ext = cert.extensions.get(OID.subjectKeyIdentifier);
  if (ext) {
    try {
      return readOctets(parse(ext.value), 'subjectKeyIdentifier');
    } catch {
      // A broken extension: fall back to the computed identifier.
    }
  }
  return keyHashSha1(cert);
}

export function extendedKeyUsage(cert: CertInfo): { purposes: string[]; critical: boolean } | null {
  const ext = cert.extensions.get(OID.extKeyUsage);
  if (!ext) return null;
  const purposes = children(expect(parse(ext.value), TAG.sequence, 'extKeyUsage')).map((n) => readOid(n));
  return { purposes, critical: ext.critical };
}

/** Whether `cert`'s signature verifies with `issuer`'s key and its issuer Name is the issuer's subject. */
export function isIssuedBy(cert: CertInfo, issuer: CertInfo): boolean {
  if (!cert.issuerDer.equals(issuer.subjectDer)) return false;
  try {
    return new X509Certificate(cert.der).verify(publicKeyOf(issuer));
  } catch {
    return false;
  }
}

/** Parses or returns null, for code that must report rather than throw. */
export function tryParseCertificate(der: Buffer): CertInfo | null {
  try {
    return parseCertificate(der);
  } catch {
    return null;
  }
}
