/**
 * Reading a CMS SignedData (RFC 5652) into raw parts, for the verifier, the timestamp-token check
 * and the B-B → B-T upgrade. Everything keeps its original bytes: the signed attributes are
 * verified as encoded (re-tagged to SET), certificates are handed on untouched.
 */
import { createHash } from 'node:crypto';
import {
  children,
  content,
  DerError,
  expect,
  intHex,
  isCtx,
  parse,
  raw,
  readOctets,
  readOid,
  readSmallInt,
  TAG,
  tlv,
  toDefinite,
} from './der.js';
import type { Node } from './der.js';
import { hashByOid, nodeHash, OID } from './oids.js';
import type { HashName } from './oids.js';
import { verifySignature } from './sig-verify.js';
import type { SigCheck } from './sig-verify.js';
import { publicKeyOf, readAlgId, subjectKeyIdentifier, tryParseCertificate } from './x509.js';
import type { AlgId, CertInfo } from './x509.js';

export interface Attribute {
  oid: string;
  values: Node[];
  raw: Buffer;
}

export type SignerId = { kind: 'issuerSerial'; issuerDer: Buffer; serial: Buffer } | { kind: 'ski'; keyId: Buffer };

export interface SignedAttrs {
  /** The bytes the signature covers: the attributes as a DER SET (tag 0x31). */
  der: Buffer;
  attributes: Attribute[];
  /** Sorted as DER SET OF and definite-length; a signer that got this wrong signed other bytes than a DER re-encoding. */
  derCanonical: boolean;
}

export interface SignerInfo {
  node: Node;
  version: number;
  sid: SignerId;
  digestAlgorithm: AlgId;
  signedAttrs?: SignedAttrs;
  signatureAlgorithm: AlgId;
  signature: Buffer;
  unsignedAttrs: Attribute[];
}

export interface SignedData {
  /** The outer ContentInfo and the SignedData SEQUENCE inside it. */
  contentInfo: Node;
  signedData: Node;
  version: number;
  digestAlgorithms: AlgId[];
  eContentType: string;
  /** Present only for encapsulated (non-detached) content, e.g. a timestamp token's TSTInfo. */
  eContent?: Buffer;
  certificates: Buffer[];
  crls: Buffer[];
  signerInfos: SignerInfo[];
  signerInfosNode: Node;
}

function readAttributes(n: Node): Attribute[] {
  return children(n).map((a) => {
    const parts = children(expect(a, TAG.sequence, 'Attribute'));
    return {
      oid: readOid(parts[0], 'attrType'),
      values: children(expect(parts[1], TAG.set, 'attrValues')),
      raw: raw(a),
    };
  });
}

function readSignerInfo(n: Node): SignerInfo {
  const f = children(expect(n, TAG.sequence, 'SignerInfo'));
  let i = 0;
  const version = readSmallInt(f[i++], 'SignerInfo.version');
  const sidNode = f[i++];
  let sid: SignerId;
  if (sidNode?.tagByte === TAG.sequence) {
    const [issuer, serial] = children(sidNode);
    sid = {
      kind: 'issuerSerial',
      issuerDer: raw(expect(issuer, TAG.sequence, 'sid.issuer')),
      serial: content(expect(serial, TAG.integer, 'sid.serialNumber')),
    };
  } else if (isCtx(sidNode, 0) && sidNode && !sidNode.constructed) {
    sid = { kind: 'ski', keyId: content(sidNode) };
  } else {
    throw new DerError('SignerInfo.sid: unknown form');
  }
  const digestAlgorithm = readAlgId(f[i++], 'digestAlgorithm');
  let signedAttrs: SignedAttrs | undefined;
  const maybeSigned = f[i];
  if (isCtx(maybeSigned, 0) && maybeSigned?.constructed) {
    i++;
    const attributes = readAttributes(maybeSigned);
    const encodings = children(maybeSigned).map(raw);
    const sorted = encodings.every((e, k) => k === 0 || Buffer.compare(encodings[k - 1]!, e) <= 0);
    const definite = toDefinite(maybeSigned);
    const der = Buffer.from(definite);
    der[0] = TAG.set;
    signedAttrs = { der, attributes, derCanonical: sorted && definite.equals(raw(maybeSigned)) };
  }
  const signatureAlgorithm = readAlgId(f[i++], 'signatureAlgorithm');
  const signature = readOctets(f[i++], 'signature');
  let unsignedAttrs: Attribute[] = [];
  const maybeUnsigned = f[i];
  if (isCtx(maybeUnsigned, 1) && maybeUnsigned?.constructed) unsignedAttrs = readAttributes(maybeUnsigned);
  const base = { node: n, version, sid, digestAlgorithm, signatureAlgorithm, signature, unsignedAttrs };
  return signedAttrs ? { ...base, signedAttrs } : base;
}

