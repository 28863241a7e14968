/**
 * The client sync engine: what the Electron main process (and `kyso sync`) drives.
 *
 *   const engine = await SyncEngine.open({ dataDir, serverUrl, secrets, credentials });
 *   engine.events.on('status', (s) => …);        // synced / pending N / offline since / conflict
 *   await engine.loginWithPassword(user, pass);  // or loginWithCertificate(challengeSigner)
 *   engine.start();                              // polling loop with backoff
 *   await engine.sign({ assignmentId, signer }); // works offline; durable before it returns
 *   …
 *   await engine.close();
 *
 * One engine per data directory (a lock file enforces it). Opening runs the recovery.
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { UserInfo } from '../../src-shared/api/sync-types.js';
import type { FetchLike } from '../cms/http-exchange.js';
import { AuthSession, type ChallengeSigner, type Credentials } from './auth-session.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { LocalBlobStore } from './blob-store.js';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { SyncError, toSyncErrorValue, type SyncErrorValue } from './errors.js';
import { normaliseServerUrl, SyncHttp } from './http-client.js';
import { LocalStore } from './local-store.js';
import {
  journalNextAttemptAt,
  journalSyncStatus,
  pushJournal,
  readJournalSync,
  resetJournalDevice,
  retryJournalNow,
} from './journal-push.js';
import { recover, signIntoOutbox, type RecoveryReport, type SignRequest } from './outbox-signing.js';
import { pushOutbox } from './outbox-upload.js';
import { createSyncFetch, type SyncFetch } from './proxy.js';
import { prefetchContent, pullQueue } from './queue-pull.js';
import { FileSecretStore, type SecretStore } from './secret-store.js';
import type { SyncContext, UpgradePolicy } from './sync-context.js';
import type {
  Account,
  ConnectionState,
  JournalSyncStatus,
  LocalQueueItem,
  OutboxEntry,
  SyncRoundResult,
  SyncStatus,
} from './types.js';
import type { JournalVerification } from './audit-journal.js';

export interface SyncEngineOptions {
  dataDir: string;
  /** Overrides the stored server; remembered after a successful login. */
  serverUrl?: string;
  /** Default: FileSecretStore(dataDir/secrets.json, 0600). The app passes a safeStorage one. */
  secrets?: SecretStore;
  /** Default: global fetch, or undici + proxy when HTTPS_PROXY/HTTP_PROXY apply (see proxy.ts). */
  fetchImpl?: FetchLike;
  env?: NodeJS.ProcessEnv;
  /** Asked when no stored refresh token works; null = stay signed out. */
  credentials?: () => Promise<Credentials | null>;
  /** Default 60 s. */
  pollIntervalMs?: number;
  backoff?: BackoffPolicy;
  /** 'open' (default): fetch the content of open tasks so they can be signed offline. */
  prefetch?: 'open' | 'none';
  pageSize?: number;
  /** Overrides the stored policy (setting `upgrade.policy`, default before-upload) and TSA. */
  upgrade?: { policy?: UpgradePolicy; tsaUrl?: string | null; timeoutMs?: number };
  acceptLanguage?: string;
  httpTimeoutMs?: number;
  now?: () => number;
  random?: () => number;
  /** Progress lines; never given a token, a password or a PIN. */
  log?: (line: string) => void;
}

export interface SyncEvents {
  status: [SyncStatus];
  /** The local queue changed (after a pull with changes, or a local signature). */
  queue: [{ changes: number }];
  /** An outbox entry changed state (signed, upgraded, uploaded, conflict, rejected, discarded). */
  outbox: [OutboxEntry];
}

export interface JournalExport {
  format: 'kyso-signature-journal-v1';
  exportedAt: string;
  machine: string | null;
  /** The device id the journal is pushed under, and how far the server has acknowledged it. */
  deviceId: string | null;
  serverAcknowledged: number;
  entries: unknown[];
  verification: JournalVerification;
}

export class SyncEngine {
  readonly events = new EventEmitter<SyncEvents>();
  readonly store: LocalStore;
  readonly blobs: LocalBlobStore;
  readonly dataDir: string;
  recovery: RecoveryReport | null = null;

  private readonly secrets: SecretStore;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly log: (line: string) => void;
  private readonly ctx: SyncContext;
  private httpClient: SyncHttp | null = null;
  private authSession: AuthSession | null = null;
  private fetcher: SyncFetch | null = null;

