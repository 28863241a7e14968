/**
 * The CMS of a PAdES (ETSI.CAdES.detached) signature, built as DER by hand so the bytes the token
 * signs are exactly the bytes that end up in the SignerInfo (docs/cms.md):
 *
 *   ContentInfo { signedData, SignedData v1 { digestAlgorithms {hash}, encapContentInfo {id-data}
 *     (detached), certificates [0] (signer + chain, DER-sorted), signerInfos { SignerInfo v1 {
 *     issuerAndSerialNumber, hash, signedAttrs [0] { content-type, message-digest,
 *     signing-certificate-v2 }, signatureAlgorithm, signature, unsignedAttrs [1] { timestamp }? } } } }
 *
 * No signing-time: PAdES puts the claimed time in the signature dictionary's /M instead.
 */
import { createHash } from 'node:crypto';
import { KysoError } from '../../src-shared/errors.js';
import { ctx, integer, nul, octets, oid, parse, retag, seq, setOf, tlv, TAG } from './der.js';
import { ECDSA_OID, HASH_LENGTH, HASH_OID, nodeHash, OID } from './oids.js';
import type { SigningHash, SigScheme } from './oids.js';
import { verifySignature } from './sig-verify.js';
import { requestTimestamp } from './tsa-client.js';
import type { TimestampRequestOptions } from './tsa-client.js';
import { parseCertificate, publicKeyOf, readAlgId } from './x509.js';
import type { CertInfo } from './x509.js';

export type CmsHash = SigningHash;
export type CmsScheme = SigScheme;

function invalid(detail: string): KysoError {
  return new KysoError('CMS_INPUT_INVALID', 'cms.inputInvalid', { detail });
}

function certOf(der: Buffer, what: string): CertInfo {
  try {
    return parseCertificate(der);
  } catch (e) {
    throw invalid(`${what}: ${e instanceof Error ? e.message : 'not a certificate'}`);
  }
}

const attribute = (type: string, value: Buffer): Buffer => seq(oid(type), setOf([value]));

// RFC 5754: SHA-2 AlgorithmIdentifiers are generated with absent parameters.
const digestAlgId = (hash: CmsHash): Buffer => seq(oid(HASH_OID[hash]));
// RFC 4055 2.1 writes the hash identifiers inside RSASSA-PSS-params with NULL parameters.
const pssHashAlgId = (hash: CmsHash): Buffer => seq(oid(HASH_OID[hash]), nul());

/**
 * Signature algorithm identifiers. For PKCS#1 v1.5 we write rsaEncryption, not
 * sha256WithRSAEncryption: RFC 5652 allows both, rsaEncryption is what Adobe and most signers
 * write, and every verifier accepts it (the hash comes from digestAlgorithm).
 */
export function signatureAlgorithmId(scheme: CmsScheme, hash: CmsHash): Buffer {
  switch (scheme) {
    case 'RSA-PKCS1':
      return seq(oid(OID.rsaEncryption), nul());
    case 'RSA-PSS':
      // Salt length = hash length, as the token layer's PSS mechanisms use (mechanisms.ts).
      return seq(
        oid(OID.rsaPss),
        seq(
          ctx(0, pssHashAlgId(hash)),
          ctx(1, seq(oid(OID.mgf1), pssHashAlgId(hash))),
          ctx(2, integer(HASH_LENGTH[hash])),
        ),
      );
    case 'ECDSA':
      return seq(oid(ECDSA_OID[hash]));
  }
}

export interface SignedAttributesInput {
  messageDigest: Buffer;
  hash: CmsHash;
  signerCertDer: Buffer;
}

/** The DER SET OF signed attributes (tag 0x31): exactly the bytes to sign. */
export function buildSignedAttributes(o: SignedAttributesInput): { der: Buffer } {
  if (o.messageDigest.length !== HASH_LENGTH[o.hash]) {
    throw invalid(`message digest has ${o.messageDigest.length} bytes, ${o.hash} has ${HASH_LENGTH[o.hash]}`);
  }
  const cert = certOf(o.signerCertDer, 'signer certificate');
  const certHash = createHash(nodeHash(o.hash)).update(cert.der).digest();
  const essCertIdV2 = seq(
    // hashAlgorithm DEFAULT sha256: DER omits a default value.
    ...(o.hash === 'SHA-256' ? [] : [digestAlgId(o.hash)]),
    octets(certHash),
    // IssuerSerial { GeneralNames { directoryName [4] issuer }, serial } with the CA's own bytes.
    seq(seq(ctx(4, cert.issuerDer)), tlv(TAG.integer, cert.serial)),
  );
  const der = setOf([
    attribute(OID.contentType, oid(OID.data)),
    attribute(OID.messageDigest, octets(o.messageDigest)),
    attribute(OID.signingCertificateV2, seq(seq(essCertIdV2))),
  ]);
  return { der };
}

export interface AssembleInput {
  signedAttrsDer: Buffer;
  signatureValue: Buffer;
  scheme: CmsScheme;
  hash: CmsHash;
  signerCertDer: Buffer;
  chainDers: readonly Buffer[];
  unsignedAttributes?: { timestampToken?: Buffer };
}

