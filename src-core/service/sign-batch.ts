/**
 * Signing from the UI: one PIN (one C_Login) for a batch of documents, each signed in the role
 * its task needs (src-core/appearance/roles: Decree 30 appearances), into the outbox of the sync
 * layer (durable before it counts as signed) and uploaded. Progress goes out as events; results
 * move on to "uploaded" as the server acknowledges them. A token problem (removed, locked,
 * session gone) stops the batch cleanly — what was signed stays signed and queued, the rest is
 * marked not signed.
 */
import { readFileSync } from 'node:fs';
import { planRole, type RoleProfile, type RolePlan } from '../appearance/roles/index.js';
import {
  PROFILE_FOR_ACTION,
  type BatchState,
  type ErrorValue,
  type OutboxEntry,
  type QueueItemView,
  type SignItemResult,
  type SignRequest,
} from '../../src-shared/api/ui-types.js';
import { KysoError, toErrorValue, type ErrorCode } from '../../src-shared/errors.js';
import type { PadesLevel } from '../sign/sign-document.js';
import type { Rect } from '../sign/placement.js';
import { newId } from './data-dir.js';
import { ANCHOR_MISSING, defaultPlacement } from './documents.js';
import type { StoredSettings } from './settings-store.js';
import type { SyncPort } from './sync-port.js';
import type { OpenedTokenSigner, TokenManager } from './tokens.js';

/** Errors after which the token cannot sign the next document either. */
const FATAL: readonly string[] = [
  'TOKEN_REMOVED',
  'TOKEN_NOT_PRESENT',
  'SESSION_CLOSED',
  'NOT_LOGGED_IN',
  'PIN_LOCKED',
  'DEVICE_ERROR',
  'TOKEN_UNAVAILABLE',
] satisfies readonly ErrorCode[];

const TSA_DOWN: readonly string[] = ['TSA_UNREACHABLE', 'TSA_HTTP_ERROR'];

export interface BatchDeps {
  tokens: TokenManager;
  sync: SyncPort;
  settings: () => StoredSettings;
  emit: (state: BatchState) => void;
}

interface Running {
  state: BatchState;
  cancelled: boolean;
}

const asValue = (e: unknown): ErrorValue => {
  const v = toErrorValue(e);
  return { code: v.code, messageKey: v.messageKey, ...(v.params ? { params: { ...v.params } } : {}) };
};

function problemError(entry: OutboxEntry): ErrorValue | null {
  const p = entry.problem;
  if (!p) return null;
  return {
    code: 'SERVER_REJECTED',
    messageKey: 'ui.error.serverRejected',
    params: { status: p.httpStatus ?? 0, code: p.code, vi: p.message.vi, en: p.message.en },
  };
}

export class BatchRunner {
  private readonly batches = new Map<string, Running>();
  /** Outbox entry id → the batch result waiting for its upload. */
  private readonly awaiting = new Map<string, { run: Running; index: number }>();

  constructor(private readonly deps: BatchDeps) {
    deps.sync.onChange((c) => {
      if (c.kind !== 'outbox' || !c.entry) return;
      const w = this.awaiting.get(c.entry.id);
      if (!w) return;
      const r = w.run.state.results[w.index]!;
      if (c.entry.state === 'uploaded') {
        r.status = 'uploaded';
        this.awaiting.delete(c.entry.id);
      } else if (c.entry.state === 'conflict') {
        r.error = problemError(c.entry);
        this.awaiting.delete(c.entry.id);
      } else return;
      this.deps.emit(this.copy(w.run.state));
    });
  }

  /**
   * Logs in with the PIN (errors such as PIN_INCORRECT come back from this call, with the tries
   * left in the message), then signs in the background and returns the initial state.
   */
  async start(req: SignRequest): Promise<BatchState> {
    const { sync } = this.deps;
    // The PIN becomes a Buffer here and the string is dropped; the session wipes the Buffer.
    const pin = req.pin === null ? null : Buffer.from(req.pin, 'utf8');
    (req as { pin: string | null }).pin = null;
    const items: Array<{ req: SignRequest['items'][number]; item: QueueItemView }> = [];
    try {
      for (const it of req.items) {
        const q = await sync.item(it.assignmentId);
        if (!q) throw new KysoError('INPUT_UNREADABLE', 'ui.error.notInQueue', { id: it.assignmentId });
        if (q.status === '13') throw new KysoError('USAGE', 'ui.error.recalled', { title: q.title });
        items.push({ req: it, item: q });
      }
    } catch (e) {
      pin?.fill(0);
      throw e;
    }
    const opened = await this.deps.tokens.openSigner(req.certId, pin);
    const state: BatchState = {
      batchId: `b-${newId(9)}`,
      state: 'running',
      total: items.length,
      done: 0,
      results: items.map(({ item }) => ({
        assignmentId: item.assignmentId,
        title: item.title,
        status: 'waiting',
        error: null,
        level: null,
        notation: null,
        issuedDate: null,
        warnings: [],
      })),
      stopError: null,
    };
    const run: Running = { state, cancelled: false };
    this.batches.set(state.batchId, run);
    this.deps.emit(this.copy(state));
    void this.loop(run, items, opened);
    return this.copy(state);
  }

  private copy(s: BatchState): BatchState {
    return structuredClone(s);
  }

  status(batchId: string): BatchState {
    const r = this.batches.get(batchId);
    if (!r) throw new KysoError('INPUT_UNREADABLE', 'error.inputUnreadable', { path: batchId });
    return this.copy(r.state);
  }

