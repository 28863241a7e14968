/**
 * Retry delays: exponential, capped, with jitter so that a hundred clients coming back after a
 * network outage do not all knock at the same second. "Equal jitter": half the window fixed,
 * half random — never less than half the nominal delay, so a flapping link is not hammered.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 2_000, maxMs: 5 * 60_000 };

/** Delay before retry number `attempt` (0 = the first retry). */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random = Math.random): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.round(exp / 2 + random() * (exp / 2));
}