  private connection: ConnectionState = 'unknown';
  private offlineSince: number | null = null;
  private signedIn = false;
  private lastError: SyncErrorValue | null = null;
  private failures = 0;
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private nextAttemptAt: number | null = null;
  private current: Promise<SyncRoundResult> | null = null;
  private again: Promise<SyncRoundResult> | null = null;
  private closed = false;

  private constructor(
    private readonly opts: SyncEngineOptions,
    private readonly lock: DataDirLock,
  ) {
    this.dataDir = opts.dataDir;
    this.store = LocalStore.open(opts.dataDir);
    this.blobs = new LocalBlobStore(join(opts.dataDir, 'blobs'));
    this.secrets = opts.secrets ?? new FileSecretStore(join(opts.dataDir, 'secrets.json'));
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.log = opts.log ?? (() => undefined);
    const storedPolicy = this.store.getSetting<UpgradePolicy>('upgrade.policy');
    const storedTsa = this.store.getSetting<string>('upgrade.tsaUrl');
    this.ctx = {
      store: this.store,
      blobs: this.blobs,
      stagingDir: join(opts.dataDir, 'staging'),
      now: this.now,
      random: this.random,
      log: this.log,
      backoff: opts.backoff ?? DEFAULT_BACKOFF,
      account: () => this.account,
      http: () => this.http(),
      auth: () => this.auth(),
      reLogin: () => this.reLogin(),
      upgrade: {
        policy: opts.upgrade?.policy ?? storedPolicy ?? 'before-upload',
        tsaUrl: opts.upgrade?.tsaUrl !== undefined ? opts.upgrade.tsaUrl : (storedTsa ?? null),
        timeoutMs: opts.upgrade?.timeoutMs ?? 15_000,
      },
      onOutbox: (e) => {
        this.events.emit('outbox', e);
        this.emitStatus();
      },
    };
  }

  /** Opens the store (migrating it), takes the data-directory lock, and recovers. */
  static async open(opts: SyncEngineOptions): Promise<SyncEngine> {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
    const lock = await lockDataDir(opts.dataDir);
    let engine: SyncEngine;
    try {
      engine = new SyncEngine(opts, lock);
    } catch (e) {
      await lock.release();
      throw e;
    }
    try {
      await engine.blobs.init();
      engine.recovery = await recover(engine.ctx);
      const r = engine.recovery;
      if (r.interrupted || r.stagingRemoved || r.damaged) {
        engine.log(
          `sync: recovery: ${r.interrupted} interrupted signing(s) rolled back, ${r.stagingRemoved} staged file(s) removed, ${r.requeued} signature(s) queued for upload${r.damaged ? `, ${r.damaged} DAMAGED` : ''}`,
        );
      }
      if (engine.serverUrl) engine.signedIn = await engine.auth().hasRefreshToken();
    } catch (e) {
      await engine.close();
      throw e;
    }
    return engine;
  }

  // ---- configuration ----------------------------------------------------------------------------

  get serverUrl(): string | null {
    const url = this.opts.serverUrl ?? this.store.getSetting<string>('server.url') ?? null;
    return url ? normaliseServerUrl(url) : null;
  }

  get account(): Account | null {
    return this.store.getSetting<Account>('account') ?? null;
  }

  /** Persists the upgrade policy and TSA (an IT preset or, later, the server's policy). */
  setUpgradePolicy(policy: UpgradePolicy, tsaUrl: string | null): void {
    this.store.setSetting('upgrade.policy', policy);
    this.store.setSetting('upgrade.tsaUrl', tsaUrl ?? undefined);
    this.ctx.upgrade.policy = policy;
    this.ctx.upgrade.tsaUrl = tsaUrl;
  }

  /** How the engine reaches the server ('proxy-unsupported': a proxy is set but cannot be used). */
  async connectionMode(): Promise<SyncFetch | null> {
    await this.ensureFetch();
    return this.fetcher;
  }

  private http(): SyncHttp {
    const url = this.serverUrl;
    if (!url) throw new SyncError('NO_SERVER', 'sync.error.noServer');
    if (!this.httpClient || this.httpClient.baseUrl !== url) {
      const f = this.opts.fetchImpl ?? this.fetcher?.fetch ?? globalThis.fetch;
      this.httpClient = new SyncHttp(url, f, {
        ...(this.opts.httpTimeoutMs ? { timeoutMs: this.opts.httpTimeoutMs } : {}),
        acceptLanguage: this.opts.acceptLanguage ?? 'vi',
        userAgent: 'kyso-desktop-sync/1',
      });
      this.authSession = null;
    }
    return this.httpClient;
  }

