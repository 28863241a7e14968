/**
 * Sessions: opaque random tokens, stored only as SHA-256 hashes (a database leak gives no usable
 * token). Access tokens live 15 minutes; refresh tokens 30 days and rotate on every use. All the
 * tokens of one login form a family: presenting an already used refresh token means it was
 * copied, so the whole family is revoked (RFC 6819 5.2.2.3 / OAuth 2.1 refresh rotation).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Db, Queryable } from '../db/adapter.js';
import { one } from '../db/adapter.js';
import type { Role, UserInfo } from '../../src-shared/api/sync-types.js';
import { ServerError } from '../errors.js';

export interface SessionPolicy {
  accessTtlMs: number;
  refreshTtlMs: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = {
  accessTtlMs: 15 * 60 * 1000,
  refreshTtlMs: 30 * 24 * 3600 * 1000,
};

export interface AuthUser {
  id: number;
  username: string;
  fullName: string;
  title: string;
  role: Role;
  orgId: string;
  orgName: string;
  unitId: number | null;
  unitName: string | null;
  familyId: string;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  refreshExpiresIn: number;
}

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');
const newToken = (prefix: string): string => `${prefix}_${randomBytes(32).toString('base64url')}`;

async function issuePair(
  tx: Queryable,
  userId: number,
  familyId: string,
  now: number,
  policy: SessionPolicy,
): Promise<IssuedTokens> {
  const accessToken = newToken('kat');
  const refreshToken = newToken('krt');
  await tx.exec('INSERT INTO access_tokens (token_hash, family_id, user_id, expires_at) VALUES (?, ?, ?, ?)', [
    hashToken(accessToken),
    familyId,
    userId,
    now + policy.accessTtlMs,
  ]);
  await tx.exec('INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at) VALUES (?, ?, ?, ?)', [
    hashToken(refreshToken),
    familyId,
    userId,
    now + policy.refreshTtlMs,
  ]);
  return {
    accessToken,
    refreshToken,
    expiresIn: Math.floor(policy.accessTtlMs / 1000),
    refreshExpiresIn: Math.floor(policy.refreshTtlMs / 1000),
  };
}

export async function startSession(db: Db, userId: number, now: number, policy: SessionPolicy): Promise<IssuedTokens> {
  return db.transaction(async (tx) => {
    const familyId = randomBytes(16).toString('hex');
    await tx.exec('INSERT INTO token_families (id, user_id, created_at) VALUES (?, ?, ?)', [familyId, userId, now]);
    return issuePair(tx, userId, familyId, now, policy);
  });
}

export async function revokeFamily(q: Queryable, familyId: string, reason: string, now: number): Promise<void> {
  await q.exec('UPDATE token_families SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL', [
    now,
    reason,
    familyId,
  ]);
  // Deleting live access tokens makes revocation immediate, not at their expiry.
  await q.exec('DELETE FROM access_tokens WHERE family_id = ?', [familyId]);
}

export async function rotateRefresh(
  db: Db,
  refreshToken: string,
  now: number,
  policy: SessionPolicy,
): Promise<{ tokens: IssuedTokens; userId: number }> {
  const outcome = await db.transaction(async (tx) => {
    const row = await one<{ family_id: string; user_id: number; expires_at: number; used_at: number | null }>(
      tx,
      `SELECT r.family_id, r.user_id, r.expires_at, r.used_at FROM refresh_tokens r
       JOIN token_families f ON f.id = r.family_id
       WHERE r.token_hash = ? AND f.revoked_at IS NULL${tx.forUpdate}`,
      [hashToken(refreshToken)],
    );
    if (!row || row.expires_at <= now) return { kind: 'invalid' as const };
    if (row.used_at !== null) {
      // Committed before the error is raised, or the rollback would undo the revocation.
      await revokeFamily(tx, row.family_id, 'refresh-reuse', now);
      return { kind: 'reused' as const, userId: row.user_id };
    }
    const used = await tx.exec('UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL', [
      now,
      hashToken(refreshToken),
    ]);
    if (used.changes !== 1) return { kind: 'invalid' as const };
    const tokens = await issuePair(tx, row.user_id, row.family_id, now, policy);
    return { kind: 'ok' as const, tokens, userId: row.user_id };
  });
  if (outcome.kind === 'invalid') throw new ServerError(401, 'REFRESH_INVALID');
  if (outcome.kind === 'reused') throw new ServerError(401, 'REFRESH_REUSED');
  return { tokens: outcome.tokens, userId: outcome.userId };
}

interface UserRow {
  id: number;
  username: string;
  full_name: string;
  title: string;
  role: string;
  org_id: string;
  org_name: string;
  unit_id: number | null;
  unit_name: string | null;
}

const USER_COLUMNS = `u.id, u.username, u.full_name, u.title, u.role, u.org_id, o.name AS org_name,
  u.unit_id, un.name AS unit_name`;
const USER_JOINS = `JOIN organisations o ON o.id = u.org_id LEFT JOIN units un ON un.id = u.unit_id`;

function toAuthUser(r: UserRow, familyId: string): AuthUser {
  return {
    id: r.id,
    username: r.username,
    fullName: r.full_name,
    title: r.title,
    role: r.role as Role,
    orgId: r.org_id,
    orgName: r.org_name,
    unitId: r.unit_id,
    unitName: r.unit_name,
    familyId,
  };
}

export async function authenticate(q: Queryable, accessToken: string, now: number): Promise<AuthUser | null> {
  const row = await one<UserRow & { family_id: string }>(
    q,
    `SELECT ${USER_COLUMNS}, t.family_id FROM access_tokens t
     JOIN token_families f ON f.id = t.family_id
     JOIN users u ON u.id = t.user_id ${USER_JOINS}
     WHERE t.token_hash = ? AND t.expires_at > ? AND f.revoked_at IS NULL AND u.disabled = 0`,
    [hashToken(accessToken), now],
  );
  return row ? toAuthUser(row, row.family_id) : null;
}

export async function loadUserInfo(q: Queryable, userId: number): Promise<UserInfo> {
  const r = await one<UserRow>(q, `SELECT ${USER_COLUMNS} FROM users u ${USER_JOINS} WHERE u.id = ?`, [userId]);
  if (!r) throw new ServerError(401, 'UNAUTHENTICATED');
  return userInfoOf(toAuthUser(r, ''));
}

export function userInfoOf(u: AuthUser): UserInfo {
  return {
    id: u.id,
    username: u.username,
    fullName: u.fullName,
    title: u.title,
    role: u.role,
    organisation: { id: u.orgId, name: u.orgName },
    unit: u.unitId === null ? null : { id: u.unitId, name: u.unitName ?? '' },
  };
}
