/**
 * Where a certificate says its revocation data and issuer live: AIA (OCSP, caIssuers) and CRL
 * distribution points. A malformed extension yields no URLs rather than an error: a missing URL
 * is reported where it matters (REVOCATION_NO_URL), with the certificate named.
 */
import { KysoError } from '../../src-shared/errors.js';
import { children, content, expect, isCtx, parse, readOid, TAG } from './der.js';
import type { Node } from './der.js';
import { OID } from './oids.js';
import { parseCertificate } from './x509.js';
import type { CertInfo } from './x509.js';

function certOf(certDer: Buffer): CertInfo {
  try {
    return parseCertificate(certDer);
  } catch (e) {
    throw new KysoError('CMS_INPUT_INVALID', 'cms.inputInvalid', {
      detail: `certificate: ${e instanceof Error ? e.message : 'unreadable'}`,
    });
  }
}

// GeneralName uniformResourceIdentifier is [6] IMPLICIT IA5String.
const uriOf = (n: Node): string | null => (isCtx(n, 6) && !n.constructed ? content(n).toString('latin1') : null);

function accessUrls(cert: CertInfo, method: string): string[] {
  const ext = cert.extensions.get(OID.authorityInfoAccess);
  if (!ext) return [];
  try {
    const out: string[] = [];
    for (const ad of children(expect(parse(ext.value), TAG.sequence, 'AuthorityInfoAccess'))) {
      const [m, loc] = children(expect(ad, TAG.sequence, 'AccessDescription'));
      const uri = loc ? uriOf(loc) : null;
      if (readOid(m) === method && uri) out.push(uri);
    }
    return out;
  } catch {
    return [];
  }
}

export const ocspUrlsOf = (certDer: Buffer): string[] => accessUrls(certOf(certDer), OID.adOcsp);
export const caIssuersUrlsOf = (certDer: Buffer): string[] => accessUrls(certOf(certDer), OID.adCaIssuers);

/** URIs of the fullName of each distribution point (nameRelativeToCRLIssuer is not resolved). */
export function crlUrlsOf(certDer: Buffer): string[] {
  const ext = certOf(certDer).extensions.get(OID.crlDistributionPoints);
  if (!ext) return [];
  try {
    const out: string[] = [];
    for (const dp of children(expect(parse(ext.value), TAG.sequence, 'CRLDistributionPoints'))) {
      const name = children(expect(dp, TAG.sequence, 'DistributionPoint')).find((n) => isCtx(n, 0));
      const fullName = name ? children(name).find((n) => isCtx(n, 0) && n.constructed) : undefined;
      for (const g of fullName ? children(fullName) : []) {
        const uri = uriOf(g);
        if (uri) out.push(uri);
      }
    }
    return out;
  } catch {
    return [];
  }
}

export const isHttpUrl = (u: string): boolean => /^https?:\/\//i.test(u);
