/**
 * The client's metadata store: better-sqlite3, WAL, synchronous=FULL. Settings, the queue as
 * last synced (with the cursor in the same transaction as the page it ends), the outbox and the
 * audit journal. Document bytes are not here: they are content-addressed files (blob-store.ts).
 *
 * Synchronous on purpose: better-sqlite3 calls are short, and a state change that must be
 * durable before the next step (signed → then upload) is simply "this call returned".
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { QueueEntry, QueueItem } from '../../src-shared/api/sync-types.js';
import {
  makeEntry,
  verifyJournal,
  type JournalEntry,
  type JournalRecord,
  type JournalVerification,
} from './audit-journal.js';
import { SyncError, type SyncErrorValue } from './errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './store-schema.js';
import type { ConflictInfo, LocalQueueItem, OutboxEntry, OutboxState } from './types.js';

type Row = Record<string, unknown>;

interface OutboxRow {
  id: string;
  assignment_id: number;
  document_id: string;
  user_id: number;
  server_url: string;
  base_version: number;
  base_sha256: string;
  signed_sha256: string | null;
  field_name: string | null;
  level: string;
  upgraded: number;
  state: OutboxState;
  idempotency_key: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  conflict: string | null;
  server_version: number | null;
  signer_cert_sha256: string | null;
  signer_subject: string | null;
  created_at: number;
  updated_at: number;
}

interface QueueRow {
  assignment_id: number;
  item_json: string;
  last_change: string;
  change_cursor: number;
}

function toEntry(r: OutboxRow): OutboxEntry {
  return {
    id: r.id,
    assignmentId: r.assignment_id,
    documentId: r.document_id,
    userId: r.user_id,
    serverUrl: r.server_url,
    baseVersion: r.base_version,
    baseSha256: r.base_sha256,
    signedSha256: r.signed_sha256,
    fieldName: r.field_name,
    level: r.level,
    upgraded: r.upgraded === 1,
    state: r.state,
    idempotencyKey: r.idempotency_key,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error ? (JSON.parse(r.last_error) as SyncErrorValue) : null,
    conflict: r.conflict ? (JSON.parse(r.conflict) as ConflictInfo) : null,
    serverVersion: r.server_version,
    signerCertSha256: r.signer_cert_sha256,
    signerSubject: r.signer_subject,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface NewOutboxEntry {
  id: string;
  assignmentId: number;
  documentId: string;
  userId: number;
  serverUrl: string;
  baseVersion: number;
  baseSha256: string;
  level: string;
  idempotencyKey: string;
  signerCertSha256: string | null;
  signerSubject: string | null;
}

export class LocalStore {
  readonly db: Database.Database;
  readonly file: string;

  private constructor(file: string, readonly: boolean) {
    this.file = file;
    this.db = new Database(file, readonly ? { readonly: true, fileMustExist: true } : {});
    this.db.pragma('busy_timeout = 5000');
    if (readonly) return;
    this.db.pragma('journal_mode = WAL');
    // FULL: a committed "signed" or "uploaded" must survive a power cut, not just a crash.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
  }

  static fileIn(dir: string): string {
    return join(dir, 'kyso-client.sqlite');
  }

  /**
   * For readers beside a running engine (`kyso queue`): no migration, no recovery, no lock.
   * Returns null when there is no store yet.
   */
  static openReadOnly(dir: string): LocalStore | null {
    if (!existsSync(LocalStore.fileIn(dir))) return null;
    const store = new LocalStore(LocalStore.fileIn(dir), true);
    if (store.schemaVersion !== SCHEMA_VERSION) {
      const found = store.schemaVersion;
      store.close();
      throw new SyncError('STORE_CORRUPT', 'sync.error.storeTooNew', { found, supported: SCHEMA_VERSION });
    }
    return store;
  }

  static open(dir: string): LocalStore {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const store = new LocalStore(LocalStore.fileIn(dir), false);
    try {
      store.migrate();
    } catch (e) {
      store.close();
      throw e;
    }
    return store;
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  private migrate(): void {
    const current = this.schemaVersion;
    if (current > SCHEMA_VERSION) {
      throw new SyncError('STORE_CORRUPT', 'sync.error.storeTooNew', { found: current, supported: SCHEMA_VERSION });
    }
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      this.db
        .transaction(() => {
          m.up(this.db);
          this.db.pragma(`user_version = ${m.version}`);
        })
        .immediate();
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  // ---- settings -------------------------------------------------------------------------------

  getSetting<T>(key: string): T | undefined {
    const r = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return r ? (JSON.parse(r.value) as T) : undefined;
  }

  setSetting(key: string, value: unknown): void {
    if (value === undefined) {
      this.db.prepare('DELETE FROM settings WHERE key = ?').run(key);
      return;
    }
    this.db
      .prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
      .run(key, JSON.stringify(value));
  }

  // ---- queue ----------------------------------------------------------------------------------

  get cursor(): string {
    return this.getSetting<string>('queue.cursor') ?? '0';
  }

  /** One page and the cursor it ends at, in one transaction: a crash cannot skip or half-apply it. */
  applyQueuePage(entries: readonly QueueEntry[], nextCursor: string, now: number): void {
    const upsert = this.db.prepare(
      `INSERT INTO queue_items (assignment_id, document_id, version, content_sha256, assignment_state, status,
         last_change, change_cursor, item_json, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (assignment_id) DO UPDATE SET document_id = excluded.document_id, version = excluded.version,
         content_sha256 = excluded.content_sha256, assignment_state = excluded.assignment_state,
         status = excluded.status, last_change = excluded.last_change, change_cursor = excluded.change_cursor,
         item_json = excluded.item_json, updated_at = excluded.updated_at`,
    );
    this.tx(() => {
      for (const e of entries) {
        const i = e.item;
        // A removed task stays as a row (state 'removed') so a local signature of it can be told apart.
        const state = e.change === 'removed' ? 'removed' : i.assignmentState;
        upsert.run(
          i.id,
          i.documentId,
          i.version,
          i.contentSha256,
          state,
          i.status,
          e.change,
          Number(e.cursor),
          JSON.stringify({ ...i, assignmentState: state }),
          now,
        );
      }
      this.setSetting('queue.cursor', nextCursor);
    });
  }

  /** A new account: forget the old queue and cursor (the outbox and journal stay). */
  resetQueue(): void {
    this.tx(() => {
      this.db.prepare('DELETE FROM queue_items').run();
      this.setSetting('queue.cursor', '0');
    });
  }

  getQueueItem(assignmentId: number): (QueueItem & { lastChange: string; cursor: string }) | undefined {
    const r = this.db
      .prepare('SELECT assignment_id, item_json, last_change, change_cursor FROM queue_items WHERE assignment_id = ?')
      .get(assignmentId) as QueueRow | undefined;
    return r ? this.rowToItem(r) : undefined;
  }

  private rowToItem(r: QueueRow): QueueItem & { lastChange: string; cursor: string } {
    return { ...(JSON.parse(r.item_json) as QueueItem), lastChange: r.last_change, cursor: String(r.change_cursor) };
  }

  /** Items as last synced (removed tasks left out unless asked), with their newest local signature. */
  listQueue(opts: { includeRemoved?: boolean } = {}): Omit<LocalQueueItem, 'contentAvailable'>[] {
    const rows = this.db
      .prepare(
        `SELECT assignment_id, item_json, last_change, change_cursor FROM queue_items
         ${opts.includeRemoved ? '' : "WHERE assignment_state <> 'removed'"} ORDER BY change_cursor`,
      )
      .all() as QueueRow[];
    const latest = new Map<number, OutboxEntry>();
    for (const e of this.listOutbox()) {
      const prev = latest.get(e.assignmentId);
      if (!prev || prev.createdAt <= e.createdAt) latest.set(e.assignmentId, e);
    }
    return rows.map((r) => {
      const i = this.rowToItem(r);
      return {
        ...i,
        lastChange: i.lastChange as LocalQueueItem['lastChange'],
        outbox: latest.get(r.assignment_id) ?? null,
      };
    });
  }

  countOpenQueue(): number {
    return (
      this.db
        .prepare("SELECT COUNT(*) AS n FROM queue_items WHERE assignment_state = 'open' AND status <> '13'")
        .get() as {
        n: number;
      }
    ).n;
  }

  /** Hashes of the current content of tasks that can still be signed: what to keep and prefetch. */
  contentHashesWanted(): { sha256: string; documentId: string; version: number }[] {
    return (
      this.db
        .prepare(
          "SELECT content_sha256, document_id, version FROM queue_items WHERE assignment_state = 'open' AND status <> '13'",
        )
        .all() as { content_sha256: string; document_id: string; version: number }[]
    ).map((r) => ({ sha256: r.content_sha256, documentId: r.document_id, version: r.version }));
  }

  /** Every blob some row still needs (for garbage collection). */
  referencedBlobs(): Set<string> {
    const keep = new Set<string>();
    for (const r of this.db.prepare('SELECT content_sha256 AS h FROM queue_items').all() as { h: string }[])
      keep.add(r.h);
    for (const r of this.db
      .prepare("SELECT base_sha256 AS b, signed_sha256 AS s FROM outbox WHERE state NOT IN ('failed', 'abandoned')")
      .all() as { b: string; s: string | null }[]) {
      keep.add(r.b);
      if (r.s) keep.add(r.s);
    }
    return keep;
  }

  // ---- outbox ---------------------------------------------------------------------------------

  getOutbox(id: string): OutboxEntry | undefined {
    const r = this.db.prepare('SELECT * FROM outbox WHERE id = ?').get(id) as OutboxRow | undefined;
    return r ? toEntry(r) : undefined;
  }

  listOutbox(states?: readonly OutboxState[]): OutboxEntry[] {
    const rows = (
      states
        ? this.db
            .prepare(`SELECT * FROM outbox WHERE state IN (${states.map(() => '?').join(',')}) ORDER BY created_at, id`)
            .all(...states)
        : this.db.prepare('SELECT * FROM outbox ORDER BY created_at, id').all()
    ) as OutboxRow[];
    return rows.map(toEntry);
  }

  liveEntryFor(assignmentId: number): OutboxEntry | undefined {
    const r = this.db
      .prepare("SELECT * FROM outbox WHERE assignment_id = ? AND state IN ('signing', 'pending')")
      .get(assignmentId) as OutboxRow | undefined;
    return r ? toEntry(r) : undefined;
  }

  countByState(): Record<OutboxState, number> {
    const out: Record<OutboxState, number> = {
      signing: 0,
      pending: 0,
      uploaded: 0,
      conflict: 0,
      rejected: 0,
      failed: 0,
      abandoned: 0,
      discarded: 0,
    };
    for (const r of this.db.prepare('SELECT state, COUNT(*) AS n FROM outbox GROUP BY state').all() as {
      state: OutboxState;
      n: number;
    }[])
      out[r.state] = r.n;
    return out;
  }

  /** Before the token is asked: the intent, so a crash during signing is seen (and journalled) at start-up. */
  insertSigning(e: NewOutboxEntry, now: number): void {
    this.db
      .prepare(
        `INSERT INTO outbox (id, assignment_id, document_id, user_id, server_url, base_version, base_sha256, level,
           state, idempotency_key, signer_cert_sha256, signer_subject, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'signing', ?, ?, ?, ?, ?)`,
      )
      .run(
        e.id,
        e.assignmentId,
        e.documentId,
        e.userId,
        e.serverUrl,
        e.baseVersion,
        e.baseSha256,
        e.level,
        e.idempotencyKey,
        e.signerCertSha256,
        e.signerSubject,
        now,
        now,
      );
  }

  /** Only after the signed file is durable in the blob store. */
  markSigned(id: string, signedSha256: string, fieldName: string, now: number): OutboxEntry {
    return this.tx(() => {
      this.db
        .prepare(
          "UPDATE outbox SET state = 'pending', signed_sha256 = ?, field_name = ?, updated_at = ? WHERE id = ? AND state = 'signing'",
        )
        .run(signedSha256, fieldName, now, id);
      const e = this.mustGet(id);
      this.journalFor(e, 'signed', now, { sha256: signedSha256 });
      return e;
    });
  }

  markSignFailed(id: string, detail: string, now: number): void {
    this.tx(() => {
      this.db
        .prepare(
          "UPDATE outbox SET state = 'failed', last_error = ?, updated_at = ? WHERE id = ? AND state = 'signing'",
        )
        .run(JSON.stringify({ code: 'REJECTED', messageKey: 'sync.error.signFailed', params: { detail } }), now, id);
      this.journalFor(this.mustGet(id), 'sign-failed', now, { sha256: null, detail });
    });
  }

  /** Start-up: a 'signing' row means the process died while signing; its file (if any) is gone. */
  rollBackInterruptedSignings(now: number): number {
    return this.tx(() => {
      const rows = this.listOutbox(['signing']);
      for (const e of rows) {
        this.db.prepare("UPDATE outbox SET state = 'abandoned', updated_at = ? WHERE id = ?").run(now, e.id);
        this.journalFor(e, 'interrupted', now, { sha256: null, detail: 'process ended during signing' });
      }
      return rows.length;
    });
  }

  /** Upgrade done: the new file replaces the old one as what will be uploaded. */
  markUpgraded(id: string, newSha256: string, now: number, afterUpload = false): OutboxEntry {
    return this.tx(() => {
      // Before upload only while no attempt was made; after upload only on the acknowledged entry.
      const info = this.db
        .prepare(
          afterUpload
            ? "UPDATE outbox SET signed_sha256 = ?, upgraded = 1, updated_at = ? WHERE id = ? AND state = 'uploaded'"
            : "UPDATE outbox SET signed_sha256 = ?, upgraded = 1, updated_at = ? WHERE id = ? AND state = 'pending' AND attempts = 0",
        )
        .run(newSha256, now, id);
      const e = this.mustGet(id);
      if (info.changes === 1) this.journalFor(e, 'upgraded', now, { sha256: newSha256 });
      return e;
    });
  }

  /** Recorded (durably) before the request leaves: from here on the bytes are bound to the key. */
  markAttempt(id: string, now: number): OutboxEntry {
    this.db.prepare('UPDATE outbox SET attempts = attempts + 1, updated_at = ? WHERE id = ?').run(now, id);
    return this.mustGet(id);
  }

  scheduleRetry(id: string, nextAttemptAt: number, error: SyncErrorValue | null, now: number): void {
    this.db
      .prepare('UPDATE outbox SET next_attempt_at = ?, last_error = ?, updated_at = ? WHERE id = ?')
      .run(nextAttemptAt, error ? JSON.stringify(error) : null, now, id);
  }

  retryAllNow(now: number): void {
    this.db.prepare("UPDATE outbox SET next_attempt_at = 0, updated_at = ? WHERE state = 'pending'").run(now);
  }

  markUploaded(id: string, serverVersion: number, now: number): OutboxEntry {
    return this.tx(() => {
      this.db
        .prepare(
          "UPDATE outbox SET state = 'uploaded', server_version = ?, last_error = NULL, updated_at = ? WHERE id = ? AND state = 'pending'",
        )
        .run(serverVersion, now, id);
      const e = this.mustGet(id);
      this.journalFor(e, 'uploaded', now, { serverVersion });
      // The task is done as far as this client knows; the next pull brings the server's word.
      const item = this.getQueueItem(e.assignmentId);
      if (item) {
        const next = { ...item, assignmentState: 'done' as const };
        this.db
          .prepare(
            "UPDATE queue_items SET assignment_state = 'done', item_json = ?, updated_at = ? WHERE assignment_id = ?",
          )
          .run(JSON.stringify(stripLocal(next)), now, e.assignmentId);
      }
      return e;
    });
  }

  markConflict(id: string, conflict: ConflictInfo, now: number): OutboxEntry {
    return this.tx(() => {
      this.db
        .prepare(
          "UPDATE outbox SET state = 'conflict', conflict = ?, updated_at = ? WHERE id = ? AND state = 'pending'",
        )
        .run(JSON.stringify(conflict), now, id);
      const e = this.mustGet(id);
      this.journalFor(e, 'conflict', now, {
        detail: `${conflict.code}${conflict.reason ? `: ${conflict.reason}` : ''}`,
      });
      return e;
    });
  }

  markRejected(id: string, error: SyncErrorValue, now: number): OutboxEntry {
    return this.tx(() => {
      this.db
        .prepare(
          "UPDATE outbox SET state = 'rejected', last_error = ?, updated_at = ? WHERE id = ? AND state = 'pending'",
        )
        .run(JSON.stringify(error), now, id);
      const e = this.mustGet(id);
      this.journalFor(e, 'rejected', now, { detail: error.problem?.code ?? error.code });
      return e;
    });
  }

  discard(id: string, now: number): OutboxEntry {
    return this.tx(() => {
      const info = this.db
        .prepare(
          "UPDATE outbox SET state = 'discarded', updated_at = ? WHERE id = ? AND state IN ('conflict', 'rejected')",
        )
        .run(now, id);
      const e = this.mustGet(id);
      if (info.changes === 1) this.journalFor(e, 'discarded', now, {});
      return e;
    });
  }

  private mustGet(id: string): OutboxEntry {
    const e = this.getOutbox(id);
    if (!e) throw new SyncError('ITEM_UNKNOWN', 'sync.error.itemUnknown', { id });
    return e;
  }

  // ---- journal --------------------------------------------------------------------------------

  private journalFor(
    e: OutboxEntry,
    event: JournalRecord['event'],
    now: number,
    over: Partial<Pick<JournalRecord, 'sha256' | 'detail' | 'serverVersion'>>,
  ): void {
    this.appendJournal(
      {
        event,
        outboxId: e.id,
        documentId: e.documentId,
        assignmentId: e.assignmentId,
        baseVersion: e.baseVersion,
        sha256: over.sha256 !== undefined ? over.sha256 : e.signedSha256,
        certificateSha256: e.signerCertSha256,
        certificateSubject: e.signerSubject,
        level: e.upgraded ? `${e.level}+DSS+DocTS` : e.level,
        ...(over.serverVersion !== undefined ? { serverVersion: over.serverVersion } : {}),
        ...(over.detail !== undefined ? { detail: over.detail } : {}),
      },
      now,
    );
  }

  /** Appends inside the caller's transaction (or its own): the entry and the head move together. */
  appendJournal(rec: JournalRecord, now: number): JournalEntry {
    return this.tx(() => {
      const last = this.db.prepare('SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1').get() as
        { seq: number; hash: string } | undefined;
      const entry = makeEntry(last ?? null, rec, new Date(now));
      this.db
        .prepare('INSERT INTO journal (seq, entry, hash) VALUES (?, ?, ?)')
        .run(entry.seq, JSON.stringify(entry), entry.hash);
      this.setSetting('journal.head', { count: entry.seq, hash: entry.hash });
      return entry;
    });
  }

  listJournal(): unknown[] {
    return (this.db.prepare('SELECT entry FROM journal ORDER BY seq').all() as { entry: string }[]).map((r) => {
      try {
        return JSON.parse(r.entry) as unknown;
      } catch {
        return null;
      }
    });
  }

  /** Entries in the journal (= the seq of the last one: seqs run 1, 2, 3 … without gaps). */
  journalCount(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(seq), 0) AS n FROM journal').get() as { n: number }).n;
  }

  /** Up to `limit` entries from `fromSeq` on, in order, as stored (an unreadable one is null). */
  journalRange(fromSeq: number, limit: number): unknown[] {
    return (
      this.db.prepare('SELECT entry FROM journal WHERE seq >= ? ORDER BY seq LIMIT ?').all(fromSeq, limit) as {
        entry: string;
      }[]
    ).map((r) => {
      try {
        return JSON.parse(r.entry) as unknown;
      } catch {
        return null;
      }
    });
  }

  journalHashAt(seq: number): string | undefined {
    return (this.db.prepare('SELECT hash FROM journal WHERE seq = ?').get(seq) as { hash: string } | undefined)?.hash;
  }

  verifyJournal(): JournalVerification {
    return verifyJournal(this.listJournal(), this.getSetting<{ count: number; hash: string }>('journal.head'));
  }

  /** For diagnostics: raw counts without parsing JSON. */
  stats(): Row {
    return {
      queue: (this.db.prepare('SELECT COUNT(*) AS n FROM queue_items').get() as { n: number }).n,
      outbox: (this.db.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n,
      journal: (this.db.prepare('SELECT COUNT(*) AS n FROM journal').get() as { n: number }).n,
    };
  }
}

function stripLocal(i: QueueItem & { lastChange?: string; cursor?: string }): QueueItem {
  const { lastChange: _l, cursor: _c, ...rest } = i;
  void _l;
  void _c;
  return rest;
}
