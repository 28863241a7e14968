/**
 * Revocation status of every certificate of a validated path except the anchor, at the signing
 * time (the best proof-of-existence time), for the verifier and for B-LT.
 *
 * Order, per certificate, stopping at the first decisive answer:
 *   1. embedded data: DSS /OCSPs and /CRLs, CMS revocation values;
 *   2. the cache (OCSP by certificate, CRL by URL);
 *   3. online OCSP (the AIA URLs, after the override map), unless offline;
 *   4. online CRLs (CRL distribution points + configured extra CRL URLs), unless offline.
 *
 * Decisive: a verified "revoked" (whenever it was issued: a revocation never expires), or a
 * verified "good" that is fresh enough. Fresh enough (kept simple on purpose): the answer's
 * thisUpdate is no earlier than the signing time minus a grace (default 24 h). After the signing
 * time is what ETSI EN 319 102-1 wants; the grace admits the OCSP responses signers fetch just
 * before signing (CMS revocation values, VGCA's own tool). A verified answer that is not fresh
 * enough is still reported (freshEnough: false) when nothing better is found.
 *
 * Every answer, embedded or cached, is verified again: signature by the issuer or its delegated
 * OCSP responder, the exact certificate, the CRL issuer. Nothing here throws for network or data
 * problems; they end up in `errors` and the status is 'unknown'.
 */
import { KysoError } from '../../src-shared/errors.js';
import type { MessageKey } from '../../src-shared/i18n/messages.js';
import {
  crlUrlsOf,
  fetchCrl,
  fetchOcsp,
  isRevokedInCrl,
  ocspUrlsOf,
  parseCrl,
  verifyOcspResponse,
} from '../cms/revocation.js';
import type { CertStatus } from '../cms/revocation.js';
import type { FetchLike } from '../cms/http-exchange.js';
import { isHttpUrl } from '../cms/cert-urls.js';
import { parseCertificate } from '../cms/x509.js';
import { cacheKeyForCrl } from './revocation-cache.js';
import type { CachedRevocation, RevocationCache } from './revocation-cache.js';
import { sha256Hex } from './trust-anchors.js';

export type RevocationSource = 'dss' | 'cms' | 'online-ocsp' | 'online-crl' | 'cache' | 'none';

export interface EmbeddedRevocation {
  ocsps?: readonly Buffer[];
  crls?: readonly Buffer[];
  /** Where the data was found. Default 'dss'. */
  source?: 'dss' | 'cms';
}

export interface CertRevocation {
  /** Index in the chain (0 = leaf). */
  index: number;
  sha256: string;
  status: CertStatus;
  revocationTime?: Date;
  reason?: string;
  source: RevocationSource;
  freshEnough: boolean;
  kind?: 'ocsp' | 'crl';
  thisUpdate?: Date;
  nextUpdate?: Date;
  url?: string;
  /** The OCSP response or CRL that decided, for a DSS. */
  evidenceDer?: Buffer;
  /** What failed on the way (`source-kind: CODE detail`), also when a later source answered. */
  errors: string[];
}

export interface RevocationResult {
  /** revoked if any certificate is; good only if every one is good and fresh enough; else unknown. */
  status: CertStatus;
  /** Some certificate was revoked at or before `at`. */
  revokedBeforeSigning: boolean;
  certs: CertRevocation[];
  /** The deciding OCSP responses and CRLs, each once: what a B-LT update puts into the DSS. */
  ocsps: Buffer[];
  crls: Buffer[];
}

