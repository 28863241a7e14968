/**
 * Reads an X.509 certificate into what a person needs to see: Vietnamese names exactly as
 * written (UTF8String or PrintableString, no transliteration), the ids carried in UID
 * (CMND:, CCCD:, MST:, HC:, BHXH:), issuer, validity, key usage. Parsing is pkijs/asn1js.
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { KysoError } from '../../src-shared/errors.js';
import type { PersonId } from '../../src-shared/api/token-types.js';

export const OID = {
  commonName: '2.5.4.3',
  surname: '2.5.4.4',
  serialNumber: '2.5.4.5',
  country: '2.5.4.6',
  locality: '2.5.4.7',
  province: '2.5.4.8',
  street: '2.5.4.9',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  title: '2.5.4.12',
  givenName: '2.5.4.42',
  uid: '0.9.2342.19200300.100.1.1',
  email: '1.2.840.113549.1.9.1',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  basicConstraints: '2.5.29.19',
} as const;

const SHORT: Record<string, string> = {
  [OID.commonName]: 'CN',
  [OID.surname]: 'SN',
  [OID.serialNumber]: 'SERIALNUMBER',
  [OID.country]: 'C',
  [OID.locality]: 'L',
  [OID.province]: 'ST',
  [OID.street]: 'STREET',
  [OID.organization]: 'O',
  [OID.organizationalUnit]: 'OU',
  [OID.title]: 'T',
  [OID.givenName]: 'GN',
  [OID.uid]: 'UID',
  [OID.email]: 'E',
};

const EKU_NAMES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '1.3.6.1.4.1.311.10.3.12': 'documentSigning',
  '1.2.840.113583.1.1.5': 'pdfAuthenticDocuments',
};

const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

/** The id prefixes public CAs and VGCA put in UID, e.g. `CCCD:001085012345`, `MST:0100100079`. */
const ID_KINDS = ['CMND', 'CCCD', 'MST', 'HC', 'BHXH', 'MNS', 'CMT'];

export interface NameAttr {
  oid: string;
  short: string;
  value: string;
}

export interface DecodedCertificate {
  der: Buffer;
  cert: pkijs.Certificate;
  subject: NameAttr[];
  issuer: NameAttr[];
  subjectDn: string;
  issuerDn: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  keyAlgorithm: string;
  keyUsage: string[];
  extendedKeyUsage: string[];
  isCa: boolean;
  sha256: string;
  ids: PersonId[];
}

function nameAttrs(name: pkijs.RelativeDistinguishedNames): NameAttr[] {
  return name.typesAndValues.map((tv) => {
    const v = tv.value as asn1js.AsnType & { valueBlock: { value?: unknown } };
    const raw = v.valueBlock.value;
    const value = typeof raw === 'string' ? raw : String(raw ?? '');
    return { oid: tv.type, short: SHORT[tv.type] ?? tv.type, value };
  });
}

function dn(attrs: NameAttr[]): string {
  // Most significant first, as openssl -nameopt RFC2253 prints in reverse; we keep the DER order.
  return attrs.map((a) => `${a.short}=${a.value}`).join(', ');
}

export function parseIds(values: string[]): PersonId[] {
  const out: PersonId[] = [];
  for (const v of values) {
    const m = /^([A-Za-z]+)\s*:\s*(.+)$/.exec(v.trim());
    if (m && ID_KINDS.includes(m[1]!.toUpperCase())) out.push({ kind: m[1]!.toUpperCase(), value: m[2]!.trim() });
  }
  return out;
}

export function decodeCertificate(der: Uint8Array): DecodedCertificate {
  let cert: pkijs.Certificate;
  try {
    cert = pkijs.Certificate.fromBER(der);
  } catch {
    throw new KysoError('INPUT_MALFORMED', 'error.inputMalformed', { detail: 'X.509' });
  }
  const subject = nameAttrs(cert.subject);
  const issuer = nameAttrs(cert.issuer);
  let keyUsage: string[] = [];
  let extendedKeyUsage: string[] = [];
  let isCa = false;
  for (const ext of cert.extensions ?? []) {
    if (ext.extnID === OID.keyUsage && ext.parsedValue instanceof asn1js.BitString) {
      const bytes = new Uint8Array(ext.parsedValue.valueBlock.valueHexView);
      keyUsage = KEY_USAGE_BITS.filter((_, i) => ((bytes[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0);
    } else if (ext.extnID === OID.extKeyUsage && ext.parsedValue instanceof pkijs.ExtKeyUsage) {
      extendedKeyUsage = ext.parsedValue.keyPurposes.map((p) => EKU_NAMES[p] ?? p);
    } else if (ext.extnID === OID.basicConstraints && ext.parsedValue instanceof pkijs.BasicConstraints) {
      isCa = Boolean(ext.parsedValue.cA);
    }
  }
  const algOid = cert.subjectPublicKeyInfo.algorithm.algorithmId;
  const keyAlgorithm =
    algOid === '1.2.840.113549.1.1.1'
      ? `RSA-${rsaBits(cert)}`
      : algOid === '1.2.840.10045.2.1'
        ? `EC-${ecCurve(cert)}`
        : algOid;
  const buf = Buffer.from(der);
  return {
    der: buf,
    cert,
    subject,
    issuer,
    subjectDn: dn(subject),
    issuerDn: dn(issuer),
    // DER INTEGERs carry a leading 00 when the top bit is set; people compare without it.
    serialNumber: Buffer.from(cert.serialNumber.valueBlock.valueHexView)
      .toString('hex')
      .toUpperCase()
      .replace(/^(00)+(?=..)/, ''),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    keyAlgorithm,
    keyUsage,
    extendedKeyUsage,
    isCa,
    sha256: createHash('sha256').update(buf).digest('hex').toUpperCase(),
    ids: parseIds(subject.filter((a) => a.oid === OID.uid || a.oid === OID.serialNumber).map((a) => a.value)),
  };
}

function rsaBits(cert: pkijs.Certificate): number {
  try {
    const pub = cert.subjectPublicKeyInfo.parsedKey as pkijs.RSAPublicKey | undefined;
    const n = pub ? new Uint8Array(pub.modulus.valueBlock.valueHexView) : new Uint8Array();
    let i = 0;
    while (i < n.length && n[i] === 0) i++;
    return (n.length - i) * 8;
  } catch {
    return 0;
  }
}

function ecCurve(cert: pkijs.Certificate): string {
  const params = cert.subjectPublicKeyInfo.algorithm.algorithmParams as asn1js.ObjectIdentifier | undefined;
  const oid = params?.valueBlock?.toString?.() ?? '';
  return { '1.2.840.10045.3.1.7': 'P-256', '1.3.132.0.34': 'P-384', '1.3.132.0.35': 'P-521' }[oid] ?? oid;
}

export function first(attrs: NameAttr[], oid: string): string | undefined {
  return attrs.find((a) => a.oid === oid)?.value;
}
