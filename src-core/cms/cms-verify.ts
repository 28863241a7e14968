/**
 * Checks the CMS of one PDF signature (validator checklist items 5 and 7): message digest
 * against the signed bytes, content-type present once and id-data, the signature over the
 * signed attributes re-tagged as a SET, signing-certificate-v2 naming the signer, algorithm
 * policy, and the signature timestamp if there is one.
 *
 * It never throws: whatever the input, the answer is a CmsCheck whose `errors` say what is wrong
 * (a malformed CMS must end as TOTAL-FAILED, never as "unknown but shown as signed").
 * Certificate paths, validity and revocation are the caller's next step (item 6).
 *
 * Error strings start with a stable code, optionally followed by ": detail" — see docs/cms.md.
 */
import { createHash } from 'node:crypto';
import { hashByOid, nodeHash, oidName, OID, sigAlgByOid, WEAK_HASHES } from './oids.js';
import type { HashName } from './oids.js';
import { parsePssParams } from './sig-verify.js';
import {
  attributesOf,
  checkSignerInfo,
  checkSigningCertificate,
  findSignerCertificate,
  parseSignedData,
} from './signed-data.js';
import type { SignedData } from './signed-data.js';
import { verifyTimestampToken } from './timestamp-token.js';

export interface CmsTimestampCheck {
  token: Buffer;
  genTime: Date | null;
  /** The token stamps this signature value. */
  imprintOk: boolean;
  /** The token's own CMS signature, digest and ESS signing certificate. */
  signatureValid: boolean;
  /** Critical EKU timeStamping on the TSA certificate. */
  ekuOk: boolean;
  tsaCertDer: Buffer | null;
  certificatesDer: Buffer[];
  errors: string[];
}

export interface CmsCheck {
  signatureValid: boolean;
  digestMatches: boolean;
  contentTypeOk: boolean;
  signingCertV2Ok: boolean;
  signerCertDer: Buffer | null;
  certificatesDer: Buffer[];
  /** 'SHA-256' etc., or the OID when unknown; '' when unreadable. */
  digestAlgorithm: string;
  /** e.g. 'RSA-PKCS1 SHA-256', 'RSA-PSS SHA-256', 'ECDSA SHA-384', or the OID when unknown. */
  signatureAlgorithm: string;
  signatureAlgorithmOid: string;
  /** Weak algorithms used (MD5, SHA-1); the signature may still verify. */
  algorithmProblems: string[];
  signedAttrsDer: Buffer | null;
  signatureValue: Buffer | null;
  timestamp?: CmsTimestampCheck;
  errors: string[];
  /** Not fatal for the CMS itself, but worth reporting (e.g. signing-time in a PAdES signature). */
  warnings: string[];
}

export interface VerifyCmsInput {
  cmsDer: Buffer;
  /** Digest of the signed bytes, computed with the CMS's digestAlgorithm (see cmsDigestAlgorithm). */
  signedContentDigest?: Buffer;
  /** Or the signed bytes themselves (e.g. the PDF byte ranges, streamed). */
  contentChunks?: AsyncIterable<Buffer> | Iterable<Buffer> | Buffer;
  /** Certificates from elsewhere (DSS) for when the CMS lacks the signer's. */
  extraCertificates?: readonly Buffer[];
}

