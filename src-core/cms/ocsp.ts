/**
 * OCSP (RFC 6960) for B-LT and the validator: request building, fetching, and checking a
 * response — for a fresh one and for one embedded in a PDF's DSS alike.
 *
 * A response is accepted only when it is signed by the issuing CA itself or by a delegated
 * responder the CA issued with EKU OCSPSigning, answers for exactly our CertID, and is fresh
 * (thisUpdate not in the future, nextUpdate not past, allowing for clock skew).
 */
import { createHash, randomBytes } from 'node:crypto';
import { KysoError } from '../../src-shared/errors.js';
import {
  children,
  ctx,
  expect,
  isCtx,
  nul,
  octets,
  oid,
  parse,
  raw,
  readBitStringBytes,
  readIntegerHex,
  readOctets,
  readOid,
  readSmallInt,
  readTime,
  seq,
  TAG,
  tlv,
} from './der.js';
import type { Node } from './der.js';
import { isHttpUrl, ocspUrlsOf } from './cert-urls.js';
import { httpExchange } from './http-exchange.js';
import type { FetchLike } from './http-exchange.js';
import { hashByOid, HASH_OID, nodeHash, OID } from './oids.js';
import type { HashName } from './oids.js';
import { verifySignature } from './sig-verify.js';
import { extendedKeyUsage, isIssuedBy, keyHashSha1, parseCertificate, publicKeyOf, readAlgId } from './x509.js';
import type { AlgId, CertInfo } from './x509.js';

export const DEFAULT_REVOCATION_TIMEOUT_MS = 10_000;
export const DEFAULT_CLOCK_SKEW_MS = 5 * 60_000;
/** Used only when a response has no nextUpdate: how old thisUpdate may be. */
export const DEFAULT_OCSP_MAX_AGE_MS = 24 * 3600_000;
const MAX_OCSP_BYTES = 1024 * 1024;

export const REASONS: Record<number, string> = {
  0: 'unspecified',
  1: 'keyCompromise',
  2: 'cACompromise',
  3: 'affiliationChanged',
  4: 'superseded',
  5: 'cessationOfOperation',
  6: 'certificateHold',
  8: 'removeFromCRL',
  9: 'privilegeWithdrawn',
  10: 'aACompromise',
};

// RFC 6960 4.2.1; 4 is not used.
const RESPONSE_STATUS = [
  'successful',
  'malformedRequest',
  'internalError',
  'tryLater',
  '4',
  'sigRequired',
  'unauthorized',
];

export type CertStatus = 'good' | 'revoked' | 'unknown';

export interface SingleResponse {
  hashOid: string;
  issuerNameHash: Buffer;
  issuerKeyHash: Buffer;
  serialHex: string;
  status: CertStatus;
  thisUpdate: Date;
  nextUpdate?: Date;
  revocationTime?: Date;
  reason?: string;
}

export interface BasicOcspResponse {
  tbsDer: Buffer;
  responderId: { byName: Buffer } | { byKey: Buffer };
  producedAt: Date;
  responses: SingleResponse[];
  /** extnValue of the nonce extension, when the responder echoed one. */
  nonceExtValue?: Buffer;
  signatureAlgorithm: AlgId;
  signature: Buffer;
  certsDer: Buffer[];
}

export interface ParsedOcspResponse {
  responseStatus: string;
  basic?: BasicOcspResponse;
}

