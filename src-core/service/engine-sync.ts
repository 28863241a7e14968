/**
 * The sync port over the sync engine (src-core/sync, docs/sync-client.md): SQLite queue and
 * outbox, signing into the outbox (durable before it returns), idempotent uploads with backoff,
 * offline B-B signatures upgraded (DSS + document timestamp) before upload, the audit journal.
 *
 * Two things the engine has no public call for yet are done through its request context:
 * the issue number (POST /documents/{id}/issue-number) and the signed-in user's details
 * (GET /me: role, title, organisation). Both use the engine's own authenticated client, so the
 * tokens never leave it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UserInfo } from '../../src-shared/api/sync-types.js';
import type {
  ErrorValue,
  IssuedNumber,
  OutboxEntry,
  OutboxProblem,
  QueueItemView,
  SessionState,
  SyncStatus,
} from '../../src-shared/api/ui-types.js';
import { KysoError } from '../../src-shared/errors.js';
import type { MessageKey } from '../../src-shared/i18n/messages.js';
import { t } from '../../src-shared/i18n/translate.js';
import { challengeSignerFrom } from '../sync/auth-session.js';
import { problemOf } from '../sync/http-client.js';
import { authed, type SyncContext } from '../sync/sync-context.js';
import type { SecretStore } from '../sync/secret-store.js';
import { SyncEngine } from '../sync/sync-engine.js';
import type { LocalQueueItem, OutboxEntry as EngineEntry, SyncStatus as EngineStatus } from '../sync/types.js';
import type { DocumentSigner } from '../sign/sign-document.js';
import { writeFileAtomic } from './data-dir.js';
import { ADVICE_FOR } from './http-sync.js';
import type { OutboxSignRequest, SyncChange, SyncPort } from './sync-port.js';
import { queueItemView } from './queue-view.js';

export interface EngineSyncOptions {
  dataDir: string;
  serverUrl: string;
  proxy: string;
  tsaUrl: string;
  env: NodeJS.ProcessEnv;
  pollIntervalMs: number;
  /** Where the refresh token lives (never the engine's default plain file). */
  secrets: SecretStore;
}

const SHOWN_STATES: ReadonlySet<EngineEntry['state']> = new Set([
  'signing',
  'pending',
  'uploaded',
  'conflict',
  'rejected',
]);

const CONFLICT_KEYS = new Set(['DOCUMENT_RECALLED', 'VERSION_CONFLICT', 'ASSIGNMENT_NOT_OPEN', 'ASSIGNMENT_REMOVED']);

function bi(key: string, params: Readonly<Record<string, string | number>> = {}): { vi: string; en: string } {
  return { vi: t('vi', key as MessageKey, params), en: t('en', key as MessageKey, params) };
}

export class EngineSyncPort implements SyncPort {
  readonly backend = 'sync-engine' as const;
  private engine: SyncEngine | null = null;
  private opening: Promise<SyncEngine> | null = null;
  private user: UserInfo | null = null;
  private readonly listeners = new Set<(c: SyncChange) => void>();
  private readonly firstSeen = new Map<number, string>();
  private known: Set<number> | null = null;
  private lastStatus: EngineStatus | null = null;
  private started = false;

  constructor(private o: EngineSyncOptions) {
    this.loadMeta();
  }

