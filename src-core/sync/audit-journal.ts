/**
 * The audit journal: every signature made on this machine and what became of it, hash-chained.
 * Each entry carries the SHA-256 of the previous entry, and its own hash is the SHA-256 of its
 * canonical JSON (prevHash included). Changing, removing or reordering an entry breaks the chain
 * at that point. Removing entries from the END is only visible against a head recorded elsewhere
 * (the store keeps one; the real anchor is the server's copy, pushed by journal-push.ts, or an
 * exported copy).
 *
 * `entryHash` is THE definition of an entry's hash: the reference server imports it to check
 * pushed entries (src-server/domain/journal.ts), so both sides cannot drift apart.
 */
import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

export type JournalEvent =
  /** A signature was made and its file is durable in the outbox. */
  | 'signed'
  /** The signing call failed (token, PIN, input); nothing was kept. */
  | 'sign-failed'
  /** The process ended during signing; nothing was kept. */
  | 'interrupted'
  /** DSS + document timestamp revisions were added; `sha256` is the new file. */
  | 'upgraded'
  /** The server acknowledged the upload (version recorded in `serverVersion`). */
  | 'uploaded'
  /** Not uploaded: recalled, replaced or taken away on the server. */
  | 'conflict'
  /** The server refused the upload for good. */
  | 'rejected'
  /** The user dropped a conflicted or rejected signature (the file is kept until pruned). */
  | 'discarded';

export interface JournalRecord {
  event: JournalEvent;
  outboxId: string;
  documentId: string;
  assignmentId: number;
  /** The server version the signature was made on. */
  baseVersion: number;
  /** SHA-256 of the signed file (or of the unsigned base when nothing was signed). */
  sha256: string | null;
  certificateSha256: string | null;
  certificateSubject: string | null;
  level: string | null;
  serverVersion?: number | null;
  /** A code or short reason; never a token, PIN or password. */
  detail?: string | null;
}

export interface JournalEntry extends JournalRecord {
  seq: number;
  time: string;
  prevHash: string;
  hash: string;
}

/** JSON with keys sorted at every level, so the same entry always hashes the same. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

export function entryHash(e: Omit<JournalEntry, 'hash'>): string {
  return createHash('sha256').update(canonicalJson(e)).digest('hex');
}

/**
 * Free texts are bounded when the entry is made (before it is hashed), so that every entry fits
 * the server's journal schema (src-shared/api/journal-types.ts: detail ≤ 4000, subject ≤ 2000).
 */
export const JOURNAL_TEXT_LIMITS = { detail: 2000, certificateSubject: 1000 } as const;

const bounded = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

export function makeEntry(prev: { seq: number; hash: string } | null, rec: JournalRecord, time: Date): JournalEntry {
  const body: Omit<JournalEntry, 'hash'> = {
    ...rec,
    certificateSubject:
      rec.certificateSubject === null ? null : bounded(rec.certificateSubject, JOURNAL_TEXT_LIMITS.certificateSubject),
    ...(typeof rec.detail === 'string' ? { detail: bounded(rec.detail, JOURNAL_TEXT_LIMITS.detail) } : {}),
    seq: (prev?.seq ?? 0) + 1,
    time: time.toISOString(),
    prevHash: prev?.hash ?? GENESIS_HASH,
  };
  return { ...body, hash: entryHash(body) };
}

export interface JournalProblem {
  /** Position in the list given (0-based) and the seq it claims. */
  index: number;
  seq: number | null;
  problem: 'modified' | 'broken-link' | 'sequence-gap' | 'head-mismatch' | 'unreadable';
}

export interface JournalVerification {
  ok: boolean;
  entries: number;
  headHash: string;
  problems: JournalProblem[];
}

/**
 * Checks a journal in order. `head` (count and last hash recorded separately) catches a cut
 * tail. Every problem is reported, not only the first, so a reviewer sees the extent.
 */
export function verifyJournal(
  entries: readonly unknown[],
  head?: { count: number; hash: string },
): JournalVerification {
  const problems: JournalProblem[] = [];
  let prevHash = GENESIS_HASH;
  let expectSeq = 1;
  entries.forEach((raw, index) => {
    if (!isEntryLike(raw)) {
      problems.push({ index, seq: null, problem: 'unreadable' });
      expectSeq++;
      return;
    }
    const { hash, ...body } = raw;
    if (raw.seq !== expectSeq) problems.push({ index, seq: raw.seq, problem: 'sequence-gap' });
    if (raw.prevHash !== prevHash) problems.push({ index, seq: raw.seq, problem: 'broken-link' });
    if (entryHash(body) !== hash) problems.push({ index, seq: raw.seq, problem: 'modified' });
    prevHash = hash;
    expectSeq = raw.seq + 1;
  });
  if (head && (head.count !== entries.length || head.hash !== (entries.length ? prevHash : GENESIS_HASH))) {
    problems.push({ index: entries.length, seq: null, problem: 'head-mismatch' });
  }
  return { ok: problems.length === 0, entries: entries.length, headHash: prevHash, problems };
}

function isEntryLike(v: unknown): v is JournalEntry {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.seq === 'number' &&
    typeof o.hash === 'string' &&
    typeof o.prevHash === 'string' &&
    typeof o.time === 'string' &&
    typeof o.event === 'string'
  );
}