function malformed(detail: string): KysoError {
  return new KysoError('REVOCATION_RESPONSE_MALFORMED', 'cms.revocation.malformed', { detail });
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

function hashOf(h: HashName, data: Buffer): Buffer {
  return createHash(nodeHash(h)).update(data).digest();
}

// OpenSSL and most responders write the CertID hash with NULL parameters; some match on the bytes.
const certIdAlg = (h: HashName): Buffer => seq(oid(HASH_OID[h]), nul());

export function buildOcspRequest(o: {
  certDer: Buffer;
  issuerDer: Buffer;
  hash?: 'SHA-1' | 'SHA-256';
  nonce?: Buffer | null;
}): Buffer {
  const cert = certOf(o.certDer, 'certificate');
  const issuer = certOf(o.issuerDer, 'issuer certificate');
  const h = o.hash ?? 'SHA-1';
  const certId = seq(
    certIdAlg(h),
    octets(hashOf(h, cert.issuerDer)),
    octets(hashOf(h, issuer.publicKeyBits)),
    tlv(TAG.integer, cert.serial),
  );
  const exts = o.nonce
    ? // RFC 8954: the nonce extension's value is an OCTET STRING.
      [ctx(2, seq(seq(oid(OID.ocspNonce), octets(octets(o.nonce)))))]
    : [];
  return seq(seq(seq(seq(certId)), ...exts));
}

function readSingle(n: Node): SingleResponse {
  const f = children(expect(n, TAG.sequence, 'SingleResponse'));
  const [alg, nameHash, keyHash, serial] = children(expect(f[0], TAG.sequence, 'CertID'));
  const statusNode = f[1];
  let status: CertStatus;
  let revocationTime: Date | undefined;
  let reason: string | undefined;
  if (isCtx(statusNode, 0)) status = 'good';
  else if (isCtx(statusNode, 2)) status = 'unknown';
  else if (isCtx(statusNode, 1) && statusNode!.constructed) {
    status = 'revoked';
    const ri = children(statusNode!);
    revocationTime = readTime(ri[0], 'revocationTime');
    if (isCtx(ri[1], 0)) {
      const code = readSmallInt(children(ri[1]!)[0], 'revocationReason', TAG.enumerated);
      reason = REASONS[code] ?? String(code);
    }
  } else throw malformed('unknown certStatus');
  const out: SingleResponse = {
    hashOid: readAlgId(alg).oid,
    issuerNameHash: readOctets(nameHash, 'issuerNameHash'),
    issuerKeyHash: readOctets(keyHash, 'issuerKeyHash'),
    serialHex: readIntegerHex(serial, 'serialNumber'),
    status,
    thisUpdate: readTime(f[2], 'thisUpdate'),
  };
  for (const x of f.slice(3)) if (isCtx(x, 0)) out.nextUpdate = readTime(children(x)[0], 'nextUpdate');
  if (revocationTime) out.revocationTime = revocationTime;
  if (reason) out.reason = reason;
  return out;
}

function readBasic(der: Buffer): BasicOcspResponse {
  const [tbs, sigAlg, sig, certs] = children(expect(parse(der), TAG.sequence, 'BasicOCSPResponse'));
  const f = children(expect(tbs, TAG.sequence, 'ResponseData'));
  let i = 0;
  if (isCtx(f[0], 0)) i++;
  const rid = f[i++];
  let responderId: BasicOcspResponse['responderId'];
  if (isCtx(rid, 1)) responderId = { byName: raw(children(rid!)[0]!) };
  else if (isCtx(rid, 2)) responderId = { byKey: readOctets(children(rid!)[0], 'byKey') };
  else throw malformed('unknown responderID');
  const producedAt = readTime(f[i++], 'producedAt');
  const responses = children(expect(f[i++], TAG.sequence, 'responses')).map(readSingle);
  const out: BasicOcspResponse = {
    tbsDer: raw(tbs!),
    responderId,
    producedAt,
    responses,
    signatureAlgorithm: readAlgId(sigAlg),
    signature: readBitStringBytes(sig, 'signature'),
    certsDer: isCtx(certs, 0)
      ? children(expect(children(certs!)[0], TAG.sequence, 'certs')).map((c) => Buffer.from(raw(c)))
      : [],
  };
  const ext = f[i];
  if (isCtx(ext, 1)) {
    for (const e of children(expect(children(ext!)[0], TAG.sequence, 'responseExtensions'))) {
      const ep = children(e);
      if (readOid(ep[0]) === OID.ocspNonce) out.nonceExtValue = readOctets(ep[ep.length - 1], 'nonce');
    }
  }
  return out;
}

/** Reads an OCSPResponse (e.g. from a DSS /OCSPs stream). Throws REVOCATION_RESPONSE_MALFORMED. */
export function parseOcspResponse(der: Buffer): ParsedOcspResponse {
  try {
    const [statusNode, bytes] = children(expect(parse(der), TAG.sequence, 'OCSPResponse'));
    const code = readSmallInt(statusNode, 'responseStatus', TAG.enumerated);
    const responseStatus = RESPONSE_STATUS[code] ?? String(code);
    if (!bytes) return { responseStatus };
    const [type, response] = children(expect(children(bytes)[0], TAG.sequence, 'ResponseBytes'));
    if (readOid(type) !== OID.ocspBasic) throw malformed('not a basic OCSP response');
    return { responseStatus, basic: readBasic(readOctets(response, 'response')) };
  } catch (e) {
    if (e instanceof KysoError) throw e;
    throw malformed(e instanceof Error ? e.message : 'unreadable');
  }
}

export interface OcspCheckOptions {
  certDer: Buffer;
  issuerDer: Buffer;
  /** Time the answer must be fresh at. Default now. */
  now?: Date;
  /** For responses stored earlier (DSS) judged by the caller's own policy. */
  skipFreshness?: boolean;
  clockSkewMs?: number;
  maxAgeMs?: number;
  /** The nonce sent; if the responder echoes a nonce it must be this one. */
  nonce?: Buffer;
}

export interface OcspResult {
  responseDer: Buffer;
  status: CertStatus;
  thisUpdate: Date;
  nextUpdate?: Date;
  producedAt: Date;
  revocationTime?: Date;
  reason?: string;
  /** The certificate that signed the response: the issuer, or its delegated responder. */
  responderCertDer: Buffer;
  url?: string;
}

function findResponder(basic: BasicOcspResponse, issuer: CertInfo): CertInfo {
  const candidates = [
    issuer,
    ...basic.certsDer.flatMap((d) => {
      try {
        return [parseCertificate(d)];
      } catch {
        return [];
      }
    }),
  ];
  const rid = basic.responderId;
  const matches = candidates.filter((c) =>
    'byName' in rid ? c.subjectDer.equals(rid.byName) : keyHashSha1(c).equals(rid.byKey),
  );
  const bad = (detail: string): KysoError =>
    new KysoError('REVOCATION_SIGNATURE_INVALID', 'cms.revocation.badSignature', { detail });
  if (matches.length === 0) throw bad('the responder certificate is not in the response');
  for (const c of matches) {
    if (
      c.der.equals(issuer.der) ||
      (c.subjectDer.equals(issuer.subjectDer) && c.publicKeyBits.equals(issuer.publicKeyBits))
    ) {
      return c;
    }
  }
  for (const c of matches) {
    if (!isIssuedBy(c, issuer)) continue;
    let eku: ReturnType<typeof extendedKeyUsage> = null;
    try {
      eku = extendedKeyUsage(c);
    } catch {
      eku = null;
    }
    if (!eku?.purposes.includes(OID.kpOcspSigning)) throw bad('the delegated responder lacks EKU OCSPSigning');
    if (basic.producedAt < c.notBefore || basic.producedAt > c.notAfter) {
      throw bad('the delegated responder certificate was not valid when the response was produced');
    }
    return c;
  }
  throw bad('the responder is neither the issuer nor authorised by it');
}

/** Checks an OCSPResponse for `certDer`; throws a typed error unless it is a trustworthy answer. */
export function verifyOcspResponse(responseDer: Buffer, o: OcspCheckOptions): OcspResult {
  const cert = certOf(o.certDer, 'certificate');
  const issuer = certOf(o.issuerDer, 'issuer certificate');
  const parsed = parseOcspResponse(responseDer);
  if (parsed.responseStatus !== 'successful') {
    throw new KysoError('OCSP_REJECTED', 'cms.ocsp.rejected', { status: parsed.responseStatus });
  }
  const basic = parsed.basic;
  if (!basic) throw malformed('successful response without a body');

  const responder = findResponder(basic, issuer);
  const sig = verifySignature({
    algorithm: basic.signatureAlgorithm,
    data: basic.tbsDer,
    signature: basic.signature,
    publicKey: publicKeyOf(responder),
  });
  if (!sig.ok) {
    throw new KysoError('REVOCATION_SIGNATURE_INVALID', 'cms.revocation.badSignature', {
      detail: sig.problem ?? 'OCSP response',
    });
  }

  const single = basic.responses.find((r) => {
    const h = hashByOid(r.hashOid);
    return (
      h !== undefined &&
      r.serialHex === cert.serialHex &&
      r.issuerNameHash.equals(hashOf(h, cert.issuerDer)) &&
      r.issuerKeyHash.equals(hashOf(h, issuer.publicKeyBits))
    );
  });
  if (!single) {
    throw new KysoError('REVOCATION_MISMATCH', 'cms.revocation.mismatch', { detail: 'no answer for this certificate' });
  }
  if (o.nonce && basic.nonceExtValue && !basic.nonceExtValue.equals(octets(o.nonce))) {
    throw new KysoError('REVOCATION_MISMATCH', 'cms.revocation.mismatch', { detail: 'nonce differs' });
  }
  if (!o.skipFreshness) {
    const now = (o.now ?? new Date()).getTime();
    const skew = o.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
    if (single.thisUpdate.getTime() > now + skew) {
      throw new KysoError('REVOCATION_STALE', 'cms.revocation.stale', {
        detail: `thisUpdate ${single.thisUpdate.toISOString()} is in the future`,
      });
    }
    const expiry =
      single.nextUpdate?.getTime() ?? single.thisUpdate.getTime() + (o.maxAgeMs ?? DEFAULT_OCSP_MAX_AGE_MS);
    if (expiry < now - skew) {
      throw new KysoError('REVOCATION_STALE', 'cms.revocation.stale', {
        detail: `valid until ${new Date(expiry).toISOString()}`,
      });
    }
  }
  const out: OcspResult = {
    responseDer,
    status: single.status,
    thisUpdate: single.thisUpdate,
    producedAt: basic.producedAt,
    responderCertDer: responder.der,
  };
  if (single.nextUpdate) out.nextUpdate = single.nextUpdate;
  if (single.revocationTime) out.revocationTime = single.revocationTime;
  if (single.reason) out.reason = single.reason;
  return out;
}

export interface FetchOcspOptions extends Omit<OcspCheckOptions, 'nonce'> {
  /** Default: the first http(s) OCSP URL in the certificate's AIA. */
  url?: string;
  /** CertID hash. SHA-1 is what most responders index; SHA-256 where required. */
  hash?: 'SHA-1' | 'SHA-256';
  /** Send a nonce (default true). Responders with pre-produced answers ignore it. */
  nonce?: boolean;
  timeoutMs?: number;
  fetchImpl?: FetchLike;
  retryDelayMs?: number;
}

export async function fetchOcsp(o: FetchOcspOptions): Promise<OcspResult> {
  const url = o.url ?? ocspUrlsOf(o.certDer).find(isHttpUrl);
  if (!url) throw new KysoError('REVOCATION_NO_URL', 'cms.revocation.noUrl', { kind: 'OCSP' });
  const nonce = o.nonce === false ? null : randomBytes(16);
  const request = buildOcspRequest({ certDer: o.certDer, issuerDer: o.issuerDer, hash: o.hash ?? 'SHA-1', nonce });
  const responseDer = await httpExchange({
    url,
    family: 'revocation',
    method: 'POST',
    body: request,
    requestType: 'application/ocsp-request',
    responseTypes: ['application/ocsp-response'],
    timeoutMs: o.timeoutMs ?? DEFAULT_REVOCATION_TIMEOUT_MS,
    maxBytes: MAX_OCSP_BYTES,
    ...(o.fetchImpl ? { fetchImpl: o.fetchImpl } : {}),
    ...(o.retryDelayMs !== undefined ? { retryDelayMs: o.retryDelayMs } : {}),
  });
  const check: OcspCheckOptions = { certDer: o.certDer, issuerDer: o.issuerDer };
  if (o.now) check.now = o.now;
  if (o.skipFreshness) check.skipFreshness = true;
  if (o.clockSkewMs !== undefined) check.clockSkewMs = o.clockSkewMs;
  if (o.maxAgeMs !== undefined) check.maxAgeMs = o.maxAgeMs;
  if (nonce) check.nonce = nonce;
  const result = verifyOcspResponse(responseDer, check);
  return { ...result, url };
}
