/**
 * Failed-login limiter, kept in the database so it holds across restarts and across several
 * server processes on one PostgreSQL. The key is "<what was tried>|<client IP>": one attacker
 * cannot lock a user out from everywhere, and one IP cannot try unlimited passwords on a user.
 */
import type { Queryable } from '../db/adapter.js';

export interface RateLimitPolicy {
  maxFailures: number;
  windowMs: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitPolicy = { maxFailures: 5, windowMs: 15 * 60 * 1000 };

/** Seconds until the next attempt is allowed; 0 when allowed now. */
export async function retryAfterSeconds(
  q: Queryable,
  key: string,
  now: number,
  policy: RateLimitPolicy,
): Promise<number> {
  const rows = await q.query<{ at: number }>(
    'SELECT at FROM login_failures WHERE limiter_key = ? AND at > ? ORDER BY at DESC LIMIT ?',
    [key, now - policy.windowMs, policy.maxFailures],
  );
  if (rows.length < policy.maxFailures) return 0;
  // Allowed again when the oldest of the last maxFailures failures leaves the window.
  const oldest = rows[rows.length - 1]!.at;
  return Math.max(1, Math.ceil((oldest + policy.windowMs - now) / 1000));
}

export async function recordFailure(q: Queryable, key: string, now: number, policy: RateLimitPolicy): Promise<void> {
  await q.exec('INSERT INTO login_failures (limiter_key, at) VALUES (?, ?)', [key, now]);
  // Old rows are useless; trimming here keeps the table small without a background job.
  await q.exec('DELETE FROM login_failures WHERE limiter_key = ? AND at <= ?', [key, now - policy.windowMs]);
}

export async function clearFailures(q: Queryable, key: string): Promise<void> {
  await q.exec('DELETE FROM login_failures WHERE limiter_key = ?', [key]);
}
