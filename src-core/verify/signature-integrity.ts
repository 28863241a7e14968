/**
 * Integrity of one signature (validator checklist 2–5): a well-formed /ByteRange starting at 0,
 * ascending and inside the file, whose gap is exactly this signature's hex /Contents (no
 * signature wrapping); coverage of the whole file or of a whole revision; the CMS over the
 * digest of those ranges.
 */
import { createHash } from 'node:crypto';
import { verifyDetachedCms, cmsDigestAlgorithm, type CmsCheck } from '../cms/cms-verify.js';
import { verifyTimestampToken } from '../cms/timestamp-token.js';
import { Lexer, parseObject } from '../pdf/parser.js';
import type { PdfRef } from '../pdf/objects.js';
import type { PdfReader } from '../pdf/reader.js';
import { digestRanges } from '../sign/pdf-signer.js';
import type { FoundSignature } from '../sign/signature-lookup.js';
import { revisionBoundaries } from './revisions.js';

export type Coverage = 'ENTIRE_FILE' | 'ENTIRE_REVISION' | 'PARTIAL' | 'NONE';

export interface IntegrityResult {
  byteRangeOk: boolean;
  coverage: Coverage;
  /** Offset where the signed revision ends. */
  signedEnd: number;
  cms: CmsCheck | null;
  /** Plain codes; the validator turns them into messages. */
  problems: string[];
}

/** Offsets of the /Contents value (from "<" to after ">") inside the signature object. */
export function locateContents(reader: PdfReader, ref: PdfRef): { start: number; end: number } | null {
  const e = reader.xref.get(ref.num);
  if (!e || e.type !== 1) return null; // in an object stream or missing: cannot be a byte-range gap
  const lx = new Lexer(reader.src, e.offset);
  try {
    lx.next();
    lx.next();
    lx.next(); // "num gen obj"
    lx.skipWhite();
    const open = lx.next();
    if (open.t !== 'punct' || open.v !== '<<') return null;
    for (let i = 0; i < 10000; i++) {
      const key = lx.next();
      if (key.t === 'punct' && key.v === '>>') return null;
      if (key.t !== 'name') return null;
      lx.skipWhite();
      const start = lx.pos;
      parseObject(lx);
      if (key.v === 'Contents') return { start, end: lx.pos };
    }
  } catch {
    return null;
  }
  return null;
}

export async function checkIntegrity(reader: PdfReader, path: string, sig: FoundSignature): Promise<IntegrityResult> {
  const problems: string[] = [];
  const br = sig.byteRange;
  const len = reader.length;
  let byteRangeOk =
    br.length === 4 &&
    br.every((n) => Number.isInteger(n) && n >= 0) &&
    br[0] === 0 &&
    br[1]! > 0 &&
    br[2]! > br[1]! &&
    br[2]! + br[3]! <= len;
  if (!byteRangeOk) problems.push('byte-range-malformed');
  if (!sig.contents || sig.contents.length === 0) problems.push('contents-missing');
  if (byteRangeOk) {
    const loc = sig.sigRef ? locateContents(reader, sig.sigRef) : null;
    if (!loc || loc.start !== br[1] || loc.end !== br[2]) {
      byteRangeOk = false;
      problems.push('byte-range-gap-not-contents');
    }
  }
  let coverage: Coverage = 'NONE';
  const signedEnd = byteRangeOk ? br[2]! + br[3]! : 0;
  if (byteRangeOk) {
    if (signedEnd === len) coverage = 'ENTIRE_FILE';
    else if (revisionBoundaries(reader).some((b) => b.end === signedEnd || b.eofEnd === signedEnd))
      coverage = 'ENTIRE_REVISION';
    else {
      coverage = 'PARTIAL';
      problems.push('coverage-partial');
    }
  }
  let cms: CmsCheck | null = null;
  if (byteRangeOk && sig.contents && sig.contents.length > 0) {
    const der = trimDer(sig.contents);
    if (sig.kind === 'doc-timestamp') {
      cms = await documentTimestampCheck(der, path, br);
    } else {
      const alg = cmsDigestAlgorithm(der) ?? 'SHA-256';
      const digest = await digestRanges(path, br, alg as 'SHA-256' | 'SHA-384' | 'SHA-512');
      cms = await verifyDetachedCms({ cmsDer: der, signedContentDigest: digest });
    }
    if (cms.errors.length > 0) problems.push(...cms.errors.map((e) => `cms:${e}`));
  }
  return { byteRangeOk, coverage, signedEnd, cms, problems };
}

/**
 * A document timestamp's /Contents is a TimeStampToken whose imprint must equal the digest of
 * the byte ranges (not a CMS message-digest over the file). Reported in the CmsCheck shape so
 * the validator treats both kinds alike: the TSA is the "signer", the imprint is the digest.
 */
async function documentTimestampCheck(der: Buffer, path: string, br: readonly number[]): Promise<CmsCheck> {
  const ts = verifyTimestampToken(der);
  const h = ts.tst?.imprintHash;
  const hash: 'SHA-256' | 'SHA-384' | 'SHA-512' = h === 'SHA-384' || h === 'SHA-512' ? h : 'SHA-256';
  const digest = await digestRanges(path, br, hash);
  const imprintOk = ts.tst !== undefined && ts.tst.imprint.equals(digest);
  return {
    signatureValid: ts.signatureValid,
    digestMatches: imprintOk,
    contentTypeOk: true,
    signingCertV2Ok: ts.essOk,
    signerCertDer: ts.tsaCertDer ?? null,
    certificatesDer: ts.certificatesDer,
    digestAlgorithm: hash,
    signatureAlgorithm: '',
    signatureAlgorithmOid: '',
    algorithmProblems: [],
    signedAttrsDer: null,
    signatureValue: null,
    timestamp: {
      token: der,
      genTime: ts.genTime ?? null,
      imprintOk,
      signatureValid: ts.signatureValid,
      ekuOk: ts.ekuOk,
      tsaCertDer: ts.tsaCertDer ?? null,
      certificatesDer: ts.certificatesDer,
      errors: ts.errors,
    },
    errors: ts.errors,
    warnings: [],
  };
}

/** /Contents is zero-padded after the DER; cut at the outer TLV's length. */
export function trimDer(b: Buffer): Buffer {
  if (b.length < 2 || b[0] !== 0x30) return b;
  const l = b[1]!;
  if (l < 0x80) return b.subarray(0, 2 + l);
  const n = l & 0x7f;
  if (n === 0 || n > 4 || b.length < 2 + n) return b;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + b[2 + i]!;
  return b.subarray(0, Math.min(b.length, 2 + n + len));
}

export const sha256Hex = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