export interface CheckRevocationOptions {
  /** Leaf first, anchor last (PathResult.chain). The anchor is not checked. */
  chain: readonly Buffer[];
  /** Signing time / best proof of existence. */
  at: Date;
  embedded?: EmbeddedRevocation | readonly EmbeddedRevocation[];
  offline?: boolean;
  cache?: RevocationCache;
  fetchImpl?: FetchLike;
  /** Per request. Default 10 s. */
  timeoutMs?: number;
  retryDelayMs?: number;
  /**
   * URL prefix → replacement, applied to OCSP and CRL URLs read from certificates (some VGCA
   * certificates name an internal OCSP host): `{ 'http://internal-host/': 'http://ocsp.ca.gov.vn/' }`.
   */
  urlOverrides?: Readonly<Record<string, string>>;
  /** CRLs to try for every certificate after its own distribution points (VGCA tool's "extra CRLs"). */
  extraCrlUrls?: readonly string[];
  /** How long before `at` an answer's thisUpdate may be and still count as fresh. Default 24 h. */
  graceMs?: number;
  /** Current time, for the freshness of online answers and the cache. Default now. */
  now?: Date;
}

export const DEFAULT_REVOCATION_GRACE_MS = 24 * 3600_000;
const DEFAULT_TIMEOUT_MS = 10_000;
const FUTURE_SKEW_MS = 5 * 60_000;

interface Evidence {
  kind: 'ocsp' | 'crl';
  source: Exclude<RevocationSource, 'none'>;
  status: CertStatus;
  thisUpdate: Date;
  nextUpdate?: Date;
  revocationTime?: Date;
  reason?: string;
  der: Buffer;
  url?: string;
}

/**
 * What to show for one certificate; params: cert (subject CN), source, time (revocation or
 * thisUpdate), reason.
 */
export function revocationMessageKey(c: CertRevocation, at: Date, offline = false): MessageKey {
  if (c.status === 'revoked') {
    return c.revocationTime && c.revocationTime > at
      ? 'trust.revocation.revokedAfterSigning'
      : 'trust.revocation.revoked';
  }
  if (c.status === 'good') return c.freshEnough ? 'trust.revocation.good' : 'trust.revocation.notFresh';
  return offline && c.source === 'none' ? 'trust.revocation.offline' : 'trust.revocation.unknown';
}

/** Replaces the longest matching prefix (case-insensitive), so one entry serves a whole host. */
export function applyUrlOverrides(url: string, overrides: Readonly<Record<string, string>> = {}): string {
  const lower = url.toLowerCase();
  const match = Object.keys(overrides)
    .filter((from) => from.length > 0 && lower.startsWith(from.toLowerCase()))
    .sort((a, b) => b.length - a.length)[0];
  return match === undefined ? url : overrides[match]! + url.slice(match.length);
}

function codeOf(e: unknown): string {
  if (e instanceof KysoError) {
    const detail = e.params['detail'] ?? e.params['status'] ?? '';
    return detail === '' ? e.code : `${e.code} ${String(detail)}`;
  }
  return e instanceof Error ? e.message : 'failed';
}

export async function checkRevocation(o: CheckRevocationOptions): Promise<RevocationResult> {
  const now = o.now ?? new Date();
  const grace = o.graceMs ?? DEFAULT_REVOCATION_GRACE_MS;
  const groups =
    o.embedded === undefined ? [] : Array.isArray(o.embedded) ? o.embedded : [o.embedded as EmbeddedRevocation];
  const certs: CertRevocation[] = [];
  for (let i = 0; i + 1 < o.chain.length; i++) {
    certs.push(await checkOne(i, o.chain[i]!, o.chain[i + 1]!, groups, o, now, grace));
  }
  const revoked = certs.filter((c) => c.status === 'revoked');
  const status: CertStatus =
    revoked.length > 0 ? 'revoked' : certs.every((c) => c.status === 'good' && c.freshEnough) ? 'good' : 'unknown';
  const unique = (kind: 'ocsp' | 'crl'): Buffer[] => {
    const seen = new Set<string>();
    const out: Buffer[] = [];
    for (const c of certs) {
      if (c.kind !== kind || !c.evidenceDer) continue;
      const h = sha256Hex(c.evidenceDer);
      if (!seen.has(h)) {
        seen.add(h);
        out.push(c.evidenceDer);
      }
    }
    return out;
  };
  return {
    status,
    revokedBeforeSigning: revoked.some((c) => c.revocationTime !== undefined && c.revocationTime <= o.at),
    certs,
    ocsps: unique('ocsp'),
    crls: unique('crl'),
  };
}

