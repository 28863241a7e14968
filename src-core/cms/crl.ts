/**
 * CRLs (RFC 5280 5): fetch, parse, and decide whether a certificate is on the list — only after
 * the CRL is shown to be the issuer's (same Name, signature by the issuer's key) and current.
 *
 * Not supported, refused rather than misread: delta CRLs, indirect CRLs and issuing distribution
 * points that restrict scope (onlySomeReasons, onlyContains…). Unknown critical extensions are
 * refused too, as RFC 5280 requires.
 */
import { KysoError } from '../../src-shared/errors.js';
import {
  children,
  expect,
  isCtx,
  parse,
  raw,
  readBitStringBytes,
  readBoolean,
  readIntegerHex,
  readOctets,
  readOid,
  readSmallInt,
  readTime,
  TAG,
} from './der.js';
import type { Node } from './der.js';
import { httpExchange } from './http-exchange.js';
import type { FetchLike } from './http-exchange.js';
import { DEFAULT_CLOCK_SKEW_MS, DEFAULT_REVOCATION_TIMEOUT_MS, REASONS } from './ocsp.js';
import { verifySignature } from './sig-verify.js';
import { parseCertificate, publicKeyOf, readAlgId } from './x509.js';
import type { AlgId, CertInfo } from './x509.js';

const OID_DELTA_CRL_INDICATOR = '2.5.29.27';
const OID_ISSUING_DISTRIBUTION_POINT = '2.5.29.28';
const OID_CRL_NUMBER = '2.5.29.20';
const OID_AUTHORITY_KEY_ID = '2.5.29.35';
const OID_REASON = '2.5.29.21';
const OID_INVALIDITY_DATE = '2.5.29.24';
/** CRLs of big CAs run to tens of MB; beyond this we refuse rather than exhaust memory. */
const MAX_CRL_BYTES = 64 * 1024 * 1024;

export interface CrlEntry {
  revocationDate: Date;
  reason?: string;
}

export interface ParsedCrl {
  der: Buffer;
  tbsDer: Buffer;
  issuerDer: Buffer;
  thisUpdate: Date;
  nextUpdate?: Date;
  crlNumberHex?: string;
  /** Revoked serials (upper-case hex) → entry. */
  entries: Map<string, CrlEntry>;
  /** Critical extensions we cannot honour; a CRL with any is not used. */
  unsupported: string[];
  signatureAlgorithm: AlgId;
  signature: Buffer;
}

function malformed(detail: string): KysoError {
  return new KysoError('REVOCATION_RESPONSE_MALFORMED', 'cms.revocation.malformed', { detail });
}

function readExtensions(n: Node): { oid: string; critical: boolean; value: Buffer }[] {
  return children(expect(n, TAG.sequence, 'Extensions')).map((e) => {
    const p = children(expect(e, TAG.sequence, 'Extension'));
    return {
      oid: readOid(p[0]),
      critical: p.length === 3 ? readBoolean(p[1]) : false,
      value: readOctets(p[p.length - 1], 'extnValue'),
    };
  });
}

/** An IDP we can honour names distribution points only: no reason, scope or indirect flags. */
function idpIsPlain(value: Buffer): boolean {
  return children(expect(parse(value), TAG.sequence, 'IssuingDistributionPoint')).every((f) => isCtx(f, 0));
}

export function parseCrl(input: Buffer): ParsedCrl {
  const der = pemToDer(input, 'X509 CRL');
  try {
    const [tbs, sigAlg, sig] = children(expect(parse(der), TAG.sequence, 'CertificateList'));
    const f = children(expect(tbs, TAG.sequence, 'TBSCertList'));
    let i = 0;
    if (f[0]?.tagByte === TAG.integer) i++;
    i++; // signature AlgorithmIdentifier, repeated outside
    const issuer = expect(f[i++], TAG.sequence, 'issuer');
    const thisUpdate = readTime(f[i++], 'thisUpdate');
    const out: ParsedCrl = {
      der,
      tbsDer: raw(tbs!),
      issuerDer: raw(issuer),
      thisUpdate,
      entries: new Map(),
      unsupported: [],
      signatureAlgorithm: readAlgId(sigAlg),
      signature: readBitStringBytes(sig, 'signatureValue'),
    };
    const maybeNext = f[i];
    if (maybeNext && (maybeNext.tagByte === TAG.utcTime || maybeNext.tagByte === TAG.generalizedTime)) {
      out.nextUpdate = readTime(maybeNext);
      i++;
    }
    if (f[i]?.tagByte === TAG.sequence) {
      for (const e of children(f[i]!)) {
        const ep = children(expect(e, TAG.sequence, 'revokedCertificate'));
        const entry: CrlEntry = { revocationDate: readTime(ep[1], 'revocationDate') };
        if (ep[2]) {
          for (const x of readExtensions(ep[2])) {
            if (x.oid === OID_REASON) {
              const code = readSmallInt(parse(x.value), 'reasonCode', TAG.enumerated);
              entry.reason = REASONS[code] ?? String(code);
            } else if (x.critical && x.oid !== OID_INVALIDITY_DATE) {
              // e.g. certificateIssuer: an indirect CRL.
              out.unsupported.push(`entry extension ${x.oid}`);
            }
          }
        }
        out.entries.set(readIntegerHex(ep[0], 'userCertificate'), entry);
      }
      i++;
    }
    if (isCtx(f[i], 0)) {
      for (const x of readExtensions(children(f[i]!)[0]!)) {
        if (x.oid === OID_CRL_NUMBER) out.crlNumberHex = readIntegerHex(parse(x.value));
        if (x.oid === OID_DELTA_CRL_INDICATOR) out.unsupported.push('delta CRL');
        else if (x.oid === OID_ISSUING_DISTRIBUTION_POINT) {
          if (!idpIsPlain(x.value)) out.unsupported.push('issuing distribution point with scope');
        } else if (x.critical && x.oid !== OID_CRL_NUMBER && x.oid !== OID_AUTHORITY_KEY_ID) {
          out.unsupported.push(`extension ${x.oid}`);
        }
      }
    }
    return out;
  } catch (e) {
    if (e instanceof KysoError) throw e;
    throw malformed(e instanceof Error ? e.message : 'unreadable CRL');
  }
}