  cancel(batchId: string): BatchState {
    const r = this.batches.get(batchId);
    if (!r) throw new KysoError('INPUT_UNREADABLE', 'error.inputUnreadable', { path: batchId });
    r.cancelled = true;
    return this.copy(r.state);
  }

  private async loop(
    run: Running,
    items: Array<{ req: SignRequest['items'][number]; item: QueueItemView }>,
    opened: OpenedTokenSigner,
  ): Promise<void> {
    const s = run.state;
    const emit = (): void => this.deps.emit(this.copy(s));
    try {
      for (let i = 0; i < items.length; i++) {
        const result = s.results[i]!;
        if (run.cancelled) {
          for (const r of s.results.slice(i)) r.status = 'cancelled';
          s.state = 'cancelled';
          break;
        }
        result.status = 'signing';
        emit();
        try {
          await this.signOne(run, i, items[i]!, opened, result);
        } catch (e) {
          const v = asValue(e);
          result.status = 'failed';
          result.error = v;
          if (FATAL.includes(v.code)) {
            s.stopError = v;
            s.state = 'stopped';
            for (const r of s.results.slice(i + 1)) r.status = 'cancelled';
            s.done++;
            break;
          }
        }
        s.done++;
        emit();
      }
      if (s.state === 'running') s.state = 'done';
    } finally {
      opened.session.close();
      this.deps.tokens.refresh();
      emit();
    }
  }

  private async signOne(
    run: Running,
    index: number,
    x: { req: SignRequest['items'][number]; item: QueueItemView },
    opened: OpenedTokenSigner,
    result: SignItemResult,
  ): Promise<void> {
    const { sync } = this.deps;
    const settings = this.deps.settings();
    const profile = (x.req.profile ?? PROFILE_FOR_ACTION[x.item.action]) as RoleProfile;
    const { path: input } = await sync.contentPath(x.item.assignmentId);
    let docNumber: string | undefined;
    let docDate: string | undefined;
    const image = (p: string | null): Buffer | undefined => {
      if (!p) return undefined;
      try {
        return readFileSync(p);
      } catch {
        return undefined;
      }
    };
    const personal = profile === 'approval' || profile === 'initials' || profile === 'comment';
    const signatureImage = personal ? image(settings.signatureImage) : undefined;
    const sealImage = profile === 'issue' ? image(settings.sealImage) : undefined;
    // Decree 30: the issued document carries the seal image; without one the user must add it first.
    if (profile === 'issue' && !sealImage) throw new KysoError('USAGE', 'ui.error.noSealImage');
    if (profile === 'issue') {
      // Decree 30 art. 15.3: the number and date come from the register before the seal signature.
      const n = await sync.issueNumber(x.item.assignmentId);
      docNumber = n.notation;
      docDate = n.issuedDate;
      result.notation = n.notation;
      result.issuedDate = n.issuedDate;
    }
    const wanted: PadesLevel = settings.tsaUrl ? settings.level : 'B-B';
    let placed: { rect: Rect; pageIndex: number } | null = x.req.rect
      ? { rect: x.req.rect, pageIndex: x.req.pageIndex ?? 0 }
      : null;

    const plan = (): Promise<RolePlan> =>
      planRole({
        profile,
        input,
        signerCertDer: opened.signer.certDer,
        ...(placed ? { rect: placed.rect, pageIndex: placed.pageIndex } : {}),
        ...(signatureImage ? { signatureImage } : {}),
        ...(sealImage ? { sealImage } : {}),
        ...(docNumber ? { docNumber } : {}),
        ...(docDate ? { docDate } : {}),
        ...(x.req.comment ? { comment: x.req.comment } : {}),
        ...(x.req.copyType ? { copyType: x.req.copyType } : {}),
      });

    let rolePlan: RolePlan;
    try {
      rolePlan = await plan();
    } catch (e) {
      // The role looks for the signer's name to place the stamp; without it (and without a
      // position chosen in the viewer) the stamp goes to the default spot, and the result says so.
      if (placed || !ANCHOR_MISSING.includes(toErrorValue(e).messageKey)) throw e;
      const d = defaultPlacement(input, profile);
      placed = { rect: d.rect, pageIndex: d.pageIndex };
      result.warnings.push({
        code: 'default-placement',
        messageKey: 'ui.sign.defaultPlacement',
        params: { page: d.pageIndex + 1 },
      });
      rolePlan = await plan();
    }
    for (const w of rolePlan.warnings)
      result.warnings.push({ code: w.code, messageKey: w.key, params: { ...w.params } });

    let level = wanted;
    let entry: OutboxEntry;
    const sign = (p: RolePlan): Promise<OutboxEntry> =>
      sync.sign({
        assignmentId: x.item.assignmentId,
        signer: opened.signer,
        placement: p.placement,
        ...(p.prepare ? { prepare: p.prepare } : {}),
        level,
        ...(level !== 'B-B' ? { tsaUrl: settings.tsaUrl } : {}),
      });
    try {
      entry = await sign(rolePlan);
    } catch (e) {
      if (level === 'B-B' || !TSA_DOWN.includes(toErrorValue(e).code)) throw e;
      // Offline: sign at B-B now; the sync layer adds a document timestamp before upload.
      level = 'B-B';
      result.warnings.push({ code: 'offline-level', messageKey: 'ui.sign.offlineLevel', params: { wanted } });
      entry = await sign(await plan());
    }
    result.level = level;
    result.status = entry.state === 'uploaded' ? 'uploaded' : 'signed';
    if (entry.state === 'conflict') result.error = problemError(entry);
    if (entry.state === 'pending') this.awaiting.set(entry.id, { run, index });
  }
}
