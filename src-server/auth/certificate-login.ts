/**
 * Login with the token certificate: the server hands out a single-use challenge string; the
 * client signs its UTF-8 bytes with the token key and returns the certificate DER with the
 * signature. The string starts with "kyso-login-v1:", so a login signature can never be taken
 * for a document signature (those sign DER signed attributes, which start with 0x31).
 *
 * Accepted: RSA PKCS#1 v1.5 with SHA-256, and ECDSA P-256 with SHA-256 as DER or as raw r||s
 * (what PKCS#11 CKM_ECDSA returns). Binding is by the certificate's SHA-256 fingerprint, pinned
 * by an administrator, so no chain building is needed here; revocation is not checked (yet).
 */
import { X509Certificate, constants, createHash, randomBytes, verify } from 'node:crypto';
import type { Queryable } from '../db/adapter.js';
import { one } from '../db/adapter.js';
import type { ChallengeResponse, CertificateLoginRequest } from '../../src-shared/api/sync-types.js';
import { ServerError } from '../errors.js';

export const CHALLENGE_TTL_MS = 2 * 60 * 1000;

export async function createChallenge(q: Queryable, now: number): Promise<ChallengeResponse> {
  const challengeId = randomBytes(16).toString('base64url');
  const challenge = `kyso-login-v1:${challengeId}:${randomBytes(32).toString('base64url')}`;
  const expiresAt = now + CHALLENGE_TTL_MS;
  await q.exec('INSERT INTO challenges (id, challenge, expires_at) VALUES (?, ?, ?)', [
    challengeId,
    challenge,
    expiresAt,
  ]);
  // Expired challenges are dead weight; drop them as new ones are made.
  await q.exec('DELETE FROM challenges WHERE expires_at < ?', [now - CHALLENGE_TTL_MS]);
  return { challengeId, challenge, expiresAt: new Date(expiresAt).toISOString() };
}

export interface ParsedLoginCertificate {
  cert: X509Certificate;
  sha256: string;
}

export function parseLoginCertificate(b64: string): ParsedLoginCertificate {
  const der = Buffer.from(b64, 'base64');
  try {
    const cert = new X509Certificate(der);
    return { cert, sha256: createHash('sha256').update(der).digest('hex') };
  } catch {
    throw new ServerError(400, 'CERTIFICATE_INVALID');
  }
}

/** Marks the challenge used (single use even when the rest fails) and returns its text. */
export async function consumeChallenge(q: Queryable, challengeId: string, now: number): Promise<string> {
  const row = await one<{ challenge: string }>(
    q,
    'UPDATE challenges SET used_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ? RETURNING challenge',
    [now, challengeId, now],
  );
  if (!row) throw new ServerError(401, 'CHALLENGE_INVALID');
  return row.challenge;
}

export function checkValidity(cert: X509Certificate, now: number): void {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  if (!(from <= now && now <= to)) throw new ServerError(401, 'CERTIFICATE_EXPIRED');
}

export function verifyChallengeSignature(cert: X509Certificate, challenge: string, signatureB64: string): boolean {
  const key = cert.publicKey;
  const data = Buffer.from(challenge, 'utf8');
  const sig = Buffer.from(signatureB64, 'base64');
  if (key.asymmetricKeyType === 'rsa') {
    return verify('sha256', data, { key, padding: constants.RSA_PKCS1_PADDING }, sig);
  }
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    const dsaEncoding = sig.length === 64 ? 'ieee-p1363' : 'der';
    try {
      return verify('sha256', data, { key, dsaEncoding }, sig);
    } catch {
      return false;
    }
  }
  throw new ServerError(400, 'CERTIFICATE_INVALID');
}

export type { CertificateLoginRequest };