function checkKeyMatchesScheme(cert: CertInfo, scheme: CmsScheme): void {
  const type = publicKeyOf(cert).asymmetricKeyType;
  const ok = scheme === 'ECDSA' ? type === 'ec' : type === 'rsa' || type === 'rsa-pss';
  if (!ok) throw invalid(`${scheme} signature with a ${type ?? 'unknown'} key`);
}

/** ContentInfo(SignedData), detached, DER. */
export function assembleSignedData(o: AssembleInput): Buffer {
  if (o.signedAttrsDer[0] !== TAG.set) throw invalid('signed attributes must be a DER SET');
  if (o.signatureValue.length === 0) throw invalid('empty signature value');
  const signer = certOf(o.signerCertDer, 'signer certificate');
  checkKeyMatchesScheme(signer, o.scheme);
  const certs: Buffer[] = [];
  for (const [k, der] of [o.signerCertDer, ...o.chainDers].entries()) {
    certOf(der, k === 0 ? 'signer certificate' : `chain certificate ${k}`);
    if (!certs.some((c) => c.equals(der))) certs.push(der);
  }
  const unsigned: Buffer[] = [];
  if (o.unsignedAttributes?.timestampToken) {
    let token: Buffer;
    try {
      token = Buffer.from(o.unsignedAttributes.timestampToken);
      parse(token);
    } catch {
      throw invalid('timestamp token is not DER');
    }
    unsigned.push(attribute(OID.signatureTimeStampToken, token));
  }
  const signerInfo = seq(
    integer(1),
    seq(signer.issuerDer, tlv(TAG.integer, signer.serial)),
    digestAlgId(o.hash),
    // [0] IMPLICIT SET OF Attribute: the signed bytes with only the tag changed.
    retag(o.signedAttrsDer, 0xa0),
    signatureAlgorithmId(o.scheme, o.hash),
    octets(o.signatureValue),
    ...(unsigned.length > 0 ? [ctx(1, Buffer.concat(unsigned.sort(Buffer.compare)))] : []),
  );
  const signedData = seq(
    integer(1),
    setOf([digestAlgId(o.hash)]),
    seq(oid(OID.data)),
    // [0] IMPLICIT SET OF: sorted like any DER SET OF (openssl does the same).
    ctx(0, Buffer.concat([...certs].sort(Buffer.compare))),
    setOf([signerInfo]),
  );
  return seq(oid(OID.signedData), ctx(0, signedData));
}

export interface SignerCallbackResult {
  signature: Buffer;
  scheme: CmsScheme;
  /** When the signer reports the hash it used, it must be ours. */
  hash?: CmsHash;
}

export interface SignCadesInput {
  /** The signed content (e.g. the PDF byte ranges, streamed), or its digest with `hash`. */
  content?: Buffer | AsyncIterable<Buffer> | Iterable<Buffer>;
  messageDigest?: Buffer;
  hash: CmsHash;
  signerCertDer: Buffer;
  chainDers: readonly Buffer[];
  /** Signs the DER of the signed attributes (a token session, or node:crypto in tests). */
  sign: (tbs: Buffer) => Promise<SignerCallbackResult>;
  /** B-T: stamp the signature value. The imprint hash defaults to `hash`. */
  tsa?: Omit<TimestampRequestOptions, 'data' | 'digest'>;
}

export async function digestContent(
  hash: CmsHash,
  content: Buffer | AsyncIterable<Buffer> | Iterable<Buffer>,
): Promise<Buffer> {
  const h = createHash(nodeHash(hash));
  if (Buffer.isBuffer(content)) h.update(content);
  else for await (const chunk of content) h.update(chunk);
  return h.digest();
}

/**
 * Builds the signed attributes, has them signed, checks the signature against the certificate
 * (a token whose key and certificate do not belong together is caught here, not by the
 * recipient), optionally timestamps it, and assembles the CMS.
 */
export async function signCades(o: SignCadesInput): Promise<Buffer> {
  let messageDigest: Buffer;
  if (o.messageDigest !== undefined) messageDigest = o.messageDigest;
  else if (o.content !== undefined) messageDigest = await digestContent(o.hash, o.content);
  else throw invalid('content or messageDigest required');
  const attrs = buildSignedAttributes({ messageDigest, hash: o.hash, signerCertDer: o.signerCertDer });
  const signed = await o.sign(attrs.der);
  if (signed.hash !== undefined && signed.hash !== o.hash) throw invalid(`signer used ${signed.hash}, not ${o.hash}`);
  const signer = certOf(o.signerCertDer, 'signer certificate');
  checkKeyMatchesScheme(signer, signed.scheme);
  const check = verifySignature({
    algorithm: readAlgId(parse(signatureAlgorithmId(signed.scheme, o.hash))),
    digestHash: o.hash,
    data: attrs.der,
    signature: signed.signature,
    publicKey: publicKeyOf(signer),
  });
  if (!check.ok) throw new KysoError('CMS_SIGNATURE_MISMATCH', 'cms.signatureMismatch');
  let timestampToken: Buffer | undefined;
  if (o.tsa) {
    const stamp = await requestTimestamp({ hash: o.hash, ...o.tsa, data: signed.signature });
    timestampToken = stamp.token;
  }
  return assembleSignedData({
    signedAttrsDer: attrs.der,
    signatureValue: signed.signature,
    scheme: signed.scheme,
    hash: o.hash,
    signerCertDer: o.signerCertDer,
    chainDers: o.chainDers,
    ...(timestampToken ? { unsignedAttributes: { timestampToken } } : {}),
  });
}

