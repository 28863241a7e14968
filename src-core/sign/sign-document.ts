/**
 * Signs a PDF at a PAdES level, as a chain of incremental revisions:
 *   B-B   one signed revision (CAdES detached, no timestamp);
 *   B-T   + an RFC 3161 timestamp over the signature value inside the CMS;
 *   B-LT  + a revision with the DSS: certificates and OCSP responses (or CRLs) for the signer's
 *         and the TSA's chains;
 *   B-LTA + a document timestamp revision over all of that.
 * Intermediate files live beside the output and are removed; the output appears only when every
 * step succeeded.
 */
import { X509Certificate } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { KysoError } from '../../src-shared/errors.js';
import { estimateCmsSize, signCades, type CmsScheme } from '../cms/cades-builder.js';
import { verifyDetachedCms } from '../cms/cms-verify.js';
import { fetchCrl, fetchOcsp, crlUrlsOf, ocspUrlsOf } from '../cms/revocation.js';
import { requestTimestamp } from '../cms/tsa-client.js';
import type { HashAlg } from '../token/mechanisms.js';
import { addDss, type ValidationData } from './dss.js';
import { appendPlainRevision, appendSignedRevision, type FieldPlacement, type RevisionResult } from './pdf-signer.js';
import type { IncrementalUpdate } from '../pdf/incremental-writer.js';
import type { PdfReader } from '../pdf/reader.js';

export type PadesLevel = 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';
export const PADES_LEVELS: readonly PadesLevel[] = ['B-B', 'B-T', 'B-LT', 'B-LTA'];

export interface DocumentSigner {
  certDer: Buffer;
  /** Intermediates (and optionally the root) for the CMS and the DSS. */
  chainDers: Buffer[];
  /** Signs the DER of the signed attributes. */
  sign(tbs: Buffer, hash: HashAlg): Promise<{ signature: Buffer; scheme: CmsScheme }>;
  /** For sizing /Contents before the token is asked. */
  scheme: CmsScheme;
}

export interface SignDocumentOptions {
  input: string;
  output: string;
  signer: DocumentSigner;
  level: PadesLevel;
  tsaUrl?: string;
  hash?: HashAlg;
  placement: Omit<FieldPlacement, 'kind'>;
  /** Timeouts for TSA/OCSP/CRL calls. */
  networkTimeoutMs?: number;
  /** Bytes reserved for a timestamp token (grows if a TSA's tokens are larger). */
  timestampReserve?: number;
  /** Extra objects in the signature's own revision (e.g. number/date annotations, a directive). */
  prepare?: (reader: PdfReader, update: IncrementalUpdate) => void;
  /** Certification signature with DocMDP permission P. */
  certify?: 1 | 2 | 3;
}

export interface SignDocumentResult {
  level: PadesLevel;
  fieldName: string;
  signature: RevisionResult;
  timestampTime?: Date;
  dss?: { certs: number; ocsps: number; crls: number };
  documentTimestamp?: RevisionResult;
}

