/**
 * Pushing the signature journal to the server (`POST /api/v1/journal`), after the uploads of a
 * round so that the entries of an upload travel with it.
 *
 * - The data folder is one device for the server: an id generated at the first push
 *   (`kyso-dev-<uuid>`) and kept with the server's acknowledged head in the store's settings
 *   (`journal.sync`). The device is bound to the account that pushed first; while another
 *   account is signed in, nothing is pushed (state 'other-account').
 * - Entries after the acknowledged head go in batches, as stored (the server recomputes their
 *   hashes with the same function). A lost answer is harmless: the server accepts entries it
 *   already holds when identical. The head in each answer must be one of ours (same hash at
 *   that position), else the server's copy is not this journal.
 * - No answer, 5xx, 429: retried with the engine's backoff (the time is kept in the settings);
 *   the round reports the error like a failed upload.
 * - 409 JOURNAL_FORK (or a head that is not ours): state 'fork' — shown, never retried by
 *   itself. The remedy is a person's: investigate (a cloned data folder? an edited store?), then
 *   `SyncEngine.resetJournalDevice()` anchors the local journal again under a new device id.
 * - 422 sequence-gap with a head that is ours (the server lost entries, e.g. restored from a
 *   backup): resend from the server's head, once per round. Other refusals: state 'rejected'.
 */
import { randomUUID } from 'node:crypto';
import { JOURNAL_GENESIS_HASH } from '../../src-shared/api/journal-types.js';
import type { SyncProblem } from '../../src-shared/api/sync-types.js';
import { backoffDelay } from './backoff.js';
import { SyncError, isTransient, type SyncErrorValue } from './errors.js';
import { errorFromResponse, parseJson, problemOf } from './http-client.js';
import type { LocalStore } from './local-store.js';
import { JournalPushResponseSchema } from './response-schemas.js';
import { authed, type SyncContext } from './sync-context.js';
import type { Account, JournalSyncState, JournalSyncStatus } from './types.js';

/** Entries per request (the server takes up to 500 and 1 MiB). */
export const JOURNAL_BATCH = 200;
const SETTING = 'journal.sync';

/** What the store keeps about the server's copy (settings key `journal.sync`). */
export interface JournalSyncRecord {
  deviceId: string;
  /** The account the device's server journal belongs to (the first to push). */
  serverUrl: string;
  userId: number;
  /** The last entry the server acknowledged holding. */
  ackSeq: number;
  ackHash: string;
  state: 'ok' | 'fork' | 'rejected';
  problem: SyncErrorValue | null;
  /** Consecutive transient failures (for the backoff) and when to try again. */
  attempts: number;
  nextAttemptAt: number;
}

export interface JournalPushOutcome {
  pushed: number;
  unsent: number;
  state: JournalSyncState;
}

export function newDeviceId(): string {
  return `kyso-dev-${randomUUID()}`;
}

export function readJournalSync(store: LocalStore): JournalSyncRecord | null {
  return store.getSetting<JournalSyncRecord>(SETTING) ?? null;
}

function save(store: LocalStore, rec: JournalSyncRecord): JournalSyncRecord {
  store.setSetting(SETTING, rec);
  return rec;
}

const boundTo = (rec: JournalSyncRecord, a: Account | null): boolean =>
  a !== null && rec.serverUrl === a.serverUrl && rec.userId === a.userId;

/** The status line's view of the journal's server copy (the engine and `kyso queue`). */
export function journalSyncStatus(store: LocalStore, account: Account | null): JournalSyncStatus {
  const entries = store.journalCount();
  const rec = readJournalSync(store);
  if (!rec) return { state: 'ok', entries, acknowledged: 0, unsent: entries, deviceId: null, problem: null };
  const state: JournalSyncState = rec.state !== 'ok' ? rec.state : boundTo(rec, account) ? 'ok' : 'other-account';
  return {
    state,
    entries,
    acknowledged: rec.ackSeq,
    unsent: Math.max(0, entries - rec.ackSeq),
    deviceId: rec.deviceId,
    problem: rec.problem,
  };
}

/** When the next push is due (null: nothing waits on a timer). */
export function journalNextAttemptAt(store: LocalStore): number | null {
  const rec = readJournalSync(store);
  if (!rec || rec.state !== 'ok' || rec.nextAttemptAt === 0) return null;
  return rec.ackSeq < store.journalCount() ? rec.nextAttemptAt : null;
}

/** "Sync now" / back online: try at once; a refusal other than a fork may be tried again. */
export function retryJournalNow(store: LocalStore): void {
  const rec = readJournalSync(store);
  if (!rec) return;
  if (rec.state === 'rejected') save(store, { ...rec, state: 'ok', problem: null, nextAttemptAt: 0 });
  else if (rec.nextAttemptAt !== 0) save(store, { ...rec, nextAttemptAt: 0 });
}

/** A new device: nothing acknowledged yet, anchored at the genesis hash. */
function freshDevice(account: Account): JournalSyncRecord {
  return {
    deviceId: newDeviceId(),
    serverUrl: account.serverUrl,
    userId: account.userId,
    ackSeq: 0,
    ackHash: JOURNAL_GENESIS_HASH,
    state: 'ok',
    problem: null,
    attempts: 0,
    nextAttemptAt: 0,
  };
}

/**
 * After a fork has been looked into: the local journal is anchored again from its first entry
 * under a new device id (the server keeps the old device's copy, fork recorded, for the record).
 */
export function resetJournalDevice(store: LocalStore, account: Account | null): string | null {
  if (!account) return null;
  const rec = save(store, freshDevice(account));
  return rec.deviceId;
}