/** The digest algorithm of the (single) signer, so a caller can hash the content once up front. */
export function cmsDigestAlgorithm(cmsDer: Buffer): HashName | null {
  try {
    const si = parseSignedData(cmsDer).signerInfos[0];
    return si ? (hashByOid(si.digestAlgorithm.oid) ?? null) : null;
  } catch {
    return null;
  }
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

async function digestOf(hash: HashName, chunks: AsyncIterable<Buffer> | Iterable<Buffer> | Buffer): Promise<Buffer> {
  const h = createHash(nodeHash(hash));
  if (Buffer.isBuffer(chunks)) h.update(chunks);
  else for await (const c of chunks) h.update(c);
  return h.digest();
}

export async function verifyDetachedCms(input: VerifyCmsInput): Promise<CmsCheck> {
  const out: CmsCheck = {
    signatureValid: false,
    digestMatches: false,
    contentTypeOk: false,
    signingCertV2Ok: false,
    signerCertDer: null,
    certificatesDer: [],
    digestAlgorithm: '',
    signatureAlgorithm: '',
    signatureAlgorithmOid: '',
    algorithmProblems: [],
    signedAttrsDer: null,
    signatureValue: null,
    errors: [],
    warnings: [],
  };
  try {
    await check(input, out);
  } catch (e) {
    // Belt and braces: check() reports problems itself; anything escaping is still a failure, not a throw.
    out.signatureValid = false;
    out.errors.push(`internal: ${message(e)}`);
  }
  return out;
}

async function check(input: VerifyCmsInput, out: CmsCheck): Promise<void> {
  let sd: SignedData;
  try {
    if (!Buffer.isBuffer(input.cmsDer) || input.cmsDer.length === 0) throw new Error('empty');
    sd = parseSignedData(input.cmsDer);
  } catch (e) {
    out.errors.push(`cms-malformed: ${message(e)}`);
    return;
  }
  out.certificatesDer = sd.certificates;
  if (sd.signerInfos.length !== 1) out.errors.push(`signer-count: ${sd.signerInfos.length}`);
  const si = sd.signerInfos[0];
  if (!si) return;
  if (sd.eContent !== undefined) out.errors.push('not-detached');
  if (sd.eContentType !== OID.data) out.errors.push(`econtent-type: ${sd.eContentType}`);
  out.signatureValue = si.signature;
  out.signedAttrsDer = si.signedAttrs?.der ?? null;

  const digestHash = hashByOid(si.digestAlgorithm.oid);
  out.digestAlgorithm = digestHash ?? si.digestAlgorithm.oid;
  if (digestHash && WEAK_HASHES.has(digestHash)) out.algorithmProblems.push(`digest ${digestHash}`);
  describeSignatureAlgorithm(si.signatureAlgorithm.oid, si.signatureAlgorithm.params, digestHash, out);

  let contentDigest: Buffer | null = null;
  if (input.signedContentDigest !== undefined) {
    contentDigest = input.signedContentDigest;
  } else if (input.contentChunks !== undefined) {
    if (digestHash) {
      try {
        contentDigest = await digestOf(digestHash, input.contentChunks);
      } catch (e) {
        out.errors.push(`content-unreadable: ${message(e)}`);
      }
    }
  } else {
    out.errors.push('content-missing');
  }

  const cert = findSignerCertificate(si.sid, [...sd.certificates, ...(input.extraCertificates ?? [])]);
  if (!cert) out.errors.push('signer-certificate-missing');
  else out.signerCertDer = cert.der;

  const sc = checkSignerInfo(si, cert, { contentDigest, eContentType: OID.data });
  out.errors.push(...sc.errors);
  out.signatureValid = sc.signatureValid;
  out.digestMatches = sc.digestMatches === true;
  out.contentTypeOk = sc.contentTypeOk;

  const signed = si.signedAttrs?.attributes ?? [];
  if (si.signedAttrs) {
    if (cert) {
      const ess = checkSigningCertificate(signed, cert);
      out.signingCertV2Ok = ess.version === 'v2' && ess.ok;
      if (ess.version === 'v1')
        out.errors.push('signing-certificate-v2-missing: only the SHA-1 signing-certificate is present');
      else if (!ess.ok) out.errors.push(`signing-certificate: ${ess.problem ?? 'invalid'}`);
    }
    if (attributesOf(signed, OID.signingTime).length > 0) out.warnings.push('signing-time-present');
    if (!si.signedAttrs.derCanonical) out.warnings.push('signed-attributes-not-der');
  }

  const stamps = attributesOf(si.unsignedAttrs, OID.signatureTimeStampToken).flatMap((a) => a.values);
  if (stamps.length > 1) out.warnings.push(`timestamps: ${stamps.length}, the first is checked`);
  const first = stamps[0];
  if (first) {
    const token = Buffer.from(first.buf.subarray(first.start, first.end));
    const t = verifyTimestampToken(token, { expected: { data: si.signature } });
    out.timestamp = {
      token,
      genTime: t.genTime ?? null,
      imprintOk: t.imprintOk === true,
      signatureValid: t.signatureValid && t.essOk,
      ekuOk: t.ekuOk,
      tsaCertDer: t.tsaCertDer ?? null,
      certificatesDer: t.certificatesDer,
      errors: t.errors,
    };
    if (t.tst?.imprintHash && WEAK_HASHES.has(t.tst.imprintHash)) {
      out.algorithmProblems.push(`timestamp imprint ${t.tst.imprintHash}`);
    }
  }
}

function describeSignatureAlgorithm(
  algOid: string,
  params: Buffer | undefined,
  digestHash: HashName | undefined,
  out: CmsCheck,
): void {
  out.signatureAlgorithmOid = algOid;
  const info = sigAlgByOid(algOid);
  if (!info) {
    out.signatureAlgorithm = oidName(algOid);
    return;
  }
  let hash = info.hash ?? digestHash;
  if (info.scheme === 'RSA-PSS') {
    try {
      hash = parsePssParams(params).hash;
    } catch {
      hash = undefined;
    }
  }
  out.signatureAlgorithm = hash ? `${info.scheme} ${hash}` : info.scheme;
  if (hash && WEAK_HASHES.has(hash)) out.algorithmProblems.push(`signature ${hash}`);
}