  /** Opens the engine (once; again after the server changes). */
  private async eng(): Promise<SyncEngine> {
    if (this.engine) return this.engine;
    this.opening ??= (async () => {
      const proxyEnv = this.o.proxy ? { HTTPS_PROXY: this.o.proxy, HTTP_PROXY: this.o.proxy } : {};
      const e = await SyncEngine.open({
        dataDir: join(this.o.dataDir, 'sync-engine'),
        ...(this.o.serverUrl ? { serverUrl: this.o.serverUrl } : {}),
        env: { ...this.o.env, ...proxyEnv },
        pollIntervalMs: this.o.pollIntervalMs,
        secrets: this.o.secrets,
        backoff: { baseMs: Math.min(2000, this.o.pollIntervalMs), maxMs: Math.max(this.o.pollIntervalMs, 60_000) },
        upgrade: { tsaUrl: this.o.tsaUrl || null },
      });
      e.events.on('status', (s) => {
        this.lastStatus = s;
        this.emit({ kind: 'status' });
      });
      e.events.on('queue', () => void this.onQueueChanged());
      e.events.on('outbox', (entry) => this.emit({ kind: 'outbox', entry: this.entryView(entry) }));
      // Set up the engine's connection (proxy choice) before anything authenticates: doing it
      // later replaces the HTTP client and its auth session, and two refreshes of the same
      // rotating refresh token would make the server revoke the login.
      if (e.serverUrl) await e.connectionMode().catch(() => null);
      this.engine = e;
      this.lastStatus = e.status();
      if (this.lastStatus.signedIn) void this.loadUser();
      if (this.started) e.start();
      return e;
    })();
    try {
      return await this.opening;
    } finally {
      this.opening = null;
    }
  }

  /**
   * Also waits for a sign-in in progress: the engine reports "signed in" before the user's
   * details (role, title) have arrived, and a session read in between would show the user
   * without them — and could overwrite the complete answer of the sign-in itself.
   */
  async ready(): Promise<void> {
    await this.eng().catch(() => undefined);
    await this.signingIn?.catch(() => undefined);
  }

  private signingIn: Promise<unknown> | null = null;

  private async signIn<T>(fn: () => Promise<T>): Promise<T> {
    const run = fn();
    this.signingIn = run;
    try {
      return await run;
    } finally {
      if (this.signingIn === run) this.signingIn = null;
    }
  }

  private emit(c: SyncChange): void {
    for (const l of [...this.listeners]) l(c);
  }