/** Parses a ContentInfo holding SignedData; throws DerError on anything else. */
export function parseSignedData(der: Buffer): SignedData {
  const contentInfo = parse(der);
  const ci = children(expect(contentInfo, TAG.sequence, 'ContentInfo'));
  if (readOid(ci[0], 'contentType') !== OID.signedData) throw new DerError('ContentInfo: not SignedData');
  const wrapper = ci[1];
  if (!isCtx(wrapper, 0) || !wrapper?.constructed) throw new DerError('ContentInfo: content missing');
  const signedData = expect(children(wrapper)[0], TAG.sequence, 'SignedData');
  const f = children(signedData);
  let i = 0;
  const version = readSmallInt(f[i++], 'SignedData.version');
  const digestAlgorithms = children(expect(f[i++], TAG.set, 'digestAlgorithms')).map((n) => readAlgId(n));
  const eci = children(expect(f[i++], TAG.sequence, 'encapContentInfo'));
  const eContentType = readOid(eci[0], 'eContentType');
  let eContent: Buffer | undefined;
  if (eci[1] !== undefined) {
    if (!isCtx(eci[1], 0)) throw new DerError('encapContentInfo: bad eContent');
    eContent = readOctets(children(eci[1])[0], 'eContent');
  }
  const certificates: Buffer[] = [];
  const crls: Buffer[] = [];
  if (isCtx(f[i], 0) && f[i]!.constructed) {
    // Only plain certificates (SEQUENCE); attribute and other certificate choices are skipped.
    for (const c of children(f[i]!)) if (c.tagByte === TAG.sequence) certificates.push(toDefinite(c));
    i++;
  }
  if (isCtx(f[i], 1) && f[i]!.constructed) {
    for (const c of children(f[i]!)) if (c.tagByte === TAG.sequence) crls.push(toDefinite(c));
    i++;
  }
  const signerInfosNode = expect(f[i], TAG.set, 'signerInfos');
  const signerInfos = children(signerInfosNode).map(readSignerInfo);
  const out = {
    contentInfo,
    signedData,
    version,
    digestAlgorithms,
    eContentType,
    certificates,
    crls,
    signerInfos,
    signerInfosNode,
  };
  return eContent === undefined ? out : { ...out, eContent };
}

export function attributesOf(list: readonly Attribute[], oid: string): Attribute[] {
  return list.filter((a) => a.oid === oid);
}

/** The certificate a SignerInfo names, among `candidates` (DER). */
export function findSignerCertificate(sid: SignerId, candidates: readonly Buffer[]): CertInfo | null {
  for (const der of candidates) {
    const c = tryParseCertificate(der);
    if (!c) continue;
    if (sid.kind === 'issuerSerial') {
      if (c.issuerDer.equals(sid.issuerDer) && intHex(c.serial) === intHex(sid.serial)) return c;
    } else if (subjectKeyIdentifier(c).equals(sid.keyId)) {
      return c;
    }
  }
  return null;
}

export interface EssCheck {
  /** 'v2' signing-certificate-v2, 'v1' the SHA-1 signing-certificate, null when neither is there. */
  version: 'v2' | 'v1' | null;
  ok: boolean;
  problem?: string;
}

/**
 * ESS signing-certificate(-v2): the first ESSCertID must be the signer's certificate — its hash
 * and, when given, issuer and serial. This binds the signature to the certificate (a substituted
 * certificate with the same key is detected).
 */
export function checkSigningCertificate(signed: readonly Attribute[], cert: CertInfo): EssCheck {
  const v2 = attributesOf(signed, OID.signingCertificateV2);
  const v1 = attributesOf(signed, OID.signingCertificate);
  const version = v2.length > 0 ? 'v2' : v1.length > 0 ? 'v1' : null;
  if (version === null) return { version, ok: false, problem: 'signing-certificate attribute missing' };
  const attrs = version === 'v2' ? v2 : v1;
  if (attrs.length !== 1 || attrs[0]!.values.length !== 1) {
    return { version, ok: false, problem: 'signing-certificate attribute must occur once with one value' };
  }
  try {
    const certs = children(
      expect(children(expect(attrs[0]!.values[0], TAG.sequence, 'SigningCertificate'))[0], TAG.sequence, 'certs'),
    );
    const first = children(expect(certs[0], TAG.sequence, 'ESSCertID'));
    let i = 0;
    let hash: HashName = version === 'v2' ? 'SHA-256' : 'SHA-1';
    if (version === 'v2' && first[0]?.tagByte === TAG.sequence) {
      const h = hashByOid(readAlgId(first[i++]).oid);
      if (!h) return { version, ok: false, problem: 'unknown ESSCertIDv2 hash algorithm' };
      hash = h;
    }
    const certHash = readOctets(first[i++], 'certHash');
    if (!certHash.equals(createHash(nodeHash(hash)).update(cert.der).digest())) {
      return { version, ok: false, problem: 'certificate hash does not match the signer certificate' };
    }
    const issuerSerial = first[i];
    if (issuerSerial) {
      const [names, serial] = children(expect(issuerSerial, TAG.sequence, 'IssuerSerial'));
      const dirNames = children(expect(names, TAG.sequence, 'GeneralNames'))
        .filter((g) => isCtx(g, 4) && g.constructed)
        .map((g) => raw(children(g)[0]!));
      if (!dirNames.some((d) => d.equals(cert.issuerDer))) {
        return { version, ok: false, problem: 'issuer in signing-certificate does not match' };
      }
      if (intHex(content(expect(serial, TAG.integer, 'serialNumber'))) !== cert.serialHex) {
        return { version, ok: false, problem: 'serial in signing-certificate does not match' };
      }
    }
    return { version, ok: true };
  } catch (e) {
    return { version, ok: false, problem: e instanceof Error ? e.message : 'malformed signing-certificate' };
  }
}

