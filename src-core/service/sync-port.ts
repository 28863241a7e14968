/**
 * What the desktop service needs from the sync layer: the server session, the queue as last
 * synced, document files, the number register, and a durable outbox for signatures. The UI is
 * built against this interface. Two implementations:
 *   - engine-sync.ts: the sync engine (src-core/sync) — the default;
 *   - http-sync.ts: a small adapter straight over the server's HTTP API (GET /queue, content,
 *     POST signed), kept as a fallback (KYSO_SYNC_BACKEND=http-adapter).
 */
import type {
  IssuedNumber,
  OutboxEntry,
  QueueItemView,
  SessionState,
  SyncStatus,
} from '../../src-shared/api/ui-types.js';
import type { IncrementalUpdate } from '../pdf/incremental-writer.js';
import type { PdfReader } from '../pdf/reader.js';
import type { FieldPlacement } from '../sign/pdf-signer.js';
import type { DocumentSigner, PadesLevel } from '../sign/sign-document.js';

export type SyncChange =
  { kind: 'status' } | { kind: 'queue'; newItems: QueueItemView[] } | { kind: 'outbox'; entry?: OutboxEntry };

export interface OutboxSignRequest {
  assignmentId: number;
  signer: DocumentSigner;
  placement: Omit<FieldPlacement, 'kind'>;
  prepare?: (reader: PdfReader, update: IncrementalUpdate) => void;
  level: PadesLevel;
  tsaUrl?: string;
}

export interface SyncPort {
  readonly backend: SyncStatus['backend'];
  /** Resolves when the store is open (a stored session is known). */
  ready(): Promise<void>;
  session(): SessionState;
  status(): SyncStatus;
  configure(o: { serverUrl: string; proxy: string; tsaUrl?: string }): Promise<void>;
  loginPassword(username: string, password: string): Promise<SessionState>;
  /** Certificate login: the server's challenge is signed by the token (after C_Login). */
  loginCertificate(signer: DocumentSigner, certSha256: string): Promise<SessionState>;
  logout(): Promise<SessionState>;
  queue(): Promise<{ items: QueueItemView[]; syncedAt: string | null }>;
  item(assignmentId: number): Promise<QueueItemView | undefined>;
  syncNow(): Promise<SyncStatus>;
  /** The current version's PDF on local disk (downloaded once, checked against its SHA-256). */
  contentPath(assignmentId: number): Promise<{ path: string; sha256: string }>;
  issueNumber(assignmentId: number): Promise<IssuedNumber>;
  returnDocument(assignmentId: number, comment: string): Promise<void>;
  /**
   * Signs the task's current version into the outbox: the signed file is durable before this
   * returns; the upload follows (at once when online, later otherwise) with one idempotency key.
   */
  sign(o: OutboxSignRequest): Promise<OutboxEntry>;
  outbox(): Promise<OutboxEntry[]>;
  outboxFile(id: string): Promise<string | null>;
  retry(id: string): Promise<OutboxEntry>;
  discard(id: string): Promise<void>;
  onChange(l: (c: SyncChange) => void): () => void;
  start(intervalMs: number): void;
  close(): Promise<void>;
}