const tmpBeside = (output: string, tag: string): string =>
  join(dirname(output), `.${basename(output)}.${tag}-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);

export async function signDocument(o: SignDocumentOptions): Promise<SignDocumentResult> {
  const hash = o.hash ?? 'SHA-256';
  const needsTsa = o.level !== 'B-B';
  if (needsTsa && !o.tsaUrl)
    throw new KysoError('USAGE', 'error.usage', { detail: `--level ${o.level} needs --tsa URL` });
  const timeoutMs = o.networkTimeoutMs ?? 15000;
  const steps = PADES_LEVELS.indexOf(o.level);
  const temps: string[] = [];
  const stepOutput = (i: number): string => {
    if (i === steps || (i >= 1 && steps <= 1)) return o.output;
    const t = tmpBeside(o.output, `step${i}`);
    temps.push(t);
    return t;
  };
  try {
    const estimate = estimateCmsSize({
      hash,
      scheme: o.signer.scheme,
      signerCertDer: o.signer.certDer,
      chainDers: o.signer.chainDers,
      timestamp: needsTsa ? { tokenBytes: o.timestampReserve ?? 8192 } : false,
    });
    let timestampTime: Date | undefined;
    const sigOut = o.level === 'B-B' || o.level === 'B-T' ? o.output : stepOutput(0);
    const signature = await appendSignedRevision(
      o.input,
      sigOut,
      { ...o.placement, kind: 'sig', ...(o.certify ? { certify: o.certify } : {}) },
      {
        hash,
        maxBytes: estimate.totalBytes + 256,
        produce: async (digest) => {
          const cms = await signCades({
            messageDigest: digest,
            hash,
            signerCertDer: o.signer.certDer,
            chainDers: o.signer.chainDers,
            sign: (tbs) => o.signer.sign(tbs, hash),
            ...(needsTsa ? { tsa: { url: o.tsaUrl!, timeoutMs } } : {}),
          });
          return cms;
        },
      },
      o.prepare,
    );
    const result: SignDocumentResult = { level: o.level, fieldName: signature.fieldName, signature };
    if (needsTsa) {
      const check = await verifyDetachedCms({ cmsDer: signature.contents, signedContentDigest: signature.digest });
      timestampTime = check.timestamp?.genTime ?? undefined;
      if (timestampTime) result.timestampTime = timestampTime;
    }
    if (o.level === 'B-LT' || o.level === 'B-LTA') {
      const data = await gatherValidationData(signature.contents, o.signer, timeoutMs);
      const dssOut = o.level === 'B-LT' ? o.output : stepOutput(1);
      await appendPlainRevision(sigOut, dssOut, (reader, update) => addDss(reader, update, data));
      result.dss = { certs: data.certs.length, ocsps: data.ocsps.length, crls: data.crls.length };
      if (o.level === 'B-LTA') {
        const docTs = await appendSignedRevision(
          dssOut,
          o.output,
          { kind: 'doc-timestamp' },
          {
            hash,
            maxBytes: (o.timestampReserve ?? 8192) + 1024,
            produce: async (digest) => (await requestTimestamp({ url: o.tsaUrl!, digest, hash, timeoutMs })).token,
          },
        );
        result.documentTimestamp = docTs;
      }
    }
    return result;
  } finally {
    await Promise.all(temps.map((t) => unlink(t).catch(() => undefined)));
  }
}

/** Certificates of the signer's and the TSA's chains, with an OCSP response (else a CRL) for each non-root. */
export async function gatherValidationData(
  cmsDer: Buffer,
  signer: DocumentSigner,
  timeoutMs: number,
): Promise<ValidationData> {
  const check = await verifyDetachedCms({ cmsDer });
  const pool = dedupe([
    signer.certDer,
    ...signer.chainDers,
    ...check.certificatesDer,
    ...(check.timestamp?.certificatesDer ?? []),
  ]);
  const certs: Buffer[] = [];
  const ocsps: Buffer[] = [];
  const crls: Buffer[] = [];
  const leaves = [signer.certDer, ...(check.timestamp?.tsaCertDer ? [check.timestamp.tsaCertDer] : [])];
  const seen = new Set<string>();
  for (const leaf of leaves) {
    for (const cert of chainOf(leaf, pool)) {
      const key = cert.toString('base64');
      if (seen.has(key)) continue;
      seen.add(key);
      certs.push(cert);
      const issuer = issuerOf(cert, pool);
      if (!issuer) continue; // a root: nothing revokes it
      let got = false;
      if (ocspUrlsOf(cert).length > 0) {
        try {
          const r = await fetchOcsp({ certDer: cert, issuerDer: issuer, timeoutMs });
          ocsps.push(r.responseDer);
          got = true;
        } catch {
          // Fall back to the CRL below; a missing answer shows up in validation as indeterminate.
        }
      }
      if (!got) {
        for (const url of crlUrlsOf(cert)) {
          try {
            crls.push(await fetchCrl(url, { timeoutMs }));
            break;
          } catch {
            // Try the next distribution point.
          }
        }
      }
    }
  }
  return { certs, ocsps, crls: dedupe(crls) };
}

function dedupe(list: Buffer[]): Buffer[] {
  const seen = new Set<string>();
  return list.filter((b) => {
    const k = b.toString('base64');
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function issuerOf(certDer: Buffer, pool: Buffer[]): Buffer | null {
  const c = new X509Certificate(certDer);
  if (c.checkIssued(c) && c.verify(c.publicKey)) return null;
  for (const p of pool) {
    const cand = new X509Certificate(p);
    if (c.checkIssued(cand) && c.verify(cand.publicKey)) return p;
  }
  return null;
}

function chainOf(leaf: Buffer, pool: Buffer[]): Buffer[] {
  const out = [leaf];
  let cur = leaf;
  for (let i = 0; i < 8; i++) {
    const issuer = issuerOf(cur, pool);
    if (!issuer) break;
    out.push(issuer);
    cur = issuer;
  }
  return out;
}
