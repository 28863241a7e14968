/**
 * The sync port over the reference server's HTTP API (docs/sync-api.openapi.yaml), with a small
 * local store: the queue as last synced (per server and user), document files by SHA-256, and
 * an outbox journal of signed files. Every write that matters is atomic; a signed file is on
 * disk before it is marked signed, and an upload is retried with the same Idempotency-Key until
 * the server answers, so it is recorded once.
 *
 * This is the adapter the desktop service uses until the sync engine (src-core/sync) is wired
 * in behind the same SyncPort interface.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { QueueItem, QueuePage, SyncProblem, TokenResponse, UserInfo } from '../../src-shared/api/sync-types.js';
import {
  OutboxEntry,
  type IssuedNumber,
  type OutboxProblem,
  type QueueItemView,
  type SessionState,
  type SyncStatus,
} from '../../src-shared/api/ui-types.js';
import { KysoError, toErrorValue, type KysoErrorValue } from '../../src-shared/errors.js';
import { signDocument, type DocumentSigner } from '../sign/sign-document.js';
import { commitFile, ensureDir, newId, writeFileAtomic } from './data-dir.js';
import { httpRequest, jsonOf, type HttpRequest, type HttpResponse } from './http-client.js';
import type { OutboxSignRequest, SyncChange, SyncPort } from './sync-port.js';
import { queueItemView } from './queue-view.js';

interface Auth {
  access: string;
  accessExpiresAt: number;
  refresh: string;
  user: UserInfo;
  method: 'certificate' | 'password';
  certificateSha256: string | null;
}

interface StoredQueue {
  serverUrl: string;
  userId: number;
  cursor: string;
  syncedAt: string | null;
  items: Array<{ item: QueueItem; receivedAt: string }>;
}

interface StoredEntry {
  entry: OutboxEntry;
  serverUrl: string;
  userId: number;
}

const ADVICE: Record<string, OutboxProblem['advice']> = {
  DOCUMENT_RECALLED: 'discard',
  ASSIGNMENT_NOT_OPEN: 'discard',
  VERSION_CONFLICT: 'reload',
  COMPETENT_SIGNATURE_MISSING: 'reload',
  NUMBER_NOT_ALLOCATED: 'reload',
  NOT_INCREMENTAL: 'reload',
  WRONG_SIGNER: 'contact-admin',
  SIGNER_KIND_MISMATCH: 'contact-admin',
  SIGNATURE_INVALID: 'contact-admin',
  SIGNATURE_COUNT: 'contact-admin',
  IDEMPOTENCY_KEY_REUSED: 'contact-admin',
  NOT_FOUND: 'discard',
  INSPECTOR_UNAVAILABLE: 'wait',
};

/** What the user should do about a refusal, from the server's code (and HTTP status). */
export function ADVICE_FOR(code: string, status: number): OutboxProblem['advice'] {
  return ADVICE[code] ?? (status >= 500 ? 'wait' : 'contact-admin');
}

const sha256Hex = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export interface HttpSyncOptions {
  dataDir: string;
  serverUrl: string;
  proxy?: string;
  now?: () => number;
}

export class HttpSyncAdapter implements SyncPort {
  readonly backend = 'http-adapter' as const;
  private serverUrl: string;
  private proxy: string;
  private auth: Auth | null = null;
  private queueStore: StoredQueue | null = null;
  private readonly entries = new Map<string, StoredEntry>();
  private readonly uploading = new Map<string, Promise<OutboxEntry>>();
  private state: SyncStatus['state'] = 'signed-out';
  private lastSyncAt: string | null = null;
  private lastError: KysoErrorValue | null = null;
  private running: Promise<SyncStatus> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<(c: SyncChange) => void>();
  private readonly root: string;
  private readonly docsDir: string;
  private readonly outboxDir: string;

  constructor(o: HttpSyncOptions) {
    this.serverUrl = o.serverUrl.replace(/\/+$/, '');
    this.proxy = o.proxy ?? '';
    this.root = ensureDir(join(o.dataDir, 'sync'));
    this.docsDir = ensureDir(join(this.root, 'documents'));
    this.outboxDir = ensureDir(join(this.root, 'outbox'));
    this.recover();
  }