async function checkOne(
  index: number,
  certDer: Buffer,
  issuerDer: Buffer,
  groups: readonly EmbeddedRevocation[],
  o: CheckRevocationOptions,
  now: Date,
  grace: number,
): Promise<CertRevocation> {
  const errors: string[] = [];
  const found: Evidence[] = [];
  const sha256 = sha256Hex(certDer);
  const fresh = (e: Evidence): boolean => e.thisUpdate.getTime() >= o.at.getTime() - grace;
  const decisive = (): Evidence | undefined =>
    found.find((e) => e.status === 'revoked') ?? found.find((e) => e.status === 'good' && fresh(e));

  let issuerName: Buffer;
  try {
    issuerName = parseCertificate(certDer).issuerDer;
  } catch (e) {
    return {
      index,
      sha256,
      status: 'unknown',
      source: 'none',
      freshEnough: false,
      errors: [`certificate: ${codeOf(e)}`],
    };
  }

  // Answers dated in the future are not evidence of anything yet.
  const plausible = (e: Evidence, label: string): boolean => {
    if (e.thisUpdate.getTime() > now.getTime() + FUTURE_SKEW_MS) {
      errors.push(`${label}: thisUpdate ${e.thisUpdate.toISOString()} is in the future`);
      return false;
    }
    return true;
  };

  const fromOcsp = (der: Buffer, source: Evidence['source'], label: string, url?: string): void => {
    try {
      const r = verifyOcspResponse(der, { certDer, issuerDer, skipFreshness: true });
      const e: Evidence = { kind: 'ocsp', source, status: r.status, thisUpdate: r.thisUpdate, der };
      if (r.nextUpdate) e.nextUpdate = r.nextUpdate;
      if (r.revocationTime) e.revocationTime = r.revocationTime;
      if (r.reason) e.reason = r.reason;
      if (url) e.url = url;
      if (plausible(e, label)) found.push(e);
    } catch (err) {
      // A DSS holds answers for several certificates: one about another certificate is no error.
      if (!(err instanceof KysoError && err.code === 'REVOCATION_MISMATCH')) errors.push(`${label}: ${codeOf(err)}`);
    }
  };

  const fromCrl = (der: Buffer, source: Evidence['source'], label: string, url?: string): void => {
    try {
      if (!parseCrl(der).issuerDer.equals(issuerName)) return; // another CA's CRL
      const r = isRevokedInCrl(der, certDer, issuerDer, { skipFreshness: true });
      const e: Evidence = {
        kind: 'crl',
        source,
        status: r.revoked ? 'revoked' : 'good',
        thisUpdate: r.thisUpdate,
        der,
      };
      if (r.nextUpdate) e.nextUpdate = r.nextUpdate;
      if (r.revocationTime) e.revocationTime = r.revocationTime;
      if (r.reason) e.reason = r.reason;
      if (url) e.url = url;
      if (plausible(e, label)) found.push(e);
    } catch (err) {
      errors.push(`${label}: ${codeOf(err)}`);
    }
  };

  // 1. Embedded.
  for (const g of groups) {
    const source = g.source ?? 'dss';
    for (const der of g.ocsps ?? []) fromOcsp(der, source, `${source}-ocsp`);
    for (const der of g.crls ?? []) fromCrl(der, source, `${source}-crl`);
  }

  // 2. Cache (the OCSP answer for this certificate; CRLs are looked up by URL below).
  if (!decisive() && o.cache) {
    try {
      const c = await o.cache.get(sha256, now);
      if (c?.kind === 'ocsp') fromOcsp(c.der, 'cache', 'cache-ocsp', c.url);
      else if (c?.kind === 'crl') fromCrl(c.der, 'cache', 'cache-crl', c.url);
    } catch (err) {
      errors.push(`cache: ${codeOf(err)}`);
    }
  }

  const put = async (key: string, e: Evidence): Promise<void> => {
    if (!o.cache) return;
    const entry: CachedRevocation = { kind: e.kind, der: e.der, thisUpdate: e.thisUpdate, fetchedAt: now };
    if (e.nextUpdate) entry.nextUpdate = e.nextUpdate;
    if (e.url) entry.url = e.url;
    try {
      await o.cache.put(key, entry);
    } catch (err) {
      errors.push(`cache: ${codeOf(err)}`);
    }
  };

  // 3. Online OCSP.
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const net = {
    timeoutMs,
    ...(o.fetchImpl ? { fetchImpl: o.fetchImpl } : {}),
    ...(o.retryDelayMs !== undefined ? { retryDelayMs: o.retryDelayMs } : {}),
  };
  if (!decisive() && !o.offline) {
    const urls = [...new Set(safeUrls(ocspUrlsOf, certDer).map((u) => applyUrlOverrides(u, o.urlOverrides)))];
    for (const url of urls.filter(isHttpUrl)) {
      try {
        const r = await fetchOcsp({ certDer, issuerDer, url, now, ...net });
        const before = found.length;
        fromOcsp(r.responseDer, 'online-ocsp', 'online-ocsp', url);
        const e = found[before];
        if (e) await put(sha256, e);
        if (decisive()) break;
      } catch (err) {
        errors.push(`online-ocsp: ${codeOf(err)}`);
      }
    }
  }

  // 4. CRLs: the cached copy of a URL, else a download.
  if (!decisive()) {
    const urls = [
      ...new Set(
        [...safeUrls(crlUrlsOf, certDer), ...(o.extraCrlUrls ?? [])].map((u) => applyUrlOverrides(u, o.urlOverrides)),
      ),
    ].filter(isHttpUrl);
    for (const url of urls) {
      const key = cacheKeyForCrl(url);
      let cached = false;
      if (o.cache) {
        try {
          const c = await o.cache.get(key, now);
          if (c?.kind === 'crl') {
            cached = true;
            fromCrl(c.der, 'cache', 'cache-crl', url);
          }
        } catch (err) {
          errors.push(`cache: ${codeOf(err)}`);
        }
      }
      if (!cached && !o.offline) {
        try {
          const der = await fetchCrl(url, net);
          const before = found.length;
          // A downloaded CRL must be current now, not only well-signed.
          isRevokedInCrlCurrent(der, certDer, issuerDer, now, issuerName);
          fromCrl(der, 'online-crl', 'online-crl', url);
          const e = found[before];
          if (e) {
            await put(key, e);
            await put(sha256, e);
          }
        } catch (err) {
          errors.push(`online-crl: ${codeOf(err)}`);
        }
      }
      if (decisive()) break;
    }
  }

  const chosen =
    decisive() ??
    // Nothing decisive: the newest verified answer, so the report can say what is known.
    [...found].sort((a, b) => b.thisUpdate.getTime() - a.thisUpdate.getTime())[0];
  if (!chosen) return { index, sha256, status: 'unknown', source: 'none', freshEnough: false, errors };
  const out: CertRevocation = {
    index,
    sha256,
    status: chosen.status,
    source: chosen.source,
    freshEnough: chosen.status === 'revoked' || fresh(chosen),
    kind: chosen.kind,
    thisUpdate: chosen.thisUpdate,
    evidenceDer: chosen.der,
    errors,
  };
  if (chosen.nextUpdate) out.nextUpdate = chosen.nextUpdate;
  if (chosen.revocationTime) out.revocationTime = chosen.revocationTime;
  if (chosen.reason) out.reason = chosen.reason;
  if (chosen.url) out.url = chosen.url;
  return out;
}

function safeUrls(read: (der: Buffer) => string[], der: Buffer): string[] {
  try {
    return read(der);
  } catch {
    return [];
  }
}

/** Throws REVOCATION_STALE for an expired download (CRL servers behind caches serve old copies). */
function isRevokedInCrlCurrent(der: Buffer, certDer: Buffer, issuerDer: Buffer, now: Date, issuerName: Buffer): void {
  if (!parseCrl(der).issuerDer.equals(issuerName)) return; // reported as not applicable by fromCrl
  isRevokedInCrl(der, certDer, issuerDer, { now });
}
