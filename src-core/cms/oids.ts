/** Object identifiers used by the CMS layer, with where they are defined. */
export const OID = {
  // RFC 5652
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  // RFC 2634 / RFC 5035 (ESS)
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  // RFC 3161
  signatureTimeStampToken: '1.2.840.113549.1.9.16.2.14',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  // digests (RFC 3279, RFC 5754)
  md5: '1.2.840.113549.2.5',
  sha1: '1.3.14.3.2.26',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  // RSA (RFC 8017, RFC 4055)
  rsaEncryption: '1.2.840.113549.1.1.1',
  md5WithRsa: '1.2.840.113549.1.1.4',
  sha1WithRsa: '1.2.840.113549.1.1.5',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  sha384WithRsa: '1.2.840.113549.1.1.12',
  sha512WithRsa: '1.2.840.113549.1.1.13',
  sha224WithRsa: '1.2.840.113549.1.1.14',
  rsaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  // EC (RFC 5480, RFC 5758)
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha1: '1.2.840.10045.4.1',
  ecdsaWithSha224: '1.2.840.10045.4.3.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  // X.509 (RFC 5280)
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  crlReason: '2.5.29.21',
  crlDistributionPoints: '2.5.29.31',
  extKeyUsage: '2.5.29.37',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  adOcsp: '1.3.6.1.5.5.7.48.1',
  adCaIssuers: '1.3.6.1.5.5.7.48.2',
  kpTimeStamping: '1.3.6.1.5.5.7.3.8',
  kpOcspSigning: '1.3.6.1.5.5.7.3.9',
  // OCSP (RFC 6960, RFC 8954)
  ocspBasic: '1.3.6.1.5.5.7.48.1.1',
  ocspNonce: '1.3.6.1.5.5.7.48.1.2',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
} as const;

export type HashName = 'MD5' | 'SHA-1' | 'SHA-224' | 'SHA-256' | 'SHA-384' | 'SHA-512';
/** The hashes we sign with. */
export type SigningHash = 'SHA-256' | 'SHA-384' | 'SHA-512';

const HASH_BY_OID: Record<string, HashName> = {
  [OID.md5]: 'MD5',
  [OID.sha1]: 'SHA-1',
  [OID.sha224]: 'SHA-224',
  [OID.sha256]: 'SHA-256',
  [OID.sha384]: 'SHA-384',
  [OID.sha512]: 'SHA-512',
};

export const HASH_OID: Record<HashName, string> = {
  MD5: OID.md5,
  'SHA-1': OID.sha1,
  'SHA-224': OID.sha224,
  'SHA-256': OID.sha256,
  'SHA-384': OID.sha384,
  'SHA-512': OID.sha512,
};

export const HASH_LENGTH: Record<HashName, number> = {
  MD5: 16,
  'SHA-1': 20,
  'SHA-224': 28,
  'SHA-256': 32,
  'SHA-384': 48,
  'SHA-512': 64,
};

export const hashByOid = (oid: string): HashName | undefined => HASH_BY_OID[oid];

/** node:crypto's name for a hash. */
export const nodeHash = (h: HashName): string => h.replace('-', '').toLowerCase();

/** Hashes no longer acceptable for signatures (ETSI TS 119 312). */
export const WEAK_HASHES: ReadonlySet<HashName> = new Set<HashName>(['MD5', 'SHA-1']);

export type SigScheme = 'RSA-PKCS1' | 'RSA-PSS' | 'ECDSA';

/** What a signatureAlgorithm OID says: the scheme and, for combined OIDs, the hash. */
export interface SigAlgInfo {
  scheme: SigScheme;
  /** Absent for rsaEncryption / id-ecPublicKey (hash comes from digestAlgorithm) and PSS (from params). */
  hash?: HashName;
}

const SIG_BY_OID: Record<string, SigAlgInfo> = {
  [OID.rsaEncryption]: { scheme: 'RSA-PKCS1' },
  [OID.md5WithRsa]: { scheme: 'RSA-PKCS1', hash: 'MD5' },
  [OID.sha1WithRsa]: { scheme: 'RSA-PKCS1', hash: 'SHA-1' },
  [OID.sha224WithRsa]: { scheme: 'RSA-PKCS1', hash: 'SHA-224' },
  [OID.sha256WithRsa]: { scheme: 'RSA-PKCS1', hash: 'SHA-256' },
  [OID.sha384WithRsa]: { scheme: 'RSA-PKCS1', hash: 'SHA-384' },
  [OID.sha512WithRsa]: { scheme: 'RSA-PKCS1', hash: 'SHA-512' },
  [OID.rsaPss]: { scheme: 'RSA-PSS' },
  [OID.ecPublicKey]: { scheme: 'ECDSA' },
  [OID.ecdsaWithSha1]: { scheme: 'ECDSA', hash: 'SHA-1' },
  [OID.ecdsaWithSha224]: { scheme: 'ECDSA', hash: 'SHA-224' },
  [OID.ecdsaWithSha256]: { scheme: 'ECDSA', hash: 'SHA-256' },
  [OID.ecdsaWithSha384]: { scheme: 'ECDSA', hash: 'SHA-384' },
  [OID.ecdsaWithSha512]: { scheme: 'ECDSA', hash: 'SHA-512' },
};

export const sigAlgByOid = (oid: string): SigAlgInfo | undefined => SIG_BY_OID[oid];

export const ECDSA_OID: Record<SigningHash, string> = {
  'SHA-256': OID.ecdsaWithSha256,
  'SHA-384': OID.ecdsaWithSha384,
  'SHA-512': OID.ecdsaWithSha512,
};

/** Readable names for reports. */
export function oidName(oid: string): string {
  for (const [name, value] of Object.entries(OID)) if (value === oid) return name;
  return oid;
}
