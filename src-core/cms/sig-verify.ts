/**
 * Signature checks with node:crypto for every algorithm identifier a CMS, OCSP response or CRL
 * may carry. The answer says which hash and scheme were used so callers can apply policy
 * (MD5/SHA-1 are flagged by them, not refused here: a report must still say "valid but weak").
 */
import { constants, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { children, expect, isCtx, parse, readSmallInt, TAG } from './der.js';
import { hashByOid, nodeHash, OID, sigAlgByOid } from './oids.js';
import type { HashName, SigScheme } from './oids.js';
import { readAlgId } from './x509.js';
import type { AlgId } from './x509.js';

export interface PssParams {
  hash: HashName;
  mgfHash: HashName;
  saltLength: number;
}

export interface SigCheck {
  ok: boolean;
  scheme?: SigScheme;
  hash?: HashName;
  /** Why the signature could not even be checked (unknown algorithm, key type mismatch…). */
  problem?: string;
}

/** RSASSA-PSS-params (RFC 4055 3.1) with its SHA-1 defaults. */
export function parsePssParams(params: Buffer | undefined): PssParams {
  const out: PssParams = { hash: 'SHA-1', mgfHash: 'SHA-1', saltLength: 20 };
  if (!params) return out;
  for (const f of children(expect(parse(params), TAG.sequence, 'RSASSA-PSS-params'))) {
    const inner = children(f)[0];
    if (isCtx(f, 0)) {
      const h = hashByOid(readAlgId(inner).oid);
      if (!h) throw new Error('unknown PSS hash');
      out.hash = h;
    } else if (isCtx(f, 1)) {
      const mgf = readAlgId(inner);
      if (mgf.oid !== OID.mgf1 || !mgf.params) throw new Error('unknown PSS mask generation');
      const h = hashByOid(readAlgId(parse(mgf.params)).oid);
      if (!h) throw new Error('unknown MGF1 hash');
      out.mgfHash = h;
    } else if (isCtx(f, 2)) {
      out.saltLength = readSmallInt(inner, 'saltLength');
    } else if (isCtx(f, 3)) {
      if (readSmallInt(inner, 'trailerField') !== 1) throw new Error('unsupported PSS trailer');
    }
  }
  return out;
}

/**
 * Verifies `signature` over `data`. `digestHash` is the hash named elsewhere (a SignerInfo's
 * digestAlgorithm) and is required when the algorithm OID does not name one (rsaEncryption,
 * id-ecPublicKey).
 */
export function verifySignature(opts: {
  algorithm: AlgId;
  digestHash?: HashName;
  data: Buffer;
  signature: Buffer;
  publicKey: KeyObject;
}): SigCheck {
  const info = sigAlgByOid(opts.algorithm.oid);
  if (!info) return { ok: false, problem: `unsupported signature algorithm ${opts.algorithm.oid}` };
  const keyType = opts.publicKey.asymmetricKeyType;
  try {
    if (info.scheme === 'RSA-PSS') {
      const pss = parsePssParams(opts.algorithm.params);
      // node:crypto always uses MGF1 with the signature hash; other combinations cannot be checked.
      if (pss.mgfHash !== pss.hash)
        return { ok: false, scheme: 'RSA-PSS', hash: pss.hash, problem: 'PSS MGF1 hash differs' };
      if (keyType !== 'rsa' && keyType !== 'rsa-pss')
        return { ok: false, scheme: 'RSA-PSS', problem: 'key is not RSA' };
      const ok = verify(
        nodeHash(pss.hash),
        opts.data,
        { key: opts.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pss.saltLength },
        opts.signature,
      );
      return { ok, scheme: 'RSA-PSS', hash: pss.hash };
    }
    const hash = info.hash ?? opts.digestHash;
    if (!hash) return { ok: false, scheme: info.scheme, problem: 'no hash algorithm for the signature' };
    if (info.scheme === 'RSA-PKCS1') {
      if (keyType !== 'rsa') return { ok: false, scheme: info.scheme, hash, problem: 'key is not RSA' };
      const ok = verify(
        nodeHash(hash),
        opts.data,
        { key: opts.publicKey, padding: constants.RSA_PKCS1_PADDING },
        opts.signature,
      );
      return { ok, scheme: info.scheme, hash };
    }
    if (keyType !== 'ec') return { ok: false, scheme: info.scheme, hash, problem: 'key is not EC' };
    const ok = verify(nodeHash(hash), opts.data, { key: opts.publicKey, dsaEncoding: 'der' }, opts.signature);
    return { ok, scheme: info.scheme, hash };
  } catch (e) {
    // node:crypto throws on some malformed signatures and unsupported digests; both mean "not valid".
    return { ok: false, scheme: info.scheme, problem: e instanceof Error ? e.message : 'verification failed' };
  }
}