  onChange(l: (c: SyncChange) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private ctx(e: SyncEngine): SyncContext {
    // The engine's request context (authenticated client); see the header comment.
    return (e as unknown as { ctx: SyncContext }).ctx;
  }

  private async loadUser(): Promise<void> {
    try {
      const e = await this.eng();
      const r = await authed(this.ctx(e), 'GET', '/api/v1/me');
      if (r.status === 200) {
        this.user = JSON.parse(r.body.toString('utf8')) as UserInfo;
        this.emit({ kind: 'status' });
      }
    } catch {
      // Offline: the account stored by the engine is shown meanwhile.
    }
  }

  private async onQueueChanged(): Promise<void> {
    const e = await this.eng();
    const items = (await e.listQueue()).filter((i) => i.assignmentState === 'open');
    const ids = new Set(items.map((i) => i.id));
    const fresh: QueueItemView[] = [];
    if (this.known) for (const i of items) if (!this.known.has(i.id)) fresh.push(this.view(i));
    this.known = ids;
    this.emit({ kind: 'queue', newItems: fresh });
  }

  async configure(o: { serverUrl: string; proxy: string; tsaUrl?: string }): Promise<void> {
    const changed = o.serverUrl !== this.o.serverUrl || o.proxy !== this.o.proxy;
    this.o = {
      ...this.o,
      serverUrl: o.serverUrl,
      proxy: o.proxy,
      ...(o.tsaUrl !== undefined ? { tsaUrl: o.tsaUrl } : {}),
    };
    if (o.tsaUrl !== undefined && this.engine) this.engine.setUpgradePolicy('before-upload', o.tsaUrl || null);
    if (!changed) return;
    const old = this.engine;
    this.engine = null;
    this.user = null;
    this.known = null;
    await old?.close();
    await this.eng();
    this.emit({ kind: 'status' });
    this.emit({ kind: 'queue', newItems: [] });
  }

  // ---- session ---------------------------------------------------------------------------------

  session(): SessionState {
    const e = this.engine;
    const account = e && this.lastStatus?.signedIn ? e.account : null;
    const u = this.user && account && this.user.id === account.userId ? this.user : null;
    return {
      serverUrl: this.o.serverUrl,
      user: account
        ? {
            id: account.userId,
            username: account.username,
            fullName: account.fullName,
            title: u?.title ?? '',
            role: u?.role ?? null,
            organisation: u?.organisation ?? null,
            unit: u?.unit ?? null,
          }
        : null,
      method: account ? (this.loginMethod ?? 'password') : null,
      certificateSha256: account ? this.loginCert : null,
    };
  }

  private loginMethod: 'certificate' | 'password' | null = null;
  private loginCert: string | null = null;

  /** How the stored session was made (shown after a restart); no secret in it. */
  private get metaPath(): string {
    return join(this.o.dataDir, 'session.json');
  }

  private saveMeta(): void {
    void writeFileAtomic(
      this.metaPath,
      JSON.stringify({ method: this.loginMethod, certificateSha256: this.loginCert }),
    ).catch(() => undefined);
  }

  private loadMeta(): void {
    try {
      const m = JSON.parse(readFileSync(this.metaPath, 'utf8')) as { method?: unknown; certificateSha256?: unknown };
      this.loginMethod = m.method === 'certificate' || m.method === 'password' ? m.method : null;
      this.loginCert = typeof m.certificateSha256 === 'string' ? m.certificateSha256 : null;
    } catch {
      // no stored session
    }
  }

  async loginPassword(username: string, password: string): Promise<SessionState> {
    return this.signIn(async () => {
      const e = await this.eng();
      await e.loginWithPassword(username, password);
      this.loginMethod = 'password';
      this.loginCert = null;
      this.saveMeta();
      await this.afterLogin(e);
      return this.session();
    });
  }

  async loginCertificate(signer: DocumentSigner, certSha256: string): Promise<SessionState> {
    return this.signIn(async () => {
      const e = await this.eng();
      await e.loginWithCertificate(challengeSignerFrom(signer));
      this.loginMethod = 'certificate';
      this.loginCert = certSha256;
      this.saveMeta();
      await this.afterLogin(e);
      return this.session();
    });
  }

  private async afterLogin(e: SyncEngine): Promise<void> {
    this.lastStatus = e.status();
    this.known = null;
    await this.loadUser();
    void e.syncNow().catch(() => undefined);
  }

  async logout(): Promise<SessionState> {
    const e = await this.eng();
    await e.logout().catch(() => undefined);
    this.lastStatus = e.status();
    this.user = null;
    this.known = null;
    this.emit({ kind: 'status' });
    this.emit({ kind: 'queue', newItems: [] });
    return this.session();
  }

  status(): SyncStatus {
    const s = this.lastStatus;
    const state: SyncStatus['state'] = !s?.signedIn
      ? 'signed-out'
      : s.syncing
        ? 'syncing'
        : s.connection === 'offline'
          ? 'offline'
          : s.summary === 'error'
            ? 'error'
            : 'idle';
    const err: ErrorValue | null = s?.lastError
      ? { code: s.lastError.code, messageKey: s.lastError.messageKey, params: { ...s.lastError.params } }
      : null;
    return {
      state,
      lastSyncAt: s?.lastSyncAt ?? null,
      lastError: state === 'idle' || state === 'syncing' ? null : err,
      queueCount: s?.queueOpen ?? 0,
      pendingUploads: s?.pending ?? 0,
      conflicts: (s?.conflicts ?? 0) + (s?.rejected ?? 0),
      backend: this.backend,
    };
  }

  // ---- queue -----------------------------------------------------------------------------------

  private view(i: LocalQueueItem): QueueItemView {
    let seen = this.firstSeen.get(i.id);
    if (!seen) {
      seen = new Date().toISOString();
      this.firstSeen.set(i.id, seen);
    }
    const o = i.outbox;
    const local: QueueItemView['local'] = !o
      ? 'none'
      : o.state === 'pending' || o.state === 'signing'
        ? 'pending-upload'
        : o.state === 'conflict' || o.state === 'rejected'
          ? 'conflict'
          : o.state === 'uploaded'
            ? 'uploaded'
            : 'none';
    return queueItemView(i, local, seen);
  }

  async queue(): Promise<{ items: QueueItemView[]; syncedAt: string | null }> {
    if (!this.lastStatus?.signedIn) return { items: [], syncedAt: null };
    const e = await this.eng();
    const items = (await e.listQueue()).filter((i) => i.assignmentState === 'open');
    this.known ??= new Set(items.map((i) => i.id));
    return { items: items.map((i) => this.view(i)), syncedAt: this.lastStatus.lastSyncAt };
  }

  async item(assignmentId: number): Promise<QueueItemView | undefined> {
    const e = await this.eng();
    const i = e.store.getQueueItem(assignmentId);
    if (!i || i.assignmentState !== 'open') return undefined;
    const outbox = e.store.liveEntryFor?.(assignmentId) ?? null;
    return this.view({
      ...i,
      lastChange: i.lastChange as LocalQueueItem['lastChange'],
      contentAvailable: true,
      outbox: outbox ?? this.newestEntry(e, assignmentId),
    });
  }

  private newestEntry(e: SyncEngine, assignmentId: number): EngineEntry | null {
    const all = e.listOutbox().filter((x) => x.assignmentId === assignmentId && SHOWN_STATES.has(x.state));
    return all.sort((a, b) => b.createdAt - a.createdAt)[0] ?? null;
  }

  async syncNow(): Promise<SyncStatus> {
    const e = await this.eng();
    await e.retryNow().catch(() => undefined);
    this.lastStatus = e.status();
    return this.status();
  }

  async contentPath(assignmentId: number): Promise<{ path: string; sha256: string }> {
    const e = await this.eng();
    const item = e.store.getQueueItem(assignmentId);
    if (!item) throw new KysoError('INPUT_UNREADABLE', 'ui.error.notInQueue', { id: assignmentId });
    let path = await e.documentPath(assignmentId);
    if (!path) {
      // Not fetched yet (a new task): one round downloads the content of open tasks.
      await e.syncNow().catch(() => undefined);
      path = await e.documentPath(assignmentId);
    }
    if (!path) throw new KysoError('INPUT_UNREADABLE', 'ui.error.contentNotHere', { title: item.title });
    return { path, sha256: item.contentSha256 };
  }

  async issueNumber(assignmentId: number): Promise<IssuedNumber> {
    const e = await this.eng();
    const item = e.store.getQueueItem(assignmentId);
    if (!item) throw new KysoError('INPUT_UNREADABLE', 'ui.error.notInQueue', { id: assignmentId });
    const r = await authed(
      this.ctx(e),
      'POST',
      `/api/v1/documents/${encodeURIComponent(item.documentId)}/issue-number`,
      {
        json: {},
      },
    );
    if (r.status !== 200 && r.status !== 201) {
      const p = problemOf(r);
      throw new KysoError('SERVER_REJECTED', 'ui.error.serverRejected', {
        status: r.status,
        code: p?.code ?? String(r.status),
        vi: p?.message?.vi ?? '',
        en: p?.message?.en ?? '',
      });
    }
    const body = JSON.parse(r.body.toString('utf8')) as { number: number; notation: string; issuedDate: string };
    return { number: body.number, notation: body.notation, issuedDate: body.issuedDate };
  }

  async returnDocument(): Promise<void> {
    // The sync API has no "return to the drafter" operation yet (docs/sync-api.openapi.yaml).
    throw new KysoError('NOT_IMPLEMENTED', 'ui.error.returnUnsupported');
  }

  // ---- outbox ----------------------------------------------------------------------------------

  async sign(o: OutboxSignRequest): Promise<OutboxEntry> {
    const e = await this.eng();
    const entry = await e.sign({
      assignmentId: o.assignmentId,
      signer: o.signer,
      placement: o.placement,
      ...(o.prepare ? { prepare: o.prepare } : {}),
      level: o.level,
      ...(o.tsaUrl ? { tsaUrl: o.tsaUrl } : {}),
    });
    // Upload now when online (the engine's loop would too; this makes it prompt).
    void e.syncNow().catch(() => undefined);
    return this.entryView(entry);
  }

  private entryView(x: EngineEntry): OutboxEntry {
    const item = this.engine?.store.getQueueItem(x.assignmentId);
    let problem: OutboxProblem | null = null;
    if (x.state === 'conflict' && x.conflict) {
      const p = x.conflict.problem;
      const reason = x.conflict.reason ?? '';
      problem = {
        code: x.conflict.code,
        httpStatus: p?.status ?? null,
        message:
          p?.message ??
          (CONFLICT_KEYS.has(x.conflict.code)
            ? bi(`ui.conflict.${x.conflict.code}`, { reason })
            : bi('ui.outbox.conflictFeed', { code: x.conflict.code, reason })),
        advice: ADVICE_FOR(x.conflict.code, p?.status ?? 409),
      };
    } else if ((x.state === 'rejected' || x.state === 'pending') && x.lastError) {
      const p = x.lastError.problem;
      problem = {
        code: p?.code ?? x.lastError.code,
        httpStatus: x.lastError.status ?? null,
        message: p?.message ?? bi(x.lastError.messageKey, x.lastError.params),
        advice: x.state === 'pending' ? 'wait' : ADVICE_FOR(p?.code ?? x.lastError.code, x.lastError.status ?? 422),
      };
    }
    return {
      id: x.id,
      assignmentId: x.assignmentId,
      documentId: x.documentId,
      title: item?.title ?? x.documentId,
      action: item?.action ?? 'approval',
      baseVersion: x.baseVersion,
      level: x.upgraded ? `${x.level} + DSS + DocTS` : x.level,
      createdAt: new Date(x.createdAt).toISOString(),
      state:
        x.state === 'uploaded' ? 'uploaded' : x.state === 'conflict' || x.state === 'rejected' ? 'conflict' : 'pending',
      attempts: x.attempts,
      lastAttemptAt: x.attempts > 0 ? new Date(x.updatedAt).toISOString() : null,
      uploadedAt: x.state === 'uploaded' ? new Date(x.updatedAt).toISOString() : null,
      uploadedVersion: x.serverVersion,
      problem,
      blobId: null,
    };
  }

  async outbox(): Promise<OutboxEntry[]> {
    const e = await this.eng();
    const a = e.account;
    return e
      .listOutbox()
      .filter((x) => SHOWN_STATES.has(x.state) && (!a || (x.userId === a.userId && x.serverUrl === a.serverUrl)))
      .sort((p, q) => q.createdAt - p.createdAt)
      .map((x) => this.entryView(x));
  }

  async outboxFile(id: string): Promise<string | null> {
    return (await this.eng()).signedPath(id);
  }

  async retry(id: string): Promise<OutboxEntry> {
    const e = await this.eng();
    await e.retryNow().catch(() => undefined);
    const x = e.store.getOutbox(id);
    if (!x) throw new KysoError('INPUT_UNREADABLE', 'error.inputUnreadable', { path: id });
    return this.entryView(x);
  }

  async discard(id: string): Promise<void> {
    const e = await this.eng();
    const x = e.store.getOutbox(id);
    if (!x) return;
    if (x.state === 'pending' || x.state === 'signing') throw new KysoError('USAGE', 'ui.error.busyUploading');
    if (x.state !== 'uploaded') e.discard(id);
    else e.store.discard?.(id, Date.now());
    this.emit({ kind: 'outbox' });
    this.emit({ kind: 'queue', newItems: [] });
  }

  start(): void {
    this.started = true;
    void this.eng().then(
      (e) => e.start(),
      () => undefined,
    );
  }

  async close(): Promise<void> {
    this.started = false;
    await this.opening?.catch(() => undefined);
    await this.engine?.close();
    this.engine = null;
  }
}
