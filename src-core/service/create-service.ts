import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { AppInfo, ChannelName, KysoApi } from '../../src-shared/api/contract.js';
import type { BatchState, ImageInfo, Settings, SyncState, TokenState } from '../../src-shared/api/ui-types.js';
import type { VerifyReport } from '../../src-shared/api/verify-types.js';
import { KysoError, toErrorValue } from '../../src-shared/errors.js';
import type { Locale } from '../../src-shared/i18n/messages.js';
import { loadPng } from '../appearance/image-xobject.js';
import { dominantInkColour } from '../appearance/ink-colour.js';
import type { SettingsBackend } from '../config/settings-backend.js';
import type { PartialSettings } from '../config/settings-schema.js';
import { openLog, type LogSink } from '../log/logger.js';
import { MemorySecretStore, type DescribedSecretStore } from '../sync/secret-store.js';
import { PRODUCT_NAME, VERSION } from '../version.js';
import { defaultDataDir, ensureDir, writeFileAtomic } from './data-dir.js';
import { runDiagnostics, writeSupportBundle } from './diagnostics.js';
import { placementFor, verifyFile } from './documents.js';
import { EventHub } from './events.js';
import { FileRegistry, type BlobEntry } from './files.js';
import { EngineSyncPort } from './engine-sync.js';
import { HttpSyncAdapter } from './http-sync.js';
import { BatchRunner } from './sign-batch.js';
import { openSettings, type SettingsStore, type StoredSettings } from './settings-store.js';
import type { SyncPort } from './sync-port.js';
import { TokenManager } from './tokens.js';

export interface ServiceOptions {
  transport: AppInfo['transport'];
  locale: Locale;
  /** Where settings, the queue cache and the outbox live; default KYSO_DATA_DIR or the OS folder. */
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  /** How often the queue is pulled and the outbox pushed (default 15 s; KYSO_SYNC_INTERVAL_MS). */
  syncIntervalMs?: number;
  /** Token hot-plug poll interval (default 1 s). */
  tokenPollMs?: number;
  /** Another sync implementation behind the same port (tests; src-core/sync when wired). */
  sync?: (dataDir: string, settings: StoredSettings) => SyncPort;
  /** Where the user's settings are stored: default settings.json in the data folder; electron-store in the app. */
  settingsBackend?: SettingsBackend;
  /**
   * Where the server sign-in (refresh token) is kept. Default: memory only — browser mode's
   * session ends with the process like its launch link; the Electron app passes the OS keychain
   * (safeStorage). Never a plain file here (the `kyso sync` command line has its own 0600 file).
   */
  secrets?: DescribedSecretStore;
  /** Default: <data folder>/logs/kyso.log, redacted and rotated (src-core/log). */
  log?: LogSink;
}

/** What the transports need besides the contract: events, files, uploads, shutdown. */
export interface ServiceHost {
  readonly events: EventHub;
  readonly dataDir: string;
  readonly log: LogSink;
  blob(id: string): BlobEntry | undefined;
  receiveUpload(body: Readable, meta: { name: string; mime: string }): Promise<string>;
  /** The current locale (menus, notifications). */
  locale(): Locale;
  /** The organisation's update server (only an enterprise preset sets it); '' = no updates. */
  updateUrl(): string;
  close(): Promise<void>;
}

export type KysoService = KysoApi & { readonly host: ServiceHost };

const IMAGE_NAMES = { signature: 'signature.png', seal: 'seal.png' } as const;

/**
 * The service facade: the single implementation of the API contract. Electron IPC, the HTTP
 * bridge and the CLI all call this object, so behaviour cannot drift between transports.
 */
