/** Organisations, units, users and their bound certificates (used by the seed, tests and admin routes). */
import { X509Certificate, createHash } from 'node:crypto';
import type { Queryable } from '../db/adapter.js';
import { one } from '../db/adapter.js';
import { OrganisationId, type CertKind, type Role } from '../../src-shared/api/sync-types.js';
import { hashPassword } from '../auth/password-hash.js';

export async function createOrganisation(
  q: Queryable,
  org: { id: string; name: string; abbreviation: string },
): Promise<void> {
  OrganisationId.parse(org.id);
  await q.exec('INSERT INTO organisations (id, name, abbreviation) VALUES (?, ?, ?)', [
    org.id,
    org.name,
    org.abbreviation,
  ]);
}

export async function createUnit(q: Queryable, unit: { orgId: string; name: string; code: string }): Promise<number> {
  const r = await one<{ id: number }>(q, 'INSERT INTO units (org_id, name, code) VALUES (?, ?, ?) RETURNING id', [
    unit.orgId,
    unit.name,
    unit.code,
  ]);
  return r!.id;
}

export interface NewUser {
  orgId: string;
  unitId: number | null;
  username: string;
  fullName: string;
  title: string;
  role: Role;
  password?: string;
}

export async function createUser(q: Queryable, u: NewUser, now = Date.now()): Promise<number> {
  const hash = u.password === undefined ? null : await hashPassword(u.password);
  const r = await one<{ id: number }>(
    q,
    `INSERT INTO users (org_id, unit_id, username, full_name, title, role, password_hash, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    [u.orgId, u.unitId, u.username, u.fullName, u.title, u.role, hash, now],
  );
  return r!.id;
}

/** Binds a certificate (DER) to a user by its SHA-256 fingerprint; returns the fingerprint. */
export async function bindCertificate(
  q: Queryable,
  b: { userId: number; certDer: Uint8Array; kind: CertKind },
  now = Date.now(),
): Promise<string> {
  const cert = new X509Certificate(b.certDer);
  const sha256 = createHash('sha256').update(b.certDer).digest('hex');
  await q.exec(
    `INSERT INTO user_certificates (sha256, user_id, kind, subject, not_before, not_after, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [sha256, b.userId, b.kind, cert.subject, Date.parse(cert.validFrom), Date.parse(cert.validTo), now],
  );
  return sha256;
}
