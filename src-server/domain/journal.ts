/**
 * The desktop clients' signature journals. Each client keeps a hash-chained journal of every
 * signature made on its machine (src-core/sync/audit-journal.ts) and pushes it here; the copy
 * kept here is what makes a cut, rewritten or cloned local journal visible.
 *
 * - One chain per device (an id the client generates once per data folder), bound to the user
 *   who pushed it first: nobody else may push to it or read its head (403).
 * - A push carries consecutive entries. Each one must hash to its `hash` with the client's own
 *   function (`entryHash`, imported from src-core: one definition on both sides) and link to the
 *   previous one; the first new entry must link to the head held here. Otherwise 422
 *   JOURNAL_CHAIN_BROKEN (`params.reason`: modified, broken-link, sequence-gap).
 * - Entries the server already holds are accepted again when identical (a re-send after a lost
 *   answer); a different entry for a sequence number already held is a fork: 409 JOURNAL_FORK,
 *   nothing of the request is stored, and the device row records the fork (after the rollback).
 * - Everything happens in one transaction on the locked device row, so two pushes for one device
 *   are applied one after the other.
 */
import { entryHash, type JournalEntry } from '../../src-core/sync/audit-journal.js';
import {
  JOURNAL_GENESIS_HASH,
  type AdminJournalDevice,
  type AdminJournalEntriesResponse,
  type JournalChainProblem,
  type JournalEntryWire,
  type JournalHead,
  type JournalPushResponse,
} from '../../src-shared/api/journal-types.js';
import type { AuthUser } from '../auth/sessions.js';
import { one, type Db, type Queryable } from '../db/adapter.js';
import { ServerError, notFound } from '../errors.js';

interface DeviceRow {
  id: string;
  user_id: number;
  org_id: string;
  head_seq: number;
  head_hash: string;
  fork_seq: number | null;
  fork_at: number | null;
  created_at: number;
  updated_at: number;
}

const headOf = (d: Pick<DeviceRow, 'head_seq' | 'head_hash'> | undefined): JournalHead =>
  d ? { seq: Number(d.head_seq), hash: d.head_hash } : { seq: 0, hash: JOURNAL_GENESIS_HASH };

const short = (h: string): string => h.slice(0, 16);

export function forkError(deviceId: string, seq: number, held: string, sent: string, head: JournalHead): ServerError {
  return new ServerError(409, 'JOURNAL_FORK', { seq, headSeq: head.seq, headHash: head.hash }).withAudit(
    `device=${deviceId} seq=${seq} held=${short(held)} sent=${short(sent)}`,
  );
}

function chainError(
  deviceId: string,
  reason: JournalChainProblem,
  seq: number,
  head: JournalHead,
  expectedSeq: number,
): ServerError {
  const text = {
    modified: {
      vi: `mục nhật ký số ${seq} không khớp với mã băm của chính nó (đã bị sửa)`,
      en: `journal entry ${seq} does not match its own hash (it was altered)`,
    },
    'broken-link': {
      vi: `mục nhật ký số ${seq} không nối tiếp mục trước (mã băm liên kết không khớp)`,
      en: `journal entry ${seq} does not link to the entry before it (previous hash differs)`,
    },
    'sequence-gap': {
      vi: `mục nhật ký số ${seq} không liền sau mục trước; cần mục số ${expectedSeq}`,
      en: `journal entry ${seq} does not follow the entry before it; entry ${expectedSeq} is expected`,
    },
  }[reason];
  return new ServerError(
    422,
    'JOURNAL_CHAIN_BROKEN',
    { reason, seq, expectedSeq, headSeq: head.seq, headHash: head.hash },
    { localizedParams: { vi: { detail: text.vi }, en: { detail: text.en } } },
  ).withAudit(`device=${deviceId} ${reason} seq=${seq} expected=${expectedSeq}`);
}

async function lockDevice(tx: Queryable, deviceId: string): Promise<DeviceRow | undefined> {
  return one<DeviceRow>(tx, `SELECT * FROM journal_devices WHERE id = ?${tx.forUpdate}`, [deviceId]);
}

/**
 * Stores a batch of journal entries for the user's device. `raw` are the entries exactly as
 * parsed from the request (validated by JournalPushRequest): the hash is recomputed over them.
 */
