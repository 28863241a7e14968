/**
 * The local queue as last synced, read without the network, the lock or any write: what
 * `kyso queue` prints and what a script can read while the app keeps syncing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LocalBlobStore } from './blob-store.js';
import { journalSyncStatus } from './journal-push.js';
import { LocalStore } from './local-store.js';
import type { Account, JournalSyncStatus, LocalQueueItem, OutboxEntry } from './types.js';

export interface QueueSnapshot {
  dataDir: string;
  account: Account | null;
  lastSyncAt: string | null;
  cursor: string;
  items: LocalQueueItem[];
  /** Signatures that need attention or are on their way: signing, pending, conflict, rejected. */
  outbox: OutboxEntry[];
  counts: { pending: number; conflicts: number; rejected: number; uploaded: number };
  /** The signature journal and how much of it the server has acknowledged. */
  journal: JournalSyncStatus;
}

export function readQueueSnapshot(dataDir: string): QueueSnapshot {
  const store = LocalStore.openReadOnly(dataDir);
  if (!store) {
    return {
      dataDir,
      account: null,
      lastSyncAt: null,
      cursor: '0',
      items: [],
      outbox: [],
      counts: { pending: 0, conflicts: 0, rejected: 0, uploaded: 0 },
      journal: { state: 'ok', entries: 0, acknowledged: 0, unsent: 0, deviceId: null, problem: null },
    };
  }
  try {
    const blobs = new LocalBlobStore(join(dataDir, 'blobs'));
    const c = store.countByState();
    const account = store.getSetting<Account>('account') ?? null;
    return {
      dataDir,
      account,
      lastSyncAt: store.getSetting<string>('sync.lastSyncAt') ?? null,
      cursor: store.cursor,
      items: store.listQueue().map((i) => ({ ...i, contentAvailable: existsSync(blobs.pathOf(i.contentSha256)) })),
      outbox: store.listOutbox(['signing', 'pending', 'conflict', 'rejected']),
      counts: { pending: c.signing + c.pending, conflicts: c.conflict, rejected: c.rejected, uploaded: c.uploaded },
      journal: journalSyncStatus(store, account),
    };
  } finally {
    store.close();
  }
}

/** One word for what this client knows about a task (for lists). */
export type LocalItemState =
  'open' | 'signed-pending' | 'uploaded' | 'conflict' | 'rejected' | 'done' | 'recalled' | 'removed';

export function localItemState(i: Pick<LocalQueueItem, 'assignmentState' | 'status' | 'outbox'>): LocalItemState {
  const o = i.outbox;
  if (o?.state === 'signing' || o?.state === 'pending') return 'signed-pending';
  if (o?.state === 'conflict') return 'conflict';
  if (o?.state === 'rejected') return 'rejected';
  if (o?.state === 'uploaded' && i.assignmentState !== 'open') return 'uploaded';
  if (i.assignmentState === 'removed') return 'removed';
  if (i.status === '13') return 'recalled';
  if (i.assignmentState === 'done') return 'done';
  return 'open';
}