/** Builds the ContentInfo again around changed SignerInfos; all other SignedData parts keep their bytes. */
export function replaceSignerInfos(sd: SignedData, signerInfosDer: Buffer): Buffer {
  const parts = children(sd.signedData).map((n) =>
    n.start === sd.signerInfosNode.start ? signerInfosDer : toDefinite(n),
  );
  const signedData = tlv(TAG.sequence, Buffer.concat(parts));
  const ci = children(sd.contentInfo);
  return tlv(TAG.sequence, Buffer.concat([raw(ci[0]!), tlv(0xa0, signedData)]));
}

export interface SignerCheck {
  signatureValid: boolean;
  /** null when no content digest was given to compare with. */
  digestMatches: boolean | null;
  contentTypeOk: boolean;
  digestHash?: HashName;
  sig: SigCheck;
  errors: string[];
}

/**
 * The cryptographic part of one SignerInfo: content-type and message-digest attributes, and the
 * signature over the signed attributes (as a SET) with the signer's key. `contentDigest` must be
 * computed with the SignerInfo's digestAlgorithm.
 */
export function checkSignerInfo(
  si: SignerInfo,
  cert: CertInfo | null,
  opts: { contentDigest: Buffer | null; eContentType: string },
): SignerCheck {
  const errors: string[] = [];
  const digestHash = hashByOid(si.digestAlgorithm.oid);
  if (!digestHash) errors.push(`digest-unknown: ${si.digestAlgorithm.oid}`);
  if (!si.signedAttrs) {
    errors.push('signed-attributes-missing');
    return {
      signatureValid: false,
      digestMatches: false,
      contentTypeOk: false,
      sig: { ok: false, problem: 'no signed attributes' },
      errors,
    };
  }
  const attrs = si.signedAttrs.attributes;

  const ct = attributesOf(attrs, OID.contentType);
  let contentTypeOk = false;
  if (ct.length !== 1 || ct[0]!.values.length !== 1) {
    errors.push(ct.length === 0 ? 'content-type-missing' : 'content-type-repeated');
  } else {
    try {
      contentTypeOk = readOid(ct[0]!.values[0]) === opts.eContentType;
    } catch {
      contentTypeOk = false;
    }
    if (!contentTypeOk) errors.push('content-type-mismatch');
  }

  const md = attributesOf(attrs, OID.messageDigest);
  let digestMatches: boolean | null = false;
  if (md.length !== 1 || md[0]!.values.length !== 1) {
    errors.push(md.length === 0 ? 'message-digest-missing' : 'message-digest-repeated');
  } else if (opts.contentDigest === null) {
    digestMatches = null;
  } else {
    let value: Buffer | null = null;
    try {
      value = readOctets(md[0]!.values[0], 'messageDigest');
    } catch {
      errors.push('message-digest-malformed');
    }
    digestMatches = value !== null && value.equals(opts.contentDigest);
    if (value !== null && !digestMatches) errors.push('digest-mismatch');
  }

  let sig: SigCheck;
  if (cert === null) {
    return {
      signatureValid: false,
      digestMatches,
      contentTypeOk,
      sig: { ok: false, problem: 'no signer certificate' },
      errors,
      ...(digestHash ? { digestHash } : {}),
    };
  }
  try {
    sig = verifySignature({
      algorithm: si.signatureAlgorithm,
      ...(digestHash ? { digestHash } : {}),
      data: si.signedAttrs.der,
      signature: si.signature,
      publicKey: publicKeyOf(cert),
    });
  } catch (e) {
    sig = { ok: false, problem: e instanceof Error ? e.message : 'unusable public key' };
  }
  if (!sig.ok) errors.push(sig.problem ? `signature-invalid: ${sig.problem}` : 'signature-invalid');
  const out: SignerCheck = { signatureValid: sig.ok, digestMatches, contentTypeOk, sig, errors };
  if (digestHash) out.digestHash = digestHash;
  return out;
}
