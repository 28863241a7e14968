/**
 * Sync failures as values the UI can show and the engine can act on. `transient` decides the
 * engine's reaction: retried later with backoff (network, 5xx, 429) or parked for the user
 * (rejected upload, conflict, bad credentials). Messages never carry a token or a password.
 */
import type { MessageKey } from '../../src-shared/i18n/messages.js';
import type { SyncProblem } from '../../src-shared/api/sync-types.js';

export type SyncErrorCode =
  /** No answer from the server: refused, reset, DNS, timeout, proxy unreachable. */
  | 'OFFLINE'
  /** 5xx, 429, or a response that was cut off: try again later. */
  | 'SERVER_UNAVAILABLE'
  /** No usable credentials: log in again. */
  | 'AUTH_REQUIRED'
  /** The server refused the username/password or the certificate. */
  | 'AUTH_FAILED'
  | 'RATE_LIMITED'
  /** The server answered something that is not the contract. */
  | 'PROTOCOL'
  | 'NO_SERVER'
  /** The store holds unsent signatures of another account or server. */
  | 'ACCOUNT_MISMATCH'
  /** Another process uses the same data directory. */
  | 'STORE_LOCKED'
  | 'STORE_CORRUPT'
  | 'ITEM_UNKNOWN'
  /** The document's content has not been downloaded yet: cannot sign it offline. */
  | 'CONTENT_MISSING'
  /** Recalled, done, removed or already signed locally. */
  | 'NOT_SIGNABLE'
  | 'UPGRADE_FAILED'
  /** A refusal of the server that retrying cannot change (4xx other than 401/409/429). */
  | 'REJECTED'
  /**
   * The server holds a different signature-journal entry for a sequence number this device
   * pushed (a cloned data folder, an edited journal): journal sync stops until someone looks.
   */
  | 'JOURNAL_FORK'
  /** The server refused the signature journal for good (broken chain, another account's device). */
  | 'JOURNAL_REJECTED';

export interface SyncErrorValue {
  readonly code: SyncErrorCode;
  readonly messageKey: MessageKey;
  readonly params: Readonly<Record<string, string | number>>;
  /** HTTP status when the server answered. */
  readonly status?: number;
  /** The server's problem+json, when there was one. */
  readonly problem?: SyncProblem;
}

const TRANSIENT: ReadonlySet<SyncErrorCode> = new Set(['OFFLINE', 'SERVER_UNAVAILABLE', 'RATE_LIMITED']);

export class SyncError extends Error implements SyncErrorValue {
  readonly code: SyncErrorCode;
  readonly messageKey: MessageKey;
  readonly params: Readonly<Record<string, string | number>>;
  readonly status?: number;
  readonly problem?: SyncProblem;

  constructor(
    code: SyncErrorCode,
    messageKey: MessageKey,
    params: Record<string, string | number> = {},
    extra: { status?: number; problem?: SyncProblem } = {},
  ) {
    super(`${code}: ${messageKey}`);
    this.name = 'SyncError';
    this.code = code;
    this.messageKey = messageKey;
    this.params = params;
    if (extra.status !== undefined) this.status = extra.status;
    if (extra.problem !== undefined) this.problem = extra.problem;
  }

  get transient(): boolean {
    return TRANSIENT.has(this.code);
  }

  toValue(): SyncErrorValue {
    return {
      code: this.code,
      messageKey: this.messageKey,
      params: this.params,
      ...(this.status !== undefined ? { status: this.status } : {}),
      ...(this.problem !== undefined ? { problem: this.problem } : {}),
    };
  }
}

export function isTransient(e: unknown): boolean {
  return e instanceof SyncError && e.transient;
}

/** Anything thrown becomes a value; an unknown error keeps only its class of failure, not its text. */
export function toSyncErrorValue(e: unknown): SyncErrorValue {
  if (e instanceof SyncError) return e.toValue();
  return { code: 'PROTOCOL', messageKey: 'sync.error.internal', params: {} };
}