  private async ensureFetch(): Promise<void> {
    if (this.opts.fetchImpl || this.fetcher || !this.serverUrl) return;
    this.fetcher = await createSyncFetch(this.serverUrl, this.opts.env ?? process.env);
    if (this.fetcher.mode === 'proxy-unsupported') {
      this.log(`sync: a proxy is configured (${this.fetcher.proxy}) but this build cannot use it; connecting directly`);
    }
    this.ctx.upgrade.fetchImpl = this.fetcher.mode === 'proxy' ? this.fetcher.fetch : undefined;
    this.httpClient = null;
  }

  private auth(): AuthSession {
    const http = this.http();
    if (!this.authSession) {
      this.authSession = new AuthSession(http, this.secrets, {
        now: this.now,
        onUser: (u) => this.adoptAccount(http.baseUrl, u),
      });
    }
    return this.authSession;
  }

  /**
   * The store belongs to one account at a time. Another user (or server) may take it over only
   * when no signature of the previous one is waiting to be uploaded.
   */
  private adoptAccount(serverUrl: string, user: UserInfo): void {
    const next: Account = { serverUrl, userId: user.id, username: user.username, fullName: user.fullName };
    const prev = this.account;
    if (prev && (prev.serverUrl !== next.serverUrl || prev.userId !== next.userId)) {
      const waiting = this.store.listOutbox(['signing', 'pending']).length;
      if (waiting > 0) {
        throw new SyncError('ACCOUNT_MISMATCH', 'sync.error.accountMismatch', { username: prev.username, waiting });
      }
      this.store.resetQueue();
    }
    this.store.tx(() => {
      this.store.setSetting('account', next);
      this.store.setSetting('server.url', serverUrl);
    });
  }

  // ---- auth -----------------------------------------------------------------------------------

  async loginWithPassword(username: string, password: string): Promise<Account> {
    await this.ensureFetch();
    await this.auth().loginWithPassword(username, password);
    return this.afterLogin();
  }

  async loginWithCertificate(signer: ChallengeSigner): Promise<Account> {
    await this.ensureFetch();
    await this.auth().loginWithCertificate(signer);
    return this.afterLogin();
  }

  private afterLogin(): Account {
    this.signedIn = true;
    if (this.lastError?.code === 'AUTH_REQUIRED' || this.lastError?.code === 'AUTH_FAILED') this.lastError = null;
    this.emitStatus();
    if (this.running) this.schedule(0);
    return this.account!;
  }

  async logout(): Promise<void> {
    if (this.serverUrl) await this.auth().logout();
    this.signedIn = false;
    this.emitStatus();
  }

  private async reLogin(): Promise<boolean> {
    this.signedIn = false;
    const provide = this.opts.credentials;
    if (!provide) return false;
    const c = await provide();
    if (!c) return false;
    await this.auth().login(c);
    this.signedIn = true;
    return true;
  }

  // ---- the loop -------------------------------------------------------------------------------

  /** Starts polling: a round now, then every pollIntervalMs (backoff while failing). */
  start(): void {
    if (this.closed) return;
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.nextAttemptAt = null;
    await this.current?.catch(() => undefined);
  }

  /**
   * A hint from the OS (Electron: net.isOnline(), powerMonitor 'resume'): back online → try at
   * once instead of waiting out the backoff; offline → show it now.
   */
  setNetworkOnline(online: boolean): void {
    if (online) {
      this.failures = 0;
      this.ctx.store.retryAllNow(this.now());
      retryJournalNow(this.store);
      if (this.running) this.schedule(0);
    } else {
      this.markOffline();
      this.emitStatus();
    }
  }

  private schedule(delayMs: number): void {
    if (!this.running || this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.nextAttemptAt = this.now() + delayMs;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, delayMs);
    this.timer.unref();
    this.emitStatus();
  }