export async function pushJournal(
  db: Db,
  user: AuthUser,
  deviceId: string,
  raw: readonly JournalEntryWire[],
  now: number,
): Promise<JournalPushResponse> {
  return db.transaction(async (tx) => {
    await tx.exec(
      `INSERT INTO journal_devices (id, user_id, org_id, head_seq, head_hash, created_at, updated_at)
       VALUES (?, ?, ?, 0, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      [deviceId, user.id, user.orgId, JOURNAL_GENESIS_HASH, now, now],
    );
    const device = (await lockDevice(tx, deviceId))!;
    if (Number(device.user_id) !== user.id) {
      throw new ServerError(403, 'FORBIDDEN').withAudit(`device=${deviceId} belongs to another user`);
    }
    const head = headOf(device);
    const first = raw[0]!;
    const last = raw[raw.length - 1]!;
    const held = new Map<number, string>();
    if (first.seq <= head.seq) {
      const rows = await tx.query<{ seq: number; hash: string }>(
        'SELECT seq, hash FROM journal_entries WHERE device_id = ? AND seq >= ? AND seq <= ?',
        [deviceId, first.seq, Math.min(last.seq, head.seq)],
      );
      for (const r of rows) held.set(Number(r.seq), r.hash);
    }
    let accepted = 0;
    let alreadyHeld = 0;
    let cur = head;
    for (let i = 0; i < raw.length; i++) {
      const e = raw[i]!;
      const prev = raw[i - 1];
      if (prev && e.seq !== prev.seq + 1) throw chainError(deviceId, 'sequence-gap', e.seq, head, prev.seq + 1);
      if (prev && e.prevHash !== prev.hash) throw chainError(deviceId, 'broken-link', e.seq, head, e.seq);
      const { hash, ...body } = e;
      if (entryHash(body as unknown as Omit<JournalEntry, 'hash'>) !== hash) {
        throw chainError(deviceId, 'modified', e.seq, head, e.seq);
      }
      if (e.seq <= head.seq) {
        const h = held.get(e.seq);
        if (h === undefined) throw new Error(`journal ${deviceId}: entry ${e.seq} missing below the head`);
        if (h !== e.hash) throw forkError(deviceId, e.seq, h, e.hash, head);
        alreadyHeld++;
        continue;
      }
      if (e.seq !== cur.seq + 1) throw chainError(deviceId, 'sequence-gap', e.seq, head, cur.seq + 1);
      if (e.prevHash !== cur.hash) throw chainError(deviceId, 'broken-link', e.seq, head, e.seq);
      await tx.exec(
        `INSERT INTO journal_entries (device_id, seq, prev_hash, hash, event, document_id, base_version,
           server_version, sha256, certificate_sha256, entry_time, entry, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          deviceId,
          e.seq,
          e.prevHash,
          e.hash,
          e.event,
          e.documentId,
          e.baseVersion,
          e.serverVersion ?? null,
          e.sha256,
          e.certificateSha256,
          e.time,
          JSON.stringify(e),
          now,
        ],
      );
      cur = { seq: e.seq, hash: e.hash };
      accepted++;
    }
    if (accepted > 0) {
      await tx.exec('UPDATE journal_devices SET head_seq = ?, head_hash = ?, updated_at = ? WHERE id = ?', [
        cur.seq,
        cur.hash,
        now,
        deviceId,
      ]);
    }
    return { deviceId, accepted, alreadyHeld, head: cur };
  });
}

/** After a refused fork (its transaction rolled back): remembered on the device for the administrator. */
export async function recordFork(db: Db, deviceId: string, seq: number, now: number): Promise<void> {
  await db.exec('UPDATE journal_devices SET fork_seq = ?, fork_at = ? WHERE id = ?', [seq, now, deviceId]);
}

/** The head held for the user's device; an unknown device has the empty head. */
export async function journalHead(db: Db, user: AuthUser, deviceId: string): Promise<JournalHead> {
  const d = await one<DeviceRow>(db, 'SELECT * FROM journal_devices WHERE id = ?', [deviceId]);
  if (d && Number(d.user_id) !== user.id) throw new ServerError(403, 'FORBIDDEN');
  return headOf(d);
}

const iso = (ms: number): string => new Date(Number(ms)).toISOString();

/** The devices of the administrator's organisation (of one user when asked). */
export async function listJournalDevices(
  db: Db,
  admin: AuthUser,
  userId: number | undefined,
): Promise<AdminJournalDevice[]> {
  if (userId !== undefined) {
    const u = await one(db, 'SELECT 1 AS x FROM users WHERE id = ? AND org_id = ?', [userId, admin.orgId]);
    if (!u) throw notFound();
  }
  const rows = await db.query<DeviceRow & { username: string }>(
    `SELECT d.*, u.username FROM journal_devices d JOIN users u ON u.id = d.user_id
     WHERE d.org_id = ?${userId !== undefined ? ' AND d.user_id = ?' : ''} ORDER BY d.created_at, d.id`,
    userId !== undefined ? [admin.orgId, userId] : [admin.orgId],
  );
  return rows.map((d) => ({
    deviceId: d.id,
    userId: Number(d.user_id),
    username: d.username,
    head: headOf(d),
    fork: d.fork_seq !== null && d.fork_at !== null ? { seq: Number(d.fork_seq), at: iso(d.fork_at) } : null,
    createdAt: iso(d.created_at),
    updatedAt: iso(d.updated_at),
  }));
}

/** One device's entries, as the client sent them, in sequence order (administrator of its organisation). */
export async function readJournalEntries(
  db: Db,
  admin: AuthUser,
  deviceId: string,
  afterSeq: number,
  limit: number,
): Promise<AdminJournalEntriesResponse> {
  const d = await one<DeviceRow>(db, 'SELECT * FROM journal_devices WHERE id = ? AND org_id = ?', [
    deviceId,
    admin.orgId,
  ]);
  if (!d) throw notFound();
  const rows = await db.query<{ seq: number; entry: string }>(
    'SELECT seq, entry FROM journal_entries WHERE device_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    [deviceId, afterSeq, limit + 1],
  );
  const page = rows.slice(0, limit);
  return {
    deviceId,
    userId: Number(d.user_id),
    head: headOf(d),
    entries: page.map((r) => JSON.parse(r.entry) as JournalEntryWire),
    nextAfterSeq: page.length > 0 ? Number(page[page.length - 1]!.seq) : afterSeq,
    hasMore: rows.length > limit,
  };
}