/** CRL servers send DER; a few send PEM. */
function pemToDer(input: Buffer, label: string): Buffer {
  const head = input.subarray(0, 64).toString('latin1');
  if (!head.includes('-----BEGIN')) return input;
  const text = input.toString('latin1');
  const m = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`).exec(text);
  if (!m?.[1]) throw malformed(`PEM without ${label}`);
  return Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
}

export interface CrlCheck {
  revoked: boolean;
  revocationTime?: Date;
  reason?: string;
  thisUpdate: Date;
  nextUpdate?: Date;
}

function certOf(der: Buffer, what: string): CertInfo {
  try {
    return parseCertificate(der);
  } catch (e) {
    throw new KysoError('CMS_INPUT_INVALID', 'cms.inputInvalid', {
      detail: `${what}: ${e instanceof Error ? e.message : 'unreadable'}`,
    });
  }
}

export function isRevokedInCrl(
  crlDer: Buffer,
  certDer: Buffer,
  issuerDer: Buffer,
  opts: { now?: Date; skipFreshness?: boolean; clockSkewMs?: number } = {},
): CrlCheck {
  const cert = certOf(certDer, 'certificate');
  const issuer = certOf(issuerDer, 'issuer certificate');
  const crl = parseCrl(crlDer);
  if (!crl.issuerDer.equals(cert.issuerDer) || !issuer.subjectDer.equals(crl.issuerDer)) {
    throw new KysoError('REVOCATION_MISMATCH', 'cms.revocation.mismatch', {
      detail: 'the CRL is not from the certificate issuer',
    });
  }
  const sig = verifySignature({
    algorithm: crl.signatureAlgorithm,
    data: crl.tbsDer,
    signature: crl.signature,
    publicKey: publicKeyOf(issuer),
  });
  if (!sig.ok)
    throw new KysoError('REVOCATION_SIGNATURE_INVALID', 'cms.revocation.badSignature', {
      detail: sig.problem ?? 'CRL',
    });
  if (crl.unsupported.length > 0) {
    throw new KysoError('REVOCATION_MISMATCH', 'cms.revocation.mismatch', {
      detail: `unsupported CRL: ${crl.unsupported.join(', ')}`,
    });
  }
  if (!opts.skipFreshness) {
    const now = (opts.now ?? new Date()).getTime();
    const skew = opts.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
    if (crl.thisUpdate.getTime() > now + skew) {
      throw new KysoError('REVOCATION_STALE', 'cms.revocation.stale', {
        detail: `CRL thisUpdate ${crl.thisUpdate.toISOString()} is in the future`,
      });
    }
    if (crl.nextUpdate && crl.nextUpdate.getTime() < now - skew) {
      throw new KysoError('REVOCATION_STALE', 'cms.revocation.stale', {
        detail: `CRL expired ${crl.nextUpdate.toISOString()}`,
      });
    }
  }
  const entry = crl.entries.get(cert.serialHex);
  const out: CrlCheck = { revoked: entry !== undefined, thisUpdate: crl.thisUpdate };
  if (crl.nextUpdate) out.nextUpdate = crl.nextUpdate;
  if (entry) {
    out.revocationTime = entry.revocationDate;
    if (entry.reason) out.reason = entry.reason;
  }
  return out;
}

export async function fetchCrl(
  url: string,
  opts: { timeoutMs?: number; fetchImpl?: FetchLike; maxBytes?: number; retryDelayMs?: number } = {},
): Promise<Buffer> {
  // Content types of CRL servers vary (pkix-crl, octet-stream, x-pkcs7-crl): not checked; the parse is.
  const body = await httpExchange({
    url,
    family: 'revocation',
    method: 'GET',
    timeoutMs: opts.timeoutMs ?? DEFAULT_REVOCATION_TIMEOUT_MS,
    maxBytes: opts.maxBytes ?? MAX_CRL_BYTES,
    ...(opts.fetchImpl ? { fetchImpl: opts.fetchImpl } : {}),
    ...(opts.retryDelayMs !== undefined ? { retryDelayMs: opts.retryDelayMs } : {}),
  });
  const der = pemToDer(body, 'X509 CRL');
  try {
    parse(der);
  } catch (e) {
    throw malformed(e instanceof Error ? e.message : 'not a CRL');
  }
  return der;
}