  private async tick(): Promise<void> {
    const r = await this.syncNow();
    if (!this.running) return;
    const poll = this.opts.pollIntervalMs ?? 60_000;
    if (r.ok) {
      this.failures = 0;
      // An entry waiting out its own backoff may be due before the next poll.
      const journalDue = journalNextAttemptAt(this.store);
      const due = [
        ...this.store.listOutbox(['pending']).map((e) => e.nextAttemptAt),
        ...(journalDue === null ? [] : [journalDue]),
      ]
        .map((at) => at - this.now())
        .filter((d) => d > 0);
      this.schedule(Math.min(poll, ...due));
    } else if (
      r.error &&
      (r.error.code === 'OFFLINE' || r.error.code === 'SERVER_UNAVAILABLE' || r.error.code === 'RATE_LIMITED')
    ) {
      this.schedule(
        Math.min(backoffDelay(this.failures++, this.ctx.backoff, this.random), Math.max(poll, this.ctx.backoff.maxMs)),
      );
    } else if (r.error?.code === 'AUTH_REQUIRED' || r.error?.code === 'AUTH_FAILED' || r.error?.code === 'NO_SERVER') {
      // Nothing will change until someone logs in (afterLogin reschedules).
      this.nextAttemptAt = null;
      this.emitStatus();
    } else {
      this.schedule(poll);
    }
  }

  /**
   * One round: pull the queue, push the outbox, push the signature journal, fetch content for
   * offline signing. Calls made while a round runs are coalesced into one more round after it.
   */
  syncNow(): Promise<SyncRoundResult> {
    if (this.current) {
      this.again ??= this.current.then(() => {
        this.again = null;
        return this.syncNow();
      });
      return this.again;
    }
    this.current = this.round().finally(() => {
      this.current = null;
    });
    return this.current;
  }

  private async round(): Promise<SyncRoundResult> {
    const result: SyncRoundResult = {
      ok: false,
      pulled: { changes: 0, pages: 0 },
      downloaded: 0,
      uploaded: 0,
      conflicts: 0,
      rejected: 0,
      pending: 0,
      upgraded: 0,
      journal: { pushed: 0, unsent: 0, state: 'ok' },
      error: null,
    };
    this.syncingNow = true;
    this.emitStatus();
    try {
      await this.ensureFetch();
      result.pulled = await pullQueue(this.ctx, this.opts.pageSize ?? 500);
      this.markOnline();
      if (result.pulled.changes > 0) this.events.emit('queue', { changes: result.pulled.changes });
      const push = await pushOutbox(this.ctx);
      Object.assign(result, push);
      // After the uploads, so that the journal entries of this round's uploads go with them.
      result.journal = await pushJournal(this.ctx);
      if (result.journal.pushed > 0) this.log(`sync: ${result.journal.pushed} journal entries pushed`);
      if ((this.opts.prefetch ?? 'open') === 'open') result.downloaded = await prefetchContent(this.ctx);
      this.signedIn = true;
      this.lastError = null;
      this.store.setSetting('sync.lastSyncAt', new Date(this.now()).toISOString());
      result.ok = true;
    } catch (e) {
      if (!(e instanceof SyncError)) this.log(`sync: round failed: ${(e as Error).message?.split('\n')[0] ?? 'error'}`);
      const v = toSyncErrorValue(e);
      result.error = v;
      this.lastError = v;
      if (v.code === 'OFFLINE') this.markOffline();
      else if (v.code !== 'NO_SERVER') this.markOnline();
      if (v.code === 'AUTH_REQUIRED' || v.code === 'AUTH_FAILED') this.signedIn = false;
    } finally {
      this.syncingNow = false;
      const counts = this.store.countByState();
      result.pending = counts.pending + counts.signing;
      const j = journalSyncStatus(this.store, this.account);
      result.journal = { ...result.journal, unsent: j.unsent, state: j.state };
      this.emitStatus();
    }
    return result;
  }

  private syncingNow = false;

  private markOnline(): void {
    this.connection = 'online';
    this.offlineSince = null;
  }

  private markOffline(): void {
    if (this.connection !== 'offline') this.offlineSince = this.now();
    this.connection = 'offline';
  }

  // ---- signing and the outbox ---------------------------------------------------------------

  /**
   * Signs a queued task into the outbox (B-B by default: no network needed). When it returns,
   * the signed file is durable and will be uploaded — by this round's loop, or after a restart.
   */
  async sign(req: SignRequest): Promise<OutboxEntry> {
    const e = await signIntoOutbox(this.ctx, req);
    this.events.emit('queue', { changes: 1 });
    if (this.running && this.connection !== 'offline') this.schedule(0);
    return e;
  }

  /** Drops a conflicted or rejected signature from the UI's attention; the file stays on disk. */
  discard(outboxId: string): OutboxEntry {
    const e = this.store.discard(outboxId, this.now());
    this.events.emit('outbox', e);
    this.emitStatus();
    return e;
  }