/**
 * A fork: the server's copy of this journal differs from ours at entry `seq`. Its own message
 * (`sync.error.journalFork`): what happened, that the local journal and the uploads are safe,
 * and that IT has to look; the server's problem, when there was one, goes along.
 */
function forkProblem(seq: number | string, status: number, problem: SyncProblem | null): SyncErrorValue {
  return new SyncError(
    'JOURNAL_FORK',
    'sync.error.journalFork',
    { seq },
    { status, ...(problem ? { problem } : {}) },
  ).toValue();
}

/** Any other refusal of the journal for good (broken chain, another account's device, 400). */
function rejectedProblem(status: number, problem: SyncProblem | null): SyncErrorValue {
  return new SyncError(
    'JOURNAL_REJECTED',
    'sync.error.journalRejected',
    { code: problem?.code ?? 'JOURNAL_REJECTED', detail: problem?.detail ?? `HTTP ${status}` },
    { status, ...(problem ? { problem } : {}) },
  ).toValue();
}

export async function pushJournal(ctx: SyncContext, batchSize = JOURNAL_BATCH): Promise<JournalPushOutcome> {
  const { store } = ctx;
  const account = ctx.account();
  const total = store.journalCount();
  let rec = readJournalSync(store);
  if (!account || (!rec && total === 0)) return { pushed: 0, unsent: total, state: 'ok' };
  rec ??= save(store, freshDevice(account));
  const left = (): number => Math.max(0, total - rec!.ackSeq);
  if (!boundTo(rec, account)) return { pushed: 0, unsent: left(), state: 'other-account' };
  if (rec.state !== 'ok') return { pushed: 0, unsent: left(), state: rec.state };
  if (rec.nextAttemptAt > ctx.now()) return { pushed: 0, unsent: left(), state: 'ok' };

  let pushed = 0;
  let rewound = false;
  const stop = (state: 'fork' | 'rejected', problem: SyncErrorValue): JournalPushOutcome => {
    rec = save(store, { ...rec!, state, problem, attempts: 0, nextAttemptAt: 0 });
    ctx.log(
      `sync: journal not accepted by the server (${problem.problem?.code ?? problem.code}); journal sync stopped`,
    );
    return { pushed, unsent: left(), state };
  };
  /** Our own hash at `seq` (the genesis hash before the first entry). */
  const ours = (seq: number): string | undefined => (seq === 0 ? JOURNAL_GENESIS_HASH : store.journalHashAt(seq));

  while (rec.ackSeq < total) {
    const entries = store.journalRange(rec.ackSeq + 1, batchSize);
    const lastSeq = rec.ackSeq + entries.length;
    let res;
    try {
      res = await authed(ctx, 'POST', '/api/v1/journal', { json: { deviceId: rec.deviceId, entries } });
    } catch (err) {
      if (isTransient(err)) {
        const delay = backoffDelay(rec.attempts, ctx.backoff, ctx.random);
        rec = save(store, { ...rec, attempts: rec.attempts + 1, nextAttemptAt: ctx.now() + delay });
      }
      throw err;
    }
    if (res.status === 200) {
      const ack = parseJson(res, JournalPushResponseSchema);
      if (ack.head.seq < lastSeq) {
        throw new SyncError('PROTOCOL', 'sync.error.protocol', { detail: 'journal head behind the entries sent' });
      }
      // The server's head must be an entry of this journal: otherwise its copy is another chain.
      if (ack.head.seq > total || ours(ack.head.seq) !== ack.head.hash) {
        return stop('fork', forkProblem(ack.head.seq, 200, null));
      }
      pushed += entries.length;
      rec = save(store, { ...rec, ackSeq: ack.head.seq, ackHash: ack.head.hash, attempts: 0, nextAttemptAt: 0 });
      continue;
    }
    const problem = problemOf(res);
    if (res.status === 409 && problem?.code === 'JOURNAL_FORK') {
      ctx.log(
        `sync: journal entry ${String(problem.params?.seq ?? '?')} differs from the server's copy (JOURNAL_FORK)`,
      );
      const seq = problem.params?.seq;
      return stop('fork', forkProblem(typeof seq === 'number' || typeof seq === 'string' ? seq : '?', 409, problem));
    }
    const p = problem?.params ?? {};
    if (
      res.status === 422 &&
      problem?.code === 'JOURNAL_CHAIN_BROKEN' &&
      p.reason === 'sequence-gap' &&
      typeof p.headSeq === 'number' &&
      typeof p.headHash === 'string' &&
      p.headSeq < rec.ackSeq &&
      !rewound
    ) {
      // The server holds fewer entries than it once acknowledged (restored?): resend from its head.
      if (ours(p.headSeq) !== p.headHash) {
        return stop('fork', forkProblem(p.headSeq, 422, problem));
      }
      ctx.log(`sync: the server holds ${p.headSeq} journal entries, fewer than acknowledged; resending from there`);
      rewound = true;
      rec = save(store, { ...rec, ackSeq: p.headSeq, ackHash: p.headHash });
      continue;
    }
    const err = errorFromResponse(res);
    if (err.transient) {
      const delay = backoffDelay(rec.attempts, ctx.backoff, ctx.random);
      rec = save(store, { ...rec, attempts: rec.attempts + 1, nextAttemptAt: ctx.now() + delay });
      throw err;
    }
    return stop('rejected', rejectedProblem(res.status, problem));
  }
  return { pushed, unsent: left(), state: 'ok' };
}
