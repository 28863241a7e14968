/**
 * Certificates out of the files people actually hand over: PEM (one or many), DER, bare base64
 * (some .cer exports), and PKCS#7 "certs-only" bundles (.p7b/.p7c, how rootca.gov.vn publishes
 * the national root). Only the bytes are extracted; trust decisions are the store's.
 */
import { children, expect, isCtx, parse, raw, readOid, TAG } from '../cms/der.js';
import { OID } from '../cms/oids.js';
import { parseCertificate } from '../cms/x509.js';

export interface CertificateFile {
  certs: Buffer[];
  /** Why nothing (or not everything) could be read. */
  error?: string;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

function fromPkcs7(der: Buffer): Buffer[] {
  const [type, explicit] = children(expect(parse(der), TAG.sequence, 'ContentInfo'));
  if (readOid(type) !== OID.signedData || !isCtx(explicit, 0)) throw new Error('not a PKCS#7 SignedData');
  const sd = children(expect(children(explicit!)[0], TAG.sequence, 'SignedData'));
  const certs = sd.find((n) => isCtx(n, 0) && n.constructed);
  // CertificateChoices other than a plain Certificate (attribute certificates…) are skipped.
  return certs
    ? children(certs)
        .filter((c) => c.tagByte === TAG.sequence)
        .map((c) => Buffer.from(raw(c)))
    : [];
}

/** One DER blob: a certificate or a PKCS#7 bundle. */
function fromDer(der: Buffer): Buffer[] {
  const top = children(expect(parse(der), TAG.sequence, 'top-level SEQUENCE'));
  if (top[0]?.tagByte === TAG.oid) return fromPkcs7(der);
  parseCertificate(der);
  return [der];
}

export function readCertificates(input: Buffer): CertificateFile {
  const text = input.subarray(0, Math.min(input.length, 1 << 20)).toString('latin1');
  try {
    if (text.includes('-----BEGIN')) {
      const certs: Buffer[] = [];
      const problems: string[] = [];
      for (const m of input.toString('latin1').matchAll(PEM_BLOCK)) {
        const label = m[1]!;
        if (!['CERTIFICATE', 'X509 CERTIFICATE', 'PKCS7', 'CMS'].includes(label)) continue;
        try {
          certs.push(...fromDer(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64')));
        } catch (e) {
          problems.push(`${label}: ${e instanceof Error ? e.message : 'unreadable'}`);
        }
      }
      if (certs.length === 0) return { certs, error: problems[0] ?? 'no certificate in the PEM file' };
      return problems.length > 0 ? { certs, error: problems.join('; ') } : { certs };
    }
    if (input[0] === 0x30) return { certs: fromDer(input) };
    const b64 = text.trim();
    if (/^[A-Za-z0-9+/=\s]+$/.test(b64) && b64.length > 0) return { certs: fromDer(Buffer.from(b64, 'base64')) };
    return { certs: [], error: 'neither PEM, DER nor base64' };
  } catch (e) {
    return { certs: [], error: e instanceof Error ? e.message : 'unreadable' };
  }
}