  /** Retry every pending upload now (a "Sync now" button). */
  retryNow(): Promise<SyncRoundResult> {
    this.store.retryAllNow(this.now());
    retryJournalNow(this.store);
    this.failures = 0;
    return this.syncNow();
  }

  listQueue(opts: { includeRemoved?: boolean } = {}): Promise<LocalQueueItem[]> {
    return Promise.all(
      this.store.listQueue(opts).map(async (i) => ({ ...i, contentAvailable: await this.blobs.has(i.contentSha256) })),
    );
  }

  listOutbox(): OutboxEntry[] {
    return this.store.listOutbox();
  }

  /** The local copy of a task's current version (to show it), or null when not downloaded. */
  async documentPath(assignmentId: number): Promise<string | null> {
    const i = this.store.getQueueItem(assignmentId);
    return i && (await this.blobs.has(i.contentSha256)) ? this.blobs.pathOf(i.contentSha256) : null;
  }

  /** The signed file of an outbox entry (kept also for conflicts and rejections). */
  async signedPath(outboxId: string): Promise<string | null> {
    const e = this.store.getOutbox(outboxId);
    return e?.signedSha256 && (await this.blobs.has(e.signedSha256)) ? this.blobs.pathOf(e.signedSha256) : null;
  }

  // ---- journal --------------------------------------------------------------------------------

  verifyJournal(): JournalVerification {
    return this.store.verifyJournal();
  }

  /** Where the server's copy of the journal stands (also in `status().journal`). */
  journalStatus(): JournalSyncStatus {
    return journalSyncStatus(this.store, this.account);
  }

  /**
   * After a journal fork has been looked into (a copied data folder, an edited store): anchors
   * the local journal again, from its first entry, under a new device id. The server keeps the
   * old device's copy and its recorded fork. Returns the new device id (null when signed out).
   */
  resetJournalDevice(): string | null {
    const id = resetJournalDevice(this.store, this.account);
    this.emitStatus();
    if (id && this.running) this.schedule(0);
    return id;
  }

  /** The audit journal, for archiving beside the server's copy. */
  exportJournal(): JournalExport {
    const sync = readJournalSync(this.store);
    return {
      format: 'kyso-signature-journal-v1',
      exportedAt: new Date(this.now()).toISOString(),
      machine: this.account ? `${this.account.username}@${this.account.serverUrl}` : null,
      deviceId: sync?.deviceId ?? null,
      serverAcknowledged: sync?.ackSeq ?? 0,
      entries: this.store.listJournal(),
      verification: this.store.verifyJournal(),
    };
  }

  // ---- status ---------------------------------------------------------------------------------

  status(): SyncStatus {
    const c = this.store.countByState();
    const pending = c.pending + c.signing;
    const syncing = this.syncingNow;
    const journal = journalSyncStatus(this.store, this.account);
    // A journal the server refused (fork, broken chain) is an integrity alarm: shown as an error
    // ahead of pending uploads, with the server's problem as the error.
    const journalAlarm = journal.state === 'fork' || journal.state === 'rejected' ? journal.problem : null;
    const summary: SyncStatus['summary'] = !this.signedIn
      ? 'signed-out'
      : c.conflict + c.rejected > 0
        ? 'conflict'
        : this.connection === 'offline'
          ? 'offline'
          : syncing
            ? 'syncing'
            : journalAlarm
              ? 'error'
              : pending > 0
                ? 'pending'
                : this.lastError
                  ? 'error'
                  : 'synced';
    const last = this.store.getSetting<string>('sync.lastSyncAt') ?? null;
    return {
      summary,
      connection: this.connection,
      offlineSince: this.offlineSince === null ? null : new Date(this.offlineSince).toISOString(),
      signedIn: this.signedIn,
      account: this.account,
      syncing,
      pending,
      conflicts: c.conflict,
      rejected: c.rejected,
      queueOpen: this.store.countOpenQueue(),
      lastSyncAt: last,
      nextAttemptAt: this.nextAttemptAt === null ? null : new Date(this.nextAttemptAt).toISOString(),
      lastError: this.lastError ?? journalAlarm,
      journal,
    };
  }

  private emitStatus(): void {
    if (this.closed) return;
    this.events.emit('status', this.status());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.stop();
    this.closed = true;
    this.store.close();
    await this.lock.release();
  }
}