/**
 * Size of a timestamp token to plan for when the TSA's is not known yet. Tokens from the test
 * TSA (RSA-2048, TSA + issuing certificate) are about 3 KiB; real TSAs sending a longer chain or
 * RSA-4096 certificates reach 5–6 KiB. See docs/cms.md.
 */
export const DEFAULT_TIMESTAMP_TOKEN_BYTES = 8192;

export interface CmsSizeEstimate {
  /** The B-B CMS: exact for RSA, an upper bound for ECDSA (its DER signature length varies). */
  cmsBytes: number;
  /** What the timestamp attribute adds, framing included; 0 without a timestamp. */
  timestampBytes: number;
  /** cmsBytes + timestampBytes: bytes to reserve in /Contents (twice as many hex digits). */
  totalBytes: number;
}

/** Largest DER ECDSA-Sig-Value for a curve of `bits` bits. */
export function maxEcdsaDerLength(bits: number): number {
  const n = Math.ceil(bits / 8);
  const intLen = n + (bits % 8 === 0 ? 1 : 0);
  const intTotal = 1 + (intLen < 128 ? 1 : 2) + intLen;
  const body = 2 * intTotal;
  return 1 + (body < 128 ? 1 : 2) + body;
}

const CURVE_BITS: Record<string, number> = {
  prime256v1: 256,
  secp256k1: 256,
  secp384r1: 384,
  secp521r1: 521,
  brainpoolP256r1: 256,
  brainpoolP384r1: 384,
  brainpoolP512r1: 512,
};

function dummySignatureLength(cert: CertInfo): { scheme: CmsScheme; length: number } {
  const key = publicKeyOf(cert);
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec') {
    const bits = CURVE_BITS[details?.namedCurve ?? ''] ?? 521;
    return { scheme: 'ECDSA', length: maxEcdsaDerLength(bits) };
  }
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    return { scheme: 'RSA-PKCS1', length: Math.ceil((details?.modulusLength ?? 4096) / 8) };
  }
  throw invalid(`unsupported key type ${key.asymmetricKeyType ?? 'unknown'}`);
}

/** A DER element of exactly `total` bytes, standing in for a timestamp token of that size. */
function filler(total: number): Buffer {
  for (let header = 2; header <= 6; header++) {
    const t = tlv(TAG.sequence, Buffer.alloc(Math.max(0, total - header)));
    if (t.length === total) return t;
  }
  // Some sizes cannot be hit exactly (130: 127+2 or 128+3); one byte more is still an upper bound.
  return tlv(TAG.sequence, Buffer.alloc(Math.max(0, total - 2)));
}

/**
 * Dry run: the CMS built with a dummy signature of the largest size this key can produce.
 * `timestamp: true` plans for DEFAULT_TIMESTAMP_TOKEN_BYTES; pass `{ tokenBytes }` with the size
 * of this TSA's last token (plus some slack: its certificates can be renewed) to be tighter.
 */
export function estimateCmsSize(o: {
  hash: CmsHash;
  scheme?: CmsScheme;
  signerCertDer: Buffer;
  chainDers: readonly Buffer[];
  timestamp?: boolean | { tokenBytes: number };
}): CmsSizeEstimate {
  const cert = certOf(o.signerCertDer, 'signer certificate');
  const dummy = dummySignatureLength(cert);
  const scheme = o.scheme ?? dummy.scheme;
  const attrs = buildSignedAttributes({
    messageDigest: Buffer.alloc(HASH_LENGTH[o.hash]),
    hash: o.hash,
    signerCertDer: o.signerCertDer,
  });
  const base = {
    signedAttrsDer: attrs.der,
    signatureValue: Buffer.alloc(dummy.length, 0xff),
    scheme,
    hash: o.hash,
    signerCertDer: o.signerCertDer,
    chainDers: o.chainDers,
  };
  const cmsBytes = assembleSignedData(base).length;
  if (!o.timestamp) return { cmsBytes, timestampBytes: 0, totalBytes: cmsBytes };
  const tokenBytes = o.timestamp === true ? DEFAULT_TIMESTAMP_TOKEN_BYTES : o.timestamp.tokenBytes;
  const withToken = assembleSignedData({ ...base, unsignedAttributes: { timestampToken: filler(tokenBytes) } }).length;
  return { cmsBytes, timestampBytes: withToken - cmsBytes, totalBytes: withToken };
}
