/**
 * Choosing how the token signs, from what it says it supports. The CMS layer always hands us
 * the bytes to be signed (the DER of the signed attributes) and the hash algorithm; this module
 * turns that into the input a given mechanism expects and the output CMS needs.
 */
import { createHash } from 'node:crypto';
import { KysoError } from '../../src-shared/errors.js';

export type HashAlg = 'SHA-256' | 'SHA-384' | 'SHA-512';
export type KeyKind = 'RSA' | 'EC';
export type SignScheme = 'RSA-PKCS1' | 'RSA-PSS' | 'ECDSA';

export const CKM = {
  RSA_PKCS: 0x1,
  RSA_PKCS_PSS: 0xd,
  SHA256_RSA_PKCS: 0x40,
  SHA384_RSA_PKCS: 0x41,
  SHA512_RSA_PKCS: 0x42,
  SHA256_RSA_PKCS_PSS: 0x43,
  SHA384_RSA_PKCS_PSS: 0x44,
  SHA512_RSA_PKCS_PSS: 0x45,
  SHA256: 0x250,
  SHA384: 0x260,
  SHA512: 0x270,
  ECDSA: 0x1041,
  ECDSA_SHA256: 0x1044,
  ECDSA_SHA384: 0x1045,
  ECDSA_SHA512: 0x1046,
} as const;

const CKG_MGF1: Record<HashAlg, number> = { 'SHA-256': 2, 'SHA-384': 3, 'SHA-512': 4 };
const HASH_CKM: Record<HashAlg, number> = { 'SHA-256': CKM.SHA256, 'SHA-384': CKM.SHA384, 'SHA-512': CKM.SHA512 };
const HASH_LEN: Record<HashAlg, number> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

/** DER DigestInfo prefixes (RFC 8017 §9.2 note 1) for CKM_RSA_PKCS, which signs raw DigestInfo. */
const DIGEST_INFO_PREFIX: Record<HashAlg, string> = {
  'SHA-256': '3031300d060960864801650304020105000420',
  'SHA-384': '3041300d060960864801650304020205000430',
  'SHA-512': '3051300d060960864801650304020305000440',
};

export interface MechanismPlan {
  scheme: SignScheme;
  hash: HashAlg;
  /** The CKM_ value passed to C_SignInit. */
  mechanism: number;
  /** PSS parameters when the mechanism needs them. */
  pss?: { hashAlg: number; mgf: number; saltLen: number };
  /** Turns the to-be-signed bytes into what C_Sign takes. */
  prepare(tbs: Buffer): Buffer;
  /** Turns C_Sign's output into what CMS stores (ECDSA: r||s → DER SEQUENCE). */
  finish(sig: Buffer): Buffer;
}

const nodeHash = (h: HashAlg): string => h.replace('-', '').toLowerCase();
export const digest = (h: HashAlg, data: Buffer): Buffer => createHash(nodeHash(h)).update(data).digest();

/**
 * Picks a mechanism from the token's list. Hash-and-sign mechanisms are preferred because the
 * token then sees the whole input (some drivers refuse raw CKM_RSA_PKCS for non-repudiation keys);
 * the raw ones are the fallback every token has.
 */
export function planMechanism(
  key: KeyKind,
  scheme: SignScheme,
  hash: HashAlg,
  supported: readonly number[],
): MechanismPlan {
  const has = (m: number): boolean => supported.includes(m);
  const identity = (b: Buffer): Buffer => b;
  if (key === 'RSA' && scheme === 'RSA-PKCS1') {
    const combined = { 'SHA-256': CKM.SHA256_RSA_PKCS, 'SHA-384': CKM.SHA384_RSA_PKCS, 'SHA-512': CKM.SHA512_RSA_PKCS }[
      hash
    ];
    if (has(combined)) return { scheme, hash, mechanism: combined, prepare: identity, finish: identity };
    if (has(CKM.RSA_PKCS)) {
      return {
        scheme,
        hash,
        mechanism: CKM.RSA_PKCS,
        prepare: (tbs) => Buffer.concat([Buffer.from(DIGEST_INFO_PREFIX[hash], 'hex'), digest(hash, tbs)]),
        finish: identity,
      };
    }
  }
  if (key === 'RSA' && scheme === 'RSA-PSS') {
    const pss = { hashAlg: HASH_CKM[hash], mgf: CKG_MGF1[hash], saltLen: HASH_LEN[hash] };
    const combined = {
      'SHA-256': CKM.SHA256_RSA_PKCS_PSS,
      'SHA-384': CKM.SHA384_RSA_PKCS_PSS,
      'SHA-512': CKM.SHA512_RSA_PKCS_PSS,
    }[hash];
    if (has(combined)) return { scheme, hash, mechanism: combined, pss, prepare: identity, finish: identity };
    if (has(CKM.RSA_PKCS_PSS)) {
      return { scheme, hash, mechanism: CKM.RSA_PKCS_PSS, pss, prepare: (tbs) => digest(hash, tbs), finish: identity };
    }
  }
  if (key === 'EC' && scheme === 'ECDSA') {
    const combined = { 'SHA-256': CKM.ECDSA_SHA256, 'SHA-384': CKM.ECDSA_SHA384, 'SHA-512': CKM.ECDSA_SHA512 }[hash];
    // Raw CKM_ECDSA over our own digest first: more tokens implement it than the combined ones.
    if (has(CKM.ECDSA))
      return { scheme, hash, mechanism: CKM.ECDSA, prepare: (tbs) => digest(hash, tbs), finish: ecdsaRawToDer };
    if (has(combined)) return { scheme, hash, mechanism: combined, prepare: identity, finish: ecdsaRawToDer };
  }
  throw new KysoError('MECHANISM_UNSUPPORTED', 'error.mechanismUnsupported', { detail: `${scheme} ${hash}` });
}

/** PKCS#11 returns ECDSA signatures as r‖s; CMS and X.509 want DER SEQUENCE { r INTEGER, s INTEGER }. */
export function ecdsaRawToDer(raw: Buffer): Buffer {
  if (raw.length === 0 || raw.length % 2 !== 0) {
    throw new KysoError('TOKEN_FUNCTION_FAILED', 'error.functionFailed', { ckr: 'ECDSA length' });
  }
  const half = raw.length / 2;
  const int = (b: Buffer): Buffer => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = b.subarray(i);
    if (v[0]! & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02]), derLen(v.length), v]);
  };
  const body = Buffer.concat([int(raw.subarray(0, half)), int(raw.subarray(half))]);
  return Buffer.concat([Buffer.from([0x30]), derLen(body.length), body]);
}

function derLen(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  return Buffer.from([0x82, n >> 8, n & 0xff]);
}
