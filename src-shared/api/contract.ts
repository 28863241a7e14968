/**
 * The one API contract. Every transport (Electron IPC, the localhost HTTP bridge, the CLI's
 * direct calls) serves exactly these channels; requests and responses are validated against
 * these schemas on the receiving side of every border.
 */
import { z } from 'zod';
import type { KysoErrorValue } from '../errors.js';
import { locales } from '../i18n/messages.js';
import {
  BatchState,
  Diagnostics,
  IssuedNumber,
  OpenedDocument,
  OutboxEntry,
  Placement,
  QueueList,
  RoleProfileName,
  SessionState,
  Settings,
  SettingsPatch,
  SettingsPolicy,
  SignRequest,
  SupportBundle,
  SyncStatus,
  TokenState,
  VerifiedFile,
} from './ui-types.js';
import { VerifyReport } from './verify-types.js';

export const AppInfo = z.object({
  name: z.string(),
  version: z.string(),
  platform: z.string(),
  transport: z.enum(['electron', 'browser', 'direct']),
  locale: z.enum(locales),
});
export type AppInfo = z.infer<typeof AppInfo>;

const Empty = z.object({}).strict();
const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const AssignmentId = z.number().int().positive();
const CertId = z.string().regex(/^[0-9a-fA-F]{1,128}$/);
/** Typed by the user; turned into a Buffer by the service at once and never logged or stored. */
const Pin = z.string().min(1).max(64);

/**
 * Channel map: name → request and response schemas. GitHub Desktop keeps one such map so that
 * both sides of IPC are typed from one place; a channel that is not here cannot be called.
 */
export const channels = {
  'app.info': { request: Empty, response: AppInfo },
  'app.setLocale': { request: z.object({ locale: z.enum(locales) }).strict(), response: AppInfo },

  // Token bar: modules, tokens, certificates, PIN state (pushed live as 'tokens' events too).
  'tokens.state': { request: Empty, response: TokenState },
  'tokens.refresh': { request: Empty, response: TokenState },

  // The workflow server session: sign in with the token (challenge signed after C_Login) or a password.
  'session.state': { request: Empty, response: SessionState },
  'session.loginToken': {
    request: z.object({ certId: CertId, pin: Pin.nullable() }).strict(),
    response: SessionState,
  },
  'session.loginPassword': {
    request: z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) }).strict(),
    response: SessionState,
  },
  'session.logout': { request: Empty, response: SessionState },

  // Queue, sync and outbox.
  'queue.list': { request: Empty, response: QueueList },
  'sync.status': { request: Empty, response: SyncStatus },
  'sync.now': { request: Empty, response: SyncStatus },
  'outbox.list': { request: Empty, response: z.object({ entries: z.array(OutboxEntry) }) },
  'outbox.retry': { request: z.object({ id: Id }).strict(), response: OutboxEntry },
  'outbox.discard': { request: z.object({ id: Id }).strict(), response: z.object({ entries: z.array(OutboxEntry) }) },

  // One document: its bytes (as a blob id), its signatures, where the stamp goes, actions.
  'document.open': { request: z.object({ assignmentId: AssignmentId }).strict(), response: OpenedDocument },
  'document.verify': { request: z.object({ blobId: Id }).strict(), response: VerifyReport },
  'document.placement': {
    request: z
      .object({ assignmentId: AssignmentId, profile: RoleProfileName.optional(), certId: CertId.optional() })
      .strict(),
    response: Placement,
  },
  'document.issueNumber': { request: z.object({ assignmentId: AssignmentId }).strict(), response: IssuedNumber },
  'document.return': {
    request: z.object({ assignmentId: AssignmentId, comment: z.string().min(1).max(4000) }).strict(),
    response: z.object({ ok: z.literal(true) }),
  },

  // Signing: one PIN for a batch; progress as 'batch' events and sign.status.
  'sign.start': { request: SignRequest, response: BatchState },
  'sign.status': { request: z.object({ batchId: Id }).strict(), response: BatchState },
  'sign.cancel': { request: z.object({ batchId: Id }).strict(), response: BatchState },

  // Any PDF, opened or dropped (uploaded first through the transport's upload endpoint).
  'verify.file': { request: z.object({ uploadId: Id }).strict(), response: VerifiedFile },

  // Settings and diagnostics.
  'settings.get': { request: Empty, response: Settings },
  /** Which settings the IT department locked (read-only in the UI) and where the sign-in is kept. */
  'settings.policy': { request: Empty, response: SettingsPolicy },
  'settings.update': { request: z.object({ patch: SettingsPatch }).strict(), response: Settings },
  'settings.setImage': {
    request: z.object({ kind: z.enum(['signature', 'seal']), uploadId: Id.nullable() }).strict(),
    response: Settings,
  },
  'diagnostics.run': { request: Empty, response: Diagnostics },
  'diagnostics.bundle': { request: Empty, response: SupportBundle },
} as const;

export type ChannelName = keyof typeof channels;
export type RequestOf<C extends ChannelName> = z.input<(typeof channels)[C]['request']>;
export type ResponseOf<C extends ChannelName> = z.output<(typeof channels)[C]['response']>;

/** What crosses a transport: never a thrown exception, always one of these. */
export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: KysoErrorValue };

/** The service every transport exposes; src-core implements it. */
export type KysoApi = { [C in ChannelName]: (req: RequestOf<C>) => Promise<ResponseOf<C>> };

export function isChannelName(name: string): name is ChannelName {
  return Object.prototype.hasOwnProperty.call(channels, name);
}

/** The IPC channel string for a contract channel (a prefix keeps ours apart from Electron's). */
export const ipcChannel = (c: ChannelName): string => `kyso:${c}`;