export function createService(opts: ServiceOptions): KysoService {
  const env = opts.env ?? process.env;
  const dataDir = ensureDir(
    opts.dataDir ??
      (env.KYSO_DATA_DIR || env.KYSO_TEST !== '1' ? defaultDataDir(env) : mkdtempSync(join(tmpdir(), 'kyso-data-'))),
  );
  const log = opts.log ?? openLog(dataDir, env);
  let settingsStore: SettingsStore;
  try {
    settingsStore = openSettings({ dataDir, env, locale: opts.locale, backend: opts.settingsBackend });
  } catch (e) {
    // The IT department's preset exists but cannot be applied: stop rather than run without it.
    log.error('settings.enterpriseInvalid', { error: toErrorValue(e) });
    throw e;
  }
  if (settingsStore.ignoredOnLoad.length > 0) log.warn('settings.ignored', { keys: settingsStore.ignoredOnLoad });
  const secrets = opts.secrets ?? new MemorySecretStore();
  const events = new EventHub();
  const files = new FileRegistry(dataDir);
  const settings = (): StoredSettings => settingsStore.get();
  const updateSettings = async (patch: PartialSettings): Promise<StoredSettings> => {
    try {
      const r = await settingsStore.update(patch);
      if (r.changed.length > 0) log.info('settings.changed', { keys: r.changed });
      return r.settings;
    } catch (e) {
      const v = toErrorValue(e);
      if (v.code === 'SETTING_LOCKED') log.warn('settings.refused', { keys: String(v.params?.names ?? '') });
      throw e;
    }
  };
  log.info('service.start', {
    transport: opts.transport,
    version: VERSION,
    platform: process.platform,
    enterprise: settingsStore.enterpriseFile,
    locked: settingsStore.locked(),
    signIn: secrets.storage,
  });
  // A refresh token a version before this one left in a plain file is not kept there.
  const legacySecrets = join(dataDir, 'sync-engine', 'secrets.json');
  if (secrets.storage !== 'file' && existsSync(legacySecrets)) {
    try {
      unlinkSync(legacySecrets);
      log.warn('secrets.plainFileRemoved', { file: legacySecrets });
    } catch {
      log.warn('secrets.plainFileNotRemoved', { file: legacySecrets });
    }
  }
  if (secrets.storage === 'keychain-unavailable') log.warn('secrets.memoryOnly', { reason: 'no OS keychain' });

  const tokens = new TokenManager(
    () => ({ configured: settings().modulePaths, env }),
    opts.tokenPollMs ?? Number(env.KYSO_TOKEN_POLL_MS ?? 1000),
  );
  tokens.onChange((state) => events.emit({ type: 'tokens', state }));
  let watching = false;
  const tokenState = (): TokenState => {
    if (!watching) {
      watching = true;
      tokens.start();
    }
    return tokens.state();
  };

  const syncInterval = opts.syncIntervalMs ?? Number(env.KYSO_SYNC_INTERVAL_MS ?? 15000);
  const sync: SyncPort = opts.sync
    ? opts.sync(dataDir, settings())
    : env.KYSO_SYNC_BACKEND === 'http-adapter'
      ? new HttpSyncAdapter({ dataDir, serverUrl: settings().serverUrl, proxy: settings().proxy })
      : new EngineSyncPort({
          dataDir,
          serverUrl: settings().serverUrl,
          proxy: settings().proxy,
          tsaUrl: settings().tsaUrl,
          env,
          pollIntervalMs: syncInterval,
          secrets,
        });
  // The log keeps state changes, not every poll: "syncing" comes and goes each cycle (debug).
  let settled: SyncState | null = null;
  let current: SyncState | null = null;
  const outboxStates = new Map<string, string>();
  sync.onChange((c) => {
    if (c.kind === 'queue') {
      events.emit({ type: 'queue', newItems: c.newItems.length, titles: c.newItems.slice(0, 5).map((i) => i.title) });
      if (c.newItems.length > 0) log.info('sync.newItems', { count: c.newItems.length });
    }
    if (c.kind === 'outbox') {
      events.emit({ type: 'outbox' });
      const e = c.entry;
      if (e && outboxStates.get(e.id) !== e.state) {
        outboxStates.set(e.id, e.state);
        log.info('outbox.entry', {
          id: e.id,
          assignmentId: e.assignmentId,
          state: e.state,
          attempts: e.attempts,
          version: e.uploadedVersion,
          problem: e.problem?.code ?? null,
        });
      }
    }
    const st = sync.status();
    if (st.state !== current) {
      log.debug('sync.state', { from: current, to: st.state });
      current = st.state;
    }
    if (st.state !== 'syncing' && st.state !== settled) {
      log.info('sync.state', {
        from: settled,
        to: st.state,
        error: st.lastError?.code ?? null,
        queue: st.queueCount,
        pending: st.pendingUploads,
        conflicts: st.conflicts,
      });
      settled = st.state;
    }
    events.emit({ type: 'sync', status: st });
  });
  sync.start(syncInterval);

  // Sign results: each document once per status it reaches (and when its issue number arrives), and each batch's end.
  const batchSeen = new Map<string, { state: BatchState['state']; statuses: string[] }>();
  const logBatch = (b: BatchState): void => {
    const prev = batchSeen.get(b.batchId);
    if (!prev) log.info('sign.batch.start', { batchId: b.batchId, total: b.total });
    const marks = b.results.map((r) => `${r.status}|${r.notation ?? ''}`);
    b.results.forEach((r, i) => {
      if (prev?.statuses[i] === marks[i] || r.status === 'waiting' || r.status === 'signing') return;
      log.info('sign.result', {
        batchId: b.batchId,
        assignmentId: r.assignmentId,
        status: r.status,
        level: r.level,
        notation: r.notation,
        error: r.error?.code ?? null,
        warnings: r.warnings.map((w) => w.code),
      });
    });
    if (b.state !== 'running' && prev?.state !== b.state) {
      log.info('sign.batch.end', {
        batchId: b.batchId,
        state: b.state,
        done: b.done,
        total: b.total,
        stopError: b.stopError?.code ?? null,
      });
    }
    batchSeen.set(b.batchId, { state: b.state, statuses: marks });
  };
  const batches = new BatchRunner({
    tokens,
    sync,
    settings,
    emit: (state) => {
      logBatch(state);
      events.emit({ type: 'batch', state });
    },
  });

  const info = (): AppInfo => ({
    name: PRODUCT_NAME,
    version: VERSION,
    platform: process.platform,
    transport: opts.transport,
    locale: settings().locale,
  });

  // ---- images ----------------------------------------------------------------------------------
  const imageCache = new Map<string, ImageInfo>();
  const imageInfo = (path: string | null, kind: 'signature' | 'seal'): ImageInfo | null => {
    if (!path) return null;
    let st;
    try {
      st = statSync(path);
    } catch {
      return null;
    }
    const key = `${path}|${st.mtimeMs}|${st.size}`;
    const known = imageCache.get(key);
    if (known) return known;
    try {
      const buf = readFileSync(path);
      const png = loadPng(buf, { requireTransparency: true });
      const ink = dominantInkColour(png);
      const share = (c: 'blue' | 'red'): number => Math.round(((ink.shares as Record<string, number>)[c] ?? 0) * 100);
      const warnings: ImageInfo['warnings'] = [];
      if (kind === 'signature' && ink.dominant !== 'blue') {
        warnings.push({
          code: 'image-colour',
          messageKey: 'roles.warn.signatureNotBlue',
          params: { colour: ink.dominant, percent: share('blue') },
        });
      }
      if (kind === 'seal' && ink.dominant !== 'red') {
        warnings.push({
          code: 'image-colour',
          messageKey: 'roles.warn.sealNotRed',
          params: { colour: ink.dominant, percent: share('red') },
        });
      }
      const v: ImageInfo = {
        name: IMAGE_NAMES[kind],
        width: png.width,
        height: png.height,
        ink: ink.dominant,
        sha256: createHash('sha256').update(buf).digest('hex'),
        blobId: files.register({ path, mime: 'image/png', name: IMAGE_NAMES[kind] }),
        warnings,
      };
      imageCache.set(key, v);
      return v;
    } catch {
      return null;
    }
  };
  const publicSettings = (): Settings => {
    const s = settings();
    return {
      ...s,
      signatureImage: imageInfo(s.signatureImage, 'signature'),
      sealImage: imageInfo(s.sealImage, 'seal'),
    };
  };

  // ---- helpers ---------------------------------------------------------------------------------
  const firstCertificate = (): { id: string } | null => {
    for (const m of tokenState().modules)
      for (const t of m.tokens) for (const c of t.certificates) if (c.usable) return { id: c.id };
    return null;
  };
  const reports = new Map<string, VerifyReport>();
  const verifyBlob = async (entry: BlobEntry): Promise<VerifyReport> => {
    const st = statSync(entry.path);
    const key = `${entry.path}|${st.mtimeMs}|${st.size}`;
    const known = reports.get(key);
    if (known) return { ...known, file: entry.name };
    const s = settings();
    const report = await verifyFile(entry.path, entry.name, {
      trustFiles: s.trustFiles,
      offline: s.revocationMode === 'offline',
      env,
    });
    reports.set(key, report);
    return report;
  };
  const isPdf = async (path: string): Promise<boolean> => {
    const h = await open(path, 'r');
    try {
      const b = Buffer.alloc(1024);
      const { bytesRead } = await h.read(b, 0, 1024, 0);
      return b.subarray(0, bytesRead).includes('%PDF-');
    } finally {
      await h.close();
    }
  };

  const api: KysoApi = {
    'app.info': async () => info(),
    'app.setLocale': async (req) => {
      await updateSettings({ locale: req.locale });
      events.emit({ type: 'locale', locale: req.locale });
      return info();
    },

    'tokens.state': async () => tokenState(),
    'tokens.refresh': async () => {
      tokenState();
      return tokens.refresh();
    },

    'session.state': async () => {
      await sync.ready();
      return sync.session();
    },
    'session.loginToken': async (req) => {
      const pin = req.pin === null ? null : Buffer.from(req.pin, 'utf8');
      (req as { pin: string | null }).pin = null;
      const opened = await tokens.openSigner(req.certId, pin);
      try {
        const s = await sync.loginCertificate(opened.signer, opened.certificate.sha256.toLowerCase());
        log.info('session.login', { method: 'certificate', user: s.user?.username ?? null });
        return s;
      } finally {
        opened.session.close();
        tokens.refresh();
      }
    },
    'session.loginPassword': async (req) => {
      const s = await sync.loginPassword(req.username, req.password);
      log.info('session.login', { method: 'password', user: s.user?.username ?? null });
      return s;
    },
    'session.logout': async () => {
      const s = await sync.logout();
      log.info('session.logout', {});
      return s;
    },

    'queue.list': async () => {
      await sync.ready();
      return sync.queue();
    },
    'sync.status': async () => {
      await sync.ready();
      return sync.status();
    },
    'sync.now': async () => sync.syncNow(),
    'outbox.list': async () => ({
      entries: await Promise.all(
        (await sync.outbox()).map(async (e) => {
          const f = await sync.outboxFile(e.id);
          return {
            ...e,
            blobId: f ? files.register({ path: f, mime: 'application/pdf', name: `${e.title}.pdf` }) : null,
          };
        }),
      ),
    }),
    'outbox.retry': async (req) => sync.retry(req.id),
    'outbox.discard': async (req) => {
      await sync.discard(req.id);
      return { entries: await sync.outbox() };
    },

    'document.open': async (req) => {
      const item = await sync.item(req.assignmentId);
      if (!item) throw new KysoError('INPUT_UNREADABLE', 'ui.error.notInQueue', { id: req.assignmentId });
      const { path, sha256 } = await sync.contentPath(req.assignmentId);
      const blobId = files.register({ path, mime: 'application/pdf', name: `${item.title}.pdf` });
      return { item, blobId, sha256 };
    },
    'document.verify': async (req) => {
      const b = files.blob(req.blobId);
      if (!b || b.mime !== 'application/pdf')
        throw new KysoError('INPUT_UNREADABLE', 'error.inputUnreadable', { path: req.blobId });
      return verifyBlob(b);
    },
    'document.placement': async (req) => {
      const item = await sync.item(req.assignmentId);
      if (!item) throw new KysoError('INPUT_UNREADABLE', 'ui.error.notInQueue', { id: req.assignmentId });
      const { path } = await sync.contentPath(req.assignmentId);
      const profile = req.profile ?? (item.action === 'directive' ? 'comment' : item.action);
      const certId = req.certId ?? firstCertificate()?.id;
      let der: Buffer | null = null;
      if (certId) {
        try {
          der = tokens.certificateDer(certId);
        } catch {
          der = null;
        }
      }
      const read = (f: string | null): Buffer | undefined => {
        try {
          return f ? readFileSync(f) : undefined;
        } catch {
          return undefined;
        }
      };
      const sig = read(settings().signatureImage);
      const seal = read(settings().sealImage);
      return placementFor(path, profile, der, {
        ...(sig ? { signatureImage: sig } : {}),
        ...(seal ? { sealImage: seal } : {}),
      });
    },
    'document.issueNumber': async (req) => sync.issueNumber(req.assignmentId),
    'document.return': async (req) => {
      await sync.returnDocument(req.assignmentId, req.comment);
      return { ok: true as const };
    },

    'sign.start': async (req) => batches.start(req),
    'sign.status': async (req) => batches.status(req.batchId),
    'sign.cancel': async (req) => batches.cancel(req.batchId),

    'verify.file': async (req) => {
      const up = files.upload(req.uploadId);
      if (!(await isPdf(up.path))) throw new KysoError('INPUT_MALFORMED', 'ui.error.notPdf', { name: up.name });
      const blobId = files.register({ path: up.path, mime: 'application/pdf', name: up.name });
      return { blobId, name: up.name, report: await verifyBlob({ ...up, mime: 'application/pdf' }) };
    },

    'settings.get': async () => publicSettings(),
    'settings.policy': async () => ({
      locked: settingsStore.locked(),
      preset: settingsStore.preset(),
      enterpriseFile: settingsStore.enterpriseFile,
      secretStorage: secrets.storage,
    }),
    'settings.update': async (req) => {
      const before = settings();
      const after = await updateSettings(req.patch);
      if (after.serverUrl !== before.serverUrl || after.proxy !== before.proxy || after.tsaUrl !== before.tsaUrl) {
        await sync.configure({ serverUrl: after.serverUrl, proxy: after.proxy, tsaUrl: after.tsaUrl });
      }
      if (JSON.stringify(after.modulePaths) !== JSON.stringify(before.modulePaths)) tokens.restartWatch();
      if (after.locale !== before.locale) events.emit({ type: 'locale', locale: after.locale });
      return publicSettings();
    },
    'settings.setImage': async (req) => {
      const field = req.kind === 'signature' ? 'signatureImage' : 'sealImage';
      if (req.uploadId === null) {
        await updateSettings({ [field]: null });
        return publicSettings();
      }
      // Refused before the file is copied when the IT department set this image.
      if (settingsStore.isLocked(field)) {
        log.warn('settings.refused', { keys: field });
        throw settingsStore.lockedError([field]);
      }
      const up = files.upload(req.uploadId);
      const buf = readFileSync(up.path);
      loadPng(buf, { requireTransparency: true }); // refuses non-PNG, no transparency, too large …
      const dir = ensureDir(join(dataDir, 'images'));
      const dest = join(dir, IMAGE_NAMES[req.kind]);
      await writeFileAtomic(dest, buf);
      await updateSettings({ [field]: dest });
      return publicSettings();
    },
    'diagnostics.run': async () => {
      const c = firstCertificate();
      let der: Buffer | null = null;
      try {
        der = c ? tokens.certificateDer(c.id) : null;
      } catch {
        der = null;
      }
      return runDiagnostics({
        settings: settings(),
        tokens: tokens.refresh(),
        dataDir,
        syncBackend: sync.backend,
        certDer: der,
      });
    },
    'diagnostics.bundle': async () => {
      const diagnostics = await api['diagnostics.run']({});
      return writeSupportBundle(files, {
        diagnostics,
        settings: settings(),
        sync: { status: sync.status(), session: { ...sync.session(), user: sync.session().user?.username ?? null } },
        outbox: (await sync.outbox()).map((e) => ({ ...e, title: undefined })),
      });
    },
  };

  // Every failure is logged with its code (an unknown one with its redacted message); never the request.
  for (const name of Object.keys(api) as ChannelName[]) {
    const call = api[name] as (req: unknown) => Promise<unknown>;
    (api as Record<ChannelName, (req: unknown) => Promise<unknown>>)[name] = async (req) => {
      try {
        return await call(req);
      } catch (e) {
        const v = toErrorValue(e);
        if (v.code === 'INTERNAL') log.error('api.error', { channel: name, code: v.code, error: e });
        else log.warn('api.error', { channel: name, code: v.code });
        throw e;
      }
    };
  }

  const host: ServiceHost = {
    events,
    dataDir,
    log,
    blob: (id) => files.blob(id),
    receiveUpload: (body, meta) => files.receive(body, meta),
    locale: () => settings().locale,
    updateUrl: () => settings().updateUrl,
    close: async () => {
      tokens.stop();
      await sync.close();
      await files.cleanup();
      log.info('service.stop', {});
    },
  };
  return Object.assign(api, { host });
}