  /** Loads the outbox journal; a signed file without its record (a crash in between) is removed. */
  private recover(): void {
    const names = readdirSync(this.outboxDir);
    for (const n of names.filter((x) => x.endsWith('.json'))) {
      try {
        const stored = JSON.parse(readFileSync(join(this.outboxDir, n), 'utf8')) as StoredEntry;
        const entry = OutboxEntry.parse(stored.entry);
        // An upload interrupted by a crash is simply pending again (same idempotency key).
        if (entry.state === 'uploading') entry.state = 'pending';
        this.entries.set(entry.id, { ...stored, entry });
      } catch {
        // A damaged record: leave the file for support to look at.
      }
    }
    for (const n of names) {
      const id = n.replace(/\.(pdf|json)$/, '');
      if (n.endsWith('.pdf') && !this.entries.has(id)) void rm(join(this.outboxDir, n), { force: true });
      if (n.endsWith('.tmp')) void rm(join(this.outboxDir, n), { force: true });
    }
  }

  async ready(): Promise<void> {
    // Nothing to open: the session lives in memory only.
  }

  onChange(l: (c: SyncChange) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private emit(c: SyncChange): void {
    for (const l of [...this.listeners]) l(c);
  }

  async configure(o: { serverUrl: string; proxy: string }): Promise<void> {
    const url = o.serverUrl.replace(/\/+$/, '');
    this.proxy = o.proxy;
    if (url !== this.serverUrl) {
      this.serverUrl = url;
      this.auth = null;
      this.queueStore = null;
      this.setState('signed-out', null);
    }
  }

  session(): SessionState {
    const a = this.auth;
    return {
      serverUrl: this.serverUrl,
      user: a
        ? {
            id: a.user.id,
            username: a.user.username,
            fullName: a.user.fullName,
            title: a.user.title,
            role: a.user.role,
            organisation: a.user.organisation,
            unit: a.user.unit,
          }
        : null,
      method: a?.method ?? null,
      certificateSha256: a?.certificateSha256 ?? null,
    };
  }

  private mine(): StoredEntry[] {
    const a = this.auth;
    if (!a) return [];
    return [...this.entries.values()].filter((e) => e.serverUrl === this.serverUrl && e.userId === a.user.id);
  }

  status(): SyncStatus {
    const mine = this.mine();
    return {
      state: this.state,
      lastSyncAt: this.lastSyncAt,
      lastError: this.lastError,
      queueCount: this.queueNow().items.length,
      pendingUploads: mine.filter((e) => e.entry.state === 'pending' || e.entry.state === 'uploading').length,
      conflicts: mine.filter((e) => e.entry.state === 'conflict').length,
      backend: this.backend,
    };
  }

  private setState(state: SyncStatus['state'], error: KysoErrorValue | null): void {
    this.state = state;
    this.lastError = error;
    this.emit({ kind: 'status' });
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  private url(path: string): string {
    if (!this.serverUrl) throw new KysoError('USAGE', 'ui.error.noServer');
    return `${this.serverUrl}/api/v1${path}`;
  }

  private async send(r: Omit<HttpRequest, 'url' | 'proxy'> & { path: string; auth?: boolean }): Promise<HttpResponse> {
    const doIt = async (): Promise<HttpResponse> => {
      const headers: Record<string, string> = { accept: 'application/json', 'accept-language': 'vi', ...r.headers };
      if (r.auth !== false) {
        if (!this.auth) throw new KysoError('NOT_SIGNED_IN', 'ui.error.notSignedIn');
        headers.authorization = `Bearer ${this.auth.access}`;
      }
      return httpRequest({ ...r, url: this.url(r.path), headers, ...(this.proxy ? { proxy: this.proxy } : {}) });
    };
    if (r.auth !== false && this.auth && Date.now() > this.auth.accessExpiresAt - 30_000) await this.refresh();
    let res = await doIt();
    if (res.status === 401 && r.auth !== false && this.auth) {
      await this.refresh();
      res = await doIt();
    }
    return res;
  }

  private problem(res: HttpResponse): SyncProblem | null {
    try {
      const p = jsonOf<SyncProblem>(res);
      return typeof p.code === 'string' ? p : null;
    } catch {
      return null;
    }
  }

  private rejected(res: HttpResponse): KysoError {
    const p = this.problem(res);
    return new KysoError('SERVER_REJECTED', 'ui.error.serverRejected', {
      status: res.status,
      code: p?.code ?? String(res.status),
      vi: p?.message?.vi ?? '',
      en: p?.message?.en ?? '',
    });
  }

  private async refresh(): Promise<void> {
    const a = this.auth;
    if (!a) return;
    const res = await httpRequest({
      method: 'POST',
      url: this.url('/auth/refresh'),
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: Buffer.from(JSON.stringify({ refreshToken: a.refresh })),
      ...(this.proxy ? { proxy: this.proxy } : {}),
    });
    if (res.status !== 200) {
      this.auth = null;
      this.setState('signed-out', toErrorValue(new KysoError('NOT_SIGNED_IN', 'ui.error.sessionExpired')));
      throw new KysoError('NOT_SIGNED_IN', 'ui.error.sessionExpired');
    }
    this.setAuth(jsonOf<TokenResponse>(res), a.method, a.certificateSha256);
  }

  private setAuth(tr: TokenResponse, method: Auth['method'], certificateSha256: string | null): void {
    const sameUser = this.auth?.user.id === tr.user.id;
    this.auth = {
      access: tr.accessToken,
      accessExpiresAt: Date.now() + tr.expiresIn * 1000,
      refresh: tr.refreshToken,
      user: tr.user,
      method,
      certificateSha256,
    };
    if (!sameUser || !this.queueStore) this.loadQueue();
  }

  // ---- session -------------------------------------------------------------------------------

  async loginPassword(username: string, password: string): Promise<SessionState> {
    const res = await httpRequest({
      method: 'POST',
      url: this.url('/auth/password'),
      headers: { 'content-type': 'application/json', accept: 'application/json', 'accept-language': 'vi' },
      body: Buffer.from(JSON.stringify({ username, password })),
      ...(this.proxy ? { proxy: this.proxy } : {}),
    });
    if (res.status !== 200) throw this.rejected(res);
    this.setAuth(jsonOf<TokenResponse>(res), 'password', null);
    this.afterLogin();
    return this.session();
  }

  async loginCertificate(signer: DocumentSigner): Promise<SessionState> {
    const certDer = signer.certDer;
    const sign = async (data: Buffer): Promise<Buffer> => (await signer.sign(data, 'SHA-256')).signature;
    const ch = await httpRequest({
      method: 'POST',
      url: this.url('/auth/challenge'),
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: Buffer.from('{}'),
      ...(this.proxy ? { proxy: this.proxy } : {}),
    });
    if (ch.status !== 201 && ch.status !== 200) throw this.rejected(ch);
    const { challengeId, challenge } = jsonOf<{ challengeId: string; challenge: string }>(ch);
    const signature = await sign(Buffer.from(challenge, 'utf8'));
    const res = await httpRequest({
      method: 'POST',
      url: this.url('/auth/certificate'),
      headers: { 'content-type': 'application/json', accept: 'application/json', 'accept-language': 'vi' },
      body: Buffer.from(
        JSON.stringify({
          challengeId,
          certificate: certDer.toString('base64'),
          signature: signature.toString('base64'),
        }),
      ),
      ...(this.proxy ? { proxy: this.proxy } : {}),
    });
    if (res.status !== 200) throw this.rejected(res);
    this.setAuth(jsonOf<TokenResponse>(res), 'certificate', sha256Hex(certDer));
    this.afterLogin();
    return this.session();
  }

  private afterLogin(): void {
    this.setState('idle', null);
    void this.syncNow();
  }

  async logout(): Promise<SessionState> {
    if (this.auth) {
      await this.send({ method: 'POST', path: '/auth/logout', body: Buffer.from('{}') }).catch(() => undefined);
    }
    this.auth = null;
    this.queueStore = null;
    this.setState('signed-out', null);
    this.emit({ kind: 'queue', newItems: [] });
    return this.session();
  }

  // ---- queue ---------------------------------------------------------------------------------

  private queueFile(): string {
    const key = sha256Hex(Buffer.from(`${this.serverUrl}|${this.auth!.user.id}`)).slice(0, 16);
    return join(ensureDir(join(this.root, 'queues')), `${key}.json`);
  }

  private loadQueue(): void {
    const empty: StoredQueue = {
      serverUrl: this.serverUrl,
      userId: this.auth!.user.id,
      cursor: '0',
      syncedAt: null,
      items: [],
    };
    try {
      const q = JSON.parse(readFileSync(this.queueFile(), 'utf8')) as StoredQueue;
      this.queueStore = q.serverUrl === this.serverUrl && q.userId === this.auth!.user.id ? q : empty;
    } catch {
      this.queueStore = empty;
    }
    this.index = new Map(this.queueStore.items.map((x) => [x.item.id, x]));
    this.lastSyncAt = this.queueStore.syncedAt;
  }

  private index = new Map<number, { item: QueueItem; receivedAt: string }>();

  private localState(assignmentId: number): QueueItemView['local'] {
    let out: QueueItemView['local'] = 'none';
    for (const e of this.mine()) {
      if (e.entry.assignmentId !== assignmentId) continue;
      if (e.entry.state === 'conflict') out = 'conflict';
      else if (e.entry.state === 'uploaded') out = out === 'none' ? 'uploaded' : out;
      else out = 'pending-upload';
    }
    return out;
  }

  private view(x: { item: QueueItem; receivedAt: string }): QueueItemView {
    const i = x.item;
    return queueItemView(i, this.localState(i.id), x.receivedAt);
  }

  async queue(): Promise<{ items: QueueItemView[]; syncedAt: string | null }> {
    return this.queueNow();
  }

  private queueNow(): { items: QueueItemView[]; syncedAt: string | null } {
    if (!this.auth || !this.queueStore) return { items: [], syncedAt: null };
    return { items: [...this.index.values()].map((x) => this.view(x)), syncedAt: this.queueStore.syncedAt };
  }

  async item(assignmentId: number): Promise<QueueItemView | undefined> {
    const x = this.index.get(assignmentId);
    return x ? this.view(x) : undefined;
  }

  private raw(assignmentId: number): QueueItem {
    const x = this.index.get(assignmentId);
    if (!x) throw new KysoError('INPUT_UNREADABLE', 'ui.error.notInQueue', { id: assignmentId });
    return x.item;
  }

  async syncNow(): Promise<SyncStatus> {
    if (!this.auth) return this.status();
    if (this.running) return this.running;
    this.running = (async () => {
      this.setState('syncing', this.lastError);
      try {
        await this.pushOutbox();
        await this.pull();
        this.lastSyncAt = new Date().toISOString();
        this.setState('idle', null);
        void this.prefetch();
      } catch (e) {
        const v = toErrorValue(e);
        if (!this.auth) this.setState('signed-out', v);
        else this.setState(v.code === 'SERVER_UNREACHABLE' ? 'offline' : 'error', v);
      }
      return this.status();
    })();
    try {
      return await this.running;
    } finally {
      this.running = null;
    }
  }

  private async pull(): Promise<void> {
    const store = this.queueStore!;
    const initial = store.cursor === '0';
    const fresh: QueueItemView[] = [];
    let changed = false;
    for (let page = 0; page < 1000; page++) {
      const res = await this.send({ method: 'GET', path: `/queue?since=${store.cursor}&limit=1000` });
      if (res.status !== 200) throw this.rejected(res);
      const body = jsonOf<QueuePage>(res);
      const now = new Date().toISOString();
      for (const e of body.items) {
        changed = true;
        const known = this.index.get(e.item.id);
        if (e.change === 'removed' || e.item.assignmentState !== 'open') {
          this.index.delete(e.item.id);
          continue;
        }
        const rec = { item: e.item, receivedAt: known?.receivedAt ?? now };
        this.index.set(e.item.id, rec);
        if (!known && !initial && e.change === 'new') fresh.push(this.view(rec));
      }
      store.cursor = body.nextCursor;
      if (!body.hasMore) break;
    }
    store.syncedAt = new Date().toISOString();
    store.items = [...this.index.values()];
    if (changed || initial) {
      await writeFileAtomic(this.queueFile(), JSON.stringify(store));
      this.emit({ kind: 'queue', newItems: fresh });
    }
  }

  // ---- documents -----------------------------------------------------------------------------

  private prefetching = false;

  /**
   * Downloads the content of open items not on disk yet (most pressing first, a bounded number
   * per round, four at a time), so documents can be opened and signed while offline.
   */
  private async prefetch(limit = Number(process.env.KYSO_PREFETCH_LIMIT ?? 100)): Promise<void> {
    if (this.prefetching || limit <= 0) return;
    this.prefetching = true;
    try {
      const todo = [...this.index.values()]
        .map((x) => x.item)
        .filter((i) => i.status !== '13' && !existsSync(join(this.docsDir, `${i.contentSha256.toLowerCase()}.pdf`)))
        .sort((a, b) => b.urgency - a.urgency || (a.dueAt ?? '9').localeCompare(b.dueAt ?? '9'))
        .slice(0, limit);
      const next = async (): Promise<void> => {
        for (let it = todo.shift(); it && this.auth; it = todo.shift()) {
          await this.contentPath(it.id).catch(() => undefined);
        }
      };
      await Promise.all([next(), next(), next(), next()]);
    } finally {
      this.prefetching = false;
    }
  }

  async contentPath(assignmentId: number): Promise<{ path: string; sha256: string }> {
    const item = this.raw(assignmentId);
    const sha = item.contentSha256.toLowerCase();
    const path = join(this.docsDir, `${sha}.pdf`);
    if (existsSync(path)) return { path, sha256: sha };
    const tmp = join(this.docsDir, `.${sha}.${newId(4)}.tmp`);
    try {
      const res = await this.send({
        method: 'GET',
        path: `/documents/${encodeURIComponent(item.documentId)}/content?version=${item.version}`,
        headers: { accept: 'application/pdf' },
        toFile: tmp,
        timeoutMs: 120_000,
      });
      if (res.status !== 200) throw this.rejected(res);
      const got = await fileSha256(tmp);
      if (got !== sha) throw new KysoError('INPUT_MALFORMED', 'ui.error.contentMismatch', { id: item.documentId });
      await commitFile(tmp, path);
    } finally {
      await rm(tmp, { force: true });
    }
    return { path, sha256: sha };
  }

  async issueNumber(assignmentId: number): Promise<IssuedNumber> {
    const item = this.raw(assignmentId);
    const res = await this.send({
      method: 'POST',
      path: `/documents/${encodeURIComponent(item.documentId)}/issue-number`,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from('{}'),
    });
    if (res.status !== 200 && res.status !== 201) throw this.rejected(res);
    const r = jsonOf<{ number: number; notation: string; issuedDate: string }>(res);
    return { number: r.number, notation: r.notation, issuedDate: r.issuedDate };
  }

  async returnDocument(): Promise<void> {
    // The sync API has no "return to the drafter" operation yet (docs/sync-api.openapi.yaml).
    throw new KysoError('NOT_IMPLEMENTED', 'ui.error.returnUnsupported');
  }

  // ---- outbox --------------------------------------------------------------------------------

  private newOutboxFile(): { id: string; path: string } {
    const id = `ks-${newId(12)}`;
    return { id, path: join(this.outboxDir, `${id}.pdf`) };
  }

  async outboxFile(id: string): Promise<string | null> {
    const p = join(this.outboxDir, `${id}.pdf`);
    return this.entries.has(id) && existsSync(p) ? p : null;
  }

  async outbox(): Promise<OutboxEntry[]> {
    return this.mine()
      .map((e) => e.entry)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  private async save(s: StoredEntry): Promise<void> {
    this.entries.set(s.entry.id, s);
    await writeFileAtomic(join(this.outboxDir, `${s.entry.id}.json`), JSON.stringify(s));
    this.emit({ kind: 'outbox', entry: s.entry });
  }

  async sign(o: OutboxSignRequest): Promise<OutboxEntry> {
    const { path: input } = await this.contentPath(o.assignmentId);
    const out = this.newOutboxFile();
    try {
      await signDocument({
        input,
        output: out.path,
        signer: o.signer,
        level: o.level,
        ...(o.tsaUrl ? { tsaUrl: o.tsaUrl } : {}),
        networkTimeoutMs: 15000,
        placement: o.placement,
        ...(o.prepare ? { prepare: o.prepare } : {}),
      });
    } catch (e) {
      await rm(out.path, { force: true });
      throw e;
    }
    return this.submitSigned({ id: out.id, assignmentId: o.assignmentId, level: o.level });
  }

  private async submitSigned(o: { id: string; assignmentId: number; level: string }): Promise<OutboxEntry> {
    const item = this.raw(o.assignmentId);
    const path = join(this.outboxDir, `${o.id}.pdf`);
    await stat(path); // the signer wrote and fsynced it; it must exist before the record does
    const stored: StoredEntry = {
      serverUrl: this.serverUrl,
      userId: this.auth!.user.id,
      entry: {
        id: o.id,
        assignmentId: o.assignmentId,
        documentId: item.documentId,
        title: item.title,
        action: item.action,
        baseVersion: item.version,
        level: o.level,
        createdAt: new Date().toISOString(),
        state: 'pending',
        attempts: 0,
        lastAttemptAt: null,
        uploadedAt: null,
        uploadedVersion: null,
        problem: null,
        blobId: null,
      },
    };
    await this.save(stored);
    this.emit({ kind: 'queue', newItems: [] });
    return this.upload(o.id);
  }

  private async pushOutbox(): Promise<void> {
    for (const e of this.mine()) {
      if (e.entry.state === 'pending' && (await stat(join(this.outboxDir, `${e.entry.id}.pdf`)).catch(() => null))) {
        const r = await this.upload(e.entry.id);
        // Offline: stop trying the others this round.
        if (r.state === 'pending' && this.state === 'offline')
          throw new KysoError('SERVER_UNREACHABLE', 'ui.error.serverUnreachable', { url: this.serverUrl, detail: '' });
      }
    }
  }

  /** One upload attempt; network trouble leaves the entry pending for the next round. */
  private upload(id: string): Promise<OutboxEntry> {
    // One attempt at a time per entry: a second caller (the sync loop) waits for the same answer.
    const running = this.uploading.get(id);
    if (running) return running;
    const p = this.uploadOnce(id).finally(() => this.uploading.delete(id));
    this.uploading.set(id, p);
    return p;
  }

  private async uploadOnce(id: string): Promise<OutboxEntry> {
    const s = this.entries.get(id);
    if (!s) throw new KysoError('INPUT_UNREADABLE', 'error.inputUnreadable', { path: id });
    if (s.entry.state === 'uploaded' || s.entry.state === 'conflict') return s.entry;
    try {
      const file = join(this.outboxDir, `${id}.pdf`);
      const size = (await stat(file)).size;
      s.entry = {
        ...s.entry,
        state: 'uploading',
        attempts: s.entry.attempts + 1,
        lastAttemptAt: new Date().toISOString(),
      };
      this.emit({ kind: 'outbox' });
      let res: HttpResponse;
      try {
        res = await this.send({
          method: 'POST',
          path: `/documents/${encodeURIComponent(s.entry.documentId)}/signed`,
          headers: {
            'content-type': 'application/pdf',
            'idempotency-key': id,
            'if-match': String(s.entry.baseVersion),
          },
          body: { file, size },
          timeoutMs: 300_000,
        });
      } catch (e) {
        const v = toErrorValue(e);
        s.entry = { ...s.entry, state: 'pending' };
        await this.save(s);
        if (v.code === 'SERVER_UNREACHABLE' && this.state !== 'offline') this.setState('offline', v);
        return s.entry;
      }
      if (res.status === 201 || res.status === 200) {
        const body = jsonOf<{ version: number }>(res);
        s.entry = {
          ...s.entry,
          state: 'uploaded',
          uploadedAt: new Date().toISOString(),
          uploadedVersion: body.version,
          problem: null,
        };
        await this.save(s);
        if (this.state === 'offline') this.setState('idle', null);
        return s.entry;
      }
      const p = this.problem(res);
      const code = p?.code ?? String(res.status);
      const problem: OutboxProblem = {
        code,
        httpStatus: res.status,
        message: p?.message ?? { vi: `Máy chủ trả lời ${res.status}.`, en: `The server answered ${res.status}.` },
        advice: ADVICE_FOR(code, res.status),
      };
      // Temporary answers (server busy, inspector down, 5xx) stay pending; the rest need a person.
      const temporary = res.status >= 500 || res.status === 429 || res.status === 401;
      s.entry = { ...s.entry, state: temporary ? 'pending' : 'conflict', problem };
      await this.save(s);
      return s.entry;
    } finally {
      this.emit({ kind: 'status' });
    }
  }

  async retry(id: string): Promise<OutboxEntry> {
    const s = this.entries.get(id);
    if (!s) throw new KysoError('INPUT_UNREADABLE', 'error.inputUnreadable', { path: id });
    if (s.entry.state === 'conflict') {
      s.entry = { ...s.entry, state: 'pending' };
      await this.save(s);
    }
    return this.upload(id);
  }

  async discard(id: string): Promise<void> {
    const s = this.entries.get(id);
    if (!s) return;
    if (s.entry.state === 'uploading') throw new KysoError('USAGE', 'ui.error.busyUploading');
    this.entries.delete(id);
    await rm(join(this.outboxDir, `${id}.json`), { force: true });
    await rm(join(this.outboxDir, `${id}.pdf`), { force: true });
    this.emit({ kind: 'outbox' });
    this.emit({ kind: 'queue', newItems: [] });
  }

  start(intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.auth) void this.syncNow();
    }, intervalMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }
}
