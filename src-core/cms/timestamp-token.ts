/**
 * RFC 3161 timestamp tokens: a SignedData whose content is a TSTInfo. Checked the same way
 * whether it comes fresh from a TSA or embedded in a signature: the token's own signature
 * (signed attributes, message digest over the TSTInfo, ESS signing certificate), the TSA
 * certificate's critical timeStamping EKU, and the message imprint against what was stamped.
 *
 * Not done here: the TSA certificate's path to a trusted root and its revocation; that is the
 * validator's path building, the same as for signer certificates.
 */
import { createHash } from 'node:crypto';
import {
  children,
  DerError,
  expect,
  isCtx,
  parse,
  raw,
  readBoolean,
  readIntegerHex,
  readOctets,
  readOid,
  readSmallInt,
  readTime,
  TAG,
} from './der.js';
import { hashByOid, nodeHash, OID } from './oids.js';
import type { HashName } from './oids.js';
import { checkSignerInfo, checkSigningCertificate, findSignerCertificate, parseSignedData } from './signed-data.js';
import { extendedKeyUsage, readAlgId } from './x509.js';

export interface TstInfo {
  version: number;
  policy: string;
  imprintHashOid: string;
  /** undefined for a hash we do not know. */
  imprintHash?: HashName;
  imprint: Buffer;
  serialHex: string;
  genTime: Date;
  ordering: boolean;
  nonceHex?: string;
  /** The tsa GeneralName as encoded, when present. */
  tsaNameDer?: Buffer;
}

export function parseTstInfo(der: Buffer): TstInfo {
  const f = children(expect(parse(der), TAG.sequence, 'TSTInfo'));
  const version = readSmallInt(f[0], 'TSTInfo.version');
  const policy = readOid(f[1], 'policy');
  const [alg, hashed] = children(expect(f[2], TAG.sequence, 'messageImprint'));
  const imprintHashOid = readAlgId(alg, 'messageImprint.hashAlgorithm').oid;
  const imprint = readOctets(hashed, 'hashedMessage');
  const serialHex = readIntegerHex(f[3], 'serialNumber');
  if (f[4]?.tagByte !== TAG.generalizedTime) throw new DerError('genTime: expected GeneralizedTime');
  const genTime = readTime(f[4], 'genTime');
  const out: TstInfo = { version, policy, imprintHashOid, imprint, serialHex, genTime, ordering: false };
  const h = hashByOid(imprintHashOid);
  if (h) out.imprintHash = h;
  for (const n of f.slice(5)) {
    if (n.tagByte === TAG.boolean) out.ordering = readBoolean(n, 'ordering');
    else if (n.tagByte === TAG.integer) out.nonceHex = readIntegerHex(n, 'nonce');
    else if (isCtx(n, 0)) out.tsaNameDer = raw(children(n)[0] ?? n);
  }
  return out;
}

export interface TimestampCheck {
  token: Buffer;
  tst?: TstInfo;
  genTime?: Date;
  /** The token's CMS signature, its message digest over the TSTInfo and its content type. */
  signatureValid: boolean;
  /** ESS signing-certificate(-v2) of the token names the TSA certificate used. */
  essOk: boolean;
  /** Critical EKU with id-kp-timeStamping on the TSA certificate. */
  ekuOk: boolean;
  /** null when no expected imprint was given. */
  imprintOk: boolean | null;
  tsaCertDer?: Buffer;
  certificatesDer: Buffer[];
  errors: string[];
}

export interface ImprintExpectation {
  /** Stamped data; hashed with the token's own imprint algorithm. */
  data?: Buffer;
  /** Or the digest we asked for, with its algorithm. */
  digest?: { hash: HashName; value: Buffer };
}

/** Checks a TimeStampToken (ContentInfo DER). Never throws: problems go to `errors`. */
export function verifyTimestampToken(
  token: Buffer,
  opts: { expected?: ImprintExpectation; extraCertificates?: readonly Buffer[] } = {},
): TimestampCheck {
  const out: TimestampCheck = {
    token,
    signatureValid: false,
    essOk: false,
    ekuOk: false,
    imprintOk: null,
    certificatesDer: [],
    errors: [],
  };
  try {
    const sd = parseSignedData(token);
    out.certificatesDer = sd.certificates;
    if (sd.eContentType !== OID.tstInfo || sd.eContent === undefined) {
      out.errors.push('timestamp-not-tstinfo');
      return out;
    }
    const tst = parseTstInfo(sd.eContent);
    out.tst = tst;
    out.genTime = tst.genTime;

    if (opts.expected?.data !== undefined) {
      if (!tst.imprintHash) out.errors.push(`timestamp-imprint-hash-unknown: ${tst.imprintHashOid}`);
      else {
        const d = createHash(nodeHash(tst.imprintHash)).update(opts.expected.data).digest();
        out.imprintOk = d.equals(tst.imprint);
      }
    } else if (opts.expected?.digest !== undefined) {
      out.imprintOk = tst.imprintHash === opts.expected.digest.hash && tst.imprint.equals(opts.expected.digest.value);
    }
    if (out.imprintOk === false) out.errors.push('timestamp-imprint-mismatch');

    if (sd.signerInfos.length !== 1) {
      out.errors.push(`timestamp-signer-count: ${sd.signerInfos.length}`);
      return out;
    }
    const si = sd.signerInfos[0]!;
    const cert = findSignerCertificate(si.sid, [...sd.certificates, ...(opts.extraCertificates ?? [])]);
    if (!cert) {
      out.errors.push('timestamp-certificate-missing');
      return out;
    }
    out.tsaCertDer = cert.der;
    const digestHash = hashByOid(si.digestAlgorithm.oid);
    const contentDigest = digestHash ? createHash(nodeHash(digestHash)).update(sd.eContent).digest() : null;
    const check = checkSignerInfo(si, cert, { contentDigest, eContentType: OID.tstInfo });
    out.signatureValid = check.signatureValid && check.digestMatches === true && check.contentTypeOk;
    out.errors.push(...check.errors.map((e) => `timestamp-${e}`));

    const ess = checkSigningCertificate(si.signedAttrs?.attributes ?? [], cert);
    out.essOk = ess.ok;
    if (!ess.ok) out.errors.push(`timestamp-signing-certificate: ${ess.problem ?? ''}`);

    try {
      const eku = extendedKeyUsage(cert);
      out.ekuOk = eku !== null && eku.critical && eku.purposes.includes(OID.kpTimeStamping);
    } catch {
      out.ekuOk = false;
    }
    if (!out.ekuOk) out.errors.push('timestamp-eku: TSA certificate lacks a critical timeStamping extended key usage');
  } catch (e) {
    out.errors.push(`timestamp-malformed: ${e instanceof Error ? e.message : String(e)}`);
  }
  return out;
}
