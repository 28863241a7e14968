/** Shapes the sync engine hands to the Electron main process, the UI and the CLI. */
import type { QueueChange, QueueItem, SyncProblem } from '../../src-shared/api/sync-types.js';
import type { SyncErrorValue } from './errors.js';

export type OutboxState =
  /** The signing call is running (or the process died during it: rolled back at start-up). */
  | 'signing'
  /** Signed and durable; waiting for (or between) upload attempts. */
  | 'pending'
  | 'uploaded'
  /** Not uploaded: the server's document changed under it. The local copy is kept. */
  | 'conflict'
  /** The server refused it for good (422 and friends). The local copy is kept. */
  | 'rejected'
  /** The signing call failed; nothing was kept. */
  | 'failed'
  /** The process ended during signing; rolled back at start-up. */
  | 'abandoned'
  /** The user dropped a conflict or rejection. */
  | 'discarded';

export const LIVE_STATES: readonly OutboxState[] = ['signing', 'pending'];

export interface ConflictInfo {
  /** DOCUMENT_RECALLED, VERSION_CONFLICT, ASSIGNMENT_NOT_OPEN or ASSIGNMENT_REMOVED. */
  code: string;
  /** The server's reason (recall reason) when it gave one. */
  reason: string | null;
  /** 'feed': seen in the synced queue, nothing was sent; 'server': the upload got a 409. */
  source: 'feed' | 'server';
  currentVersion: number | null;
  problem: SyncProblem | null;
}

export interface OutboxEntry {
  id: string;
  assignmentId: number;
  documentId: string;
  userId: number;
  serverUrl: string;
  baseVersion: number;
  baseSha256: string;
  signedSha256: string | null;
  fieldName: string | null;
  /** Level the signature was made at (B-B offline). */
  level: string;
  /** DSS + document timestamp added after signing. */
  upgraded: boolean;
  state: OutboxState;
  idempotencyKey: string;
  /** Upload attempts started; once > 0 the bytes are frozen (the key is bound to them). */
  attempts: number;
  nextAttemptAt: number;
  lastError: SyncErrorValue | null;
  conflict: ConflictInfo | null;
  serverVersion: number | null;
  signerCertSha256: string | null;
  signerSubject: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface LocalQueueItem extends QueueItem {
  lastChange: QueueChange;
  cursor: string;
  /** The content of the current version is on disk (can be viewed and signed offline). */
  contentAvailable: boolean;
  /** The newest local signature of this task, if any. */
  outbox: OutboxEntry | null;
}

export interface Account {
  serverUrl: string;
  userId: number;
  username: string;
  fullName: string;
}

export type ConnectionState = 'unknown' | 'online' | 'offline';

/** The headline for the UI, most urgent first. */
export type SyncSummary = 'signed-out' | 'conflict' | 'offline' | 'pending' | 'syncing' | 'synced' | 'error';

export interface SyncStatus {
  summary: SyncSummary;
  connection: ConnectionState;
  /** ISO time of the first failed contact of the current offline spell. */
  offlineSince: string | null;
  signedIn: boolean;
  account: Account | null;
  syncing: boolean;
  /** Signatures not yet acknowledged by the server (signing + pending). */
  pending: number;
  conflicts: number;
  rejected: number;
  /** Open tasks in the local queue. */
  queueOpen: number;
  lastSyncAt: string | null;
  nextAttemptAt: string | null;
  lastError: SyncErrorValue | null;
  /** The signature journal's copy on the server. */
  journal: JournalSyncStatus;
}

/**
 * Where the server's copy of the signature journal stands: 'ok' (in step or catching up),
 * 'fork' (the server holds a different entry for a sequence number: stopped until looked at),
 * 'rejected' (refused for good, e.g. a broken local chain), 'other-account' (the journal is
 * anchored under the account that pushed it first; another one is signed in now).
 */
export type JournalSyncState = 'ok' | 'fork' | 'rejected' | 'other-account';

export interface JournalSyncStatus {
  state: JournalSyncState;
  /** Entries in the local journal. */
  entries: number;
  /** Entries the server has acknowledged holding. */
  acknowledged: number;
  /** Entries still to push. */
  unsent: number;
  /** This data folder's device id on the server; null until the first push. */
  deviceId: string | null;
  /** Why journal sync stopped (fork, rejected), with the server's problem. */
  problem: SyncErrorValue | null;
}

export interface SyncRoundResult {
  ok: boolean;
  pulled: { changes: number; pages: number };
  downloaded: number;
  uploaded: number;
  conflicts: number;
  rejected: number;
  /** Still waiting (transient failure or not yet due). */
  pending: number;
  upgraded: number;
  /** Signature-journal entries pushed in this round (acknowledged by the server), and what is left. */
  journal: { pushed: number; unsent: number; state: JournalSyncState };
  error: SyncErrorValue | null;
}
