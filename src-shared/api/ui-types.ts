/**
 * What the desktop UI exchanges with the service besides tokens and verification reports:
 * settings, the server session, the queue, signing batches, the outbox, diagnostics and the
 * events pushed to the UI. Plain data with zod schemas; every transport validates against them.
 */
import { z } from 'zod';
import { locales } from '../i18n/messages.js';
import { ModuleSummary } from './token-types.js';
import { VerifyReport } from './verify-types.js';

// ---- errors as values (the same shape as KysoErrorValue, checked loosely at the border) -------

export const ErrorValue = z.object({
  code: z.string(),
  messageKey: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
});
export type ErrorValue = z.infer<typeof ErrorValue>;

/** A message in both languages (the server's problem details, the verifier's reasons). */
export const BiText = z.object({ vi: z.string(), en: z.string() });
export type BiText = z.infer<typeof BiText>;

// ---- settings ---------------------------------------------------------------------------------

export const PADES_LEVEL_NAMES = ['B-B', 'B-T', 'B-LT', 'B-LTA'] as const;
export const PadesLevelName = z.enum(PADES_LEVEL_NAMES);
export type PadesLevelName = z.infer<typeof PadesLevelName>;

export const ImageInfo = z.object({
  name: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  /** Dominant ink: blue / red / black / other / none (Decree 30 wants blue signatures, red seals). */
  ink: z.string(),
  sha256: z.string(),
  /** Served by the transport for the preview (GET ./api/blob/<id>). */
  blobId: z.string(),
  /** Warnings as message keys with parameters (colour, resolution). */
  warnings: z.array(ErrorValue),
});
export type ImageInfo = z.infer<typeof ImageInfo>;

const HttpUrlOrEmpty = z.union([z.literal(''), z.url({ protocol: /^https?$/ }).max(2000)]);

export const Settings = z.object({
  /** Document workflow server; '' when none is configured. */
  serverUrl: HttpUrlOrEmpty,
  /** Extra PKCS#11 driver paths (besides the built-in driver list and KYSO_PKCS11_MODULE). */
  modulePaths: z.array(z.string().min(1).max(1000)).max(16),
  tsaUrl: HttpUrlOrEmpty,
  level: PadesLevelName,
  revocationMode: z.enum(['online', 'offline']),
  locale: z.enum(locales),
  /** http://host:port for the server connection; '' for a direct connection. */
  proxy: HttpUrlOrEmpty,
  /** Extra trust anchors (PEM/DER files) for verification. */
  trustFiles: z.array(z.string().min(1).max(1000)).max(32),
  signatureImage: ImageInfo.nullable(),
  sealImage: ImageInfo.nullable(),
});
export type Settings = z.infer<typeof Settings>;

export const SettingsPatch = Settings.omit({ signatureImage: true, sealImage: true }).partial().strict();
export type SettingsPatch = z.infer<typeof SettingsPatch>;

/**
 * Every stored setting, including the ones only an IT department's preset can set (updateUrl).
 * The same names are used in the user's settings file and in the enterprise preset.
 */
export const SETTING_KEYS = [
  'serverUrl',
  'modulePaths',
  'tsaUrl',
  'level',
  'revocationMode',
  'locale',
  'proxy',
  'trustFiles',
  'signatureImage',
  'sealImage',
  'updateUrl',
] as const;
export const SettingKey = z.enum(SETTING_KEYS);
export type SettingKey = z.infer<typeof SettingKey>;

/**
 * Where the server sign-in (the refresh token) is kept: the OS keychain (Electron safeStorage);
 * memory only, by design (browser mode) or because no OS keychain is available; or a file only
 * the user can read (the command line).
 */
export const SECRET_STORAGE_KINDS = ['os-keychain', 'memory', 'keychain-unavailable', 'file'] as const;
export const SecretStorageKind = z.enum(SECRET_STORAGE_KINDS);
export type SecretStorageKind = z.infer<typeof SecretStorageKind>;

/** What the Settings screen needs besides the values: which keys the IT department locked. */
export const SettingsPolicy = z.object({
  /** Keys preset and locked by the enterprise configuration: shown read-only, refused by settings.update. */
  locked: z.array(SettingKey),
  /** Keys whose value comes from the enterprise preset (locked or not). */
  preset: z.array(SettingKey),
  /** The enterprise configuration file in force, or null when there is none. */
  enterpriseFile: z.string().nullable(),
  secretStorage: SecretStorageKind,
});
export type SettingsPolicy = z.infer<typeof SettingsPolicy>;

// ---- tokens -----------------------------------------------------------------------------------

export const TokenState = z.object({
  /** Every module tried, with its tokens and certificates (token-types.ts). */
  modules: z.array(ModuleSummary),
  /** ISO time of the last reading. */
  readAt: z.string(),
});
export type TokenState = z.infer<typeof TokenState>;

// ---- server session and sync ------------------------------------------------------------------

export const USER_ROLES = ['leader', 'drafter', 'clerk', 'admin'] as const;

export const SessionUser = z.object({
  id: z.number().int(),
  username: z.string(),
  fullName: z.string(),
  title: z.string(),
  /** Null until the server has told (offline start with a stored login). */
  role: z.enum(USER_ROLES).nullable(),
  organisation: z.object({ id: z.string(), name: z.string() }).nullable(),
  unit: z.object({ id: z.number().int(), name: z.string() }).nullable(),
});
export type SessionUser = z.infer<typeof SessionUser>;

export const SessionState = z.object({
  serverUrl: z.string(),
  user: SessionUser.nullable(),
  method: z.enum(['certificate', 'password']).nullable(),
  /** SHA-256 of the certificate used to sign in (certificate login). */
  certificateSha256: z.string().nullable(),
});
export type SessionState = z.infer<typeof SessionState>;

export const SyncState = z.enum(['signed-out', 'idle', 'syncing', 'offline', 'error']);
export type SyncState = z.infer<typeof SyncState>;

export const SyncStatus = z.object({
  state: SyncState,
  lastSyncAt: z.string().nullable(),
  lastError: ErrorValue.nullable(),
  queueCount: z.number().int(),
  pendingUploads: z.number().int(),
  conflicts: z.number().int(),
  /** Which implementation serves the queue: the sync engine (src-core/sync) or the HTTP adapter. */
  backend: z.enum(['sync-engine', 'http-adapter']),
});
export type SyncStatus = z.infer<typeof SyncStatus>;

// ---- queue ------------------------------------------------------------------------------------

export const REQUIRED_ACTION_NAMES = [
  'approval',
  'initials',
  'issue',
  'appendix',
  'copy',
  'received',
  'directive',
] as const;
export const RequiredActionName = z.enum(REQUIRED_ACTION_NAMES);
export type RequiredActionName = z.infer<typeof RequiredActionName>;

/** The appearance profiles of src-core/appearance/roles (the CLI's --profile). */
export const ROLE_PROFILE_NAMES = ['approval', 'initials', 'issue', 'appendix', 'copy', 'received', 'comment'] as const;
export const RoleProfileName = z.enum(ROLE_PROFILE_NAMES);
export type RoleProfileName = z.infer<typeof RoleProfileName>;

export const PROFILE_FOR_ACTION: Record<RequiredActionName, RoleProfileName> = {
  approval: 'approval',
  initials: 'initials',
  issue: 'issue',
  appendix: 'appendix',
  copy: 'copy',
  received: 'received',
  directive: 'comment',
};

export const LocalState = z.enum(['none', 'pending-upload', 'uploaded', 'conflict']);
export type LocalState = z.infer<typeof LocalState>;

export const QueueItemView = z.object({
  assignmentId: z.number().int(),
  documentId: z.string(),
  version: z.number().int(),
  title: z.string(),
  docType: z.string(),
  number: z.number().int().nullable(),
  notation: z.string().nullable(),
  issuedDate: z.string().nullable(),
  sender: z.object({ organisationId: z.string(), name: z.string() }),
  /** 0 thường, 1 khẩn, 2 thượng khẩn, 3 hỏa tốc, 4 hỏa tốc hẹn giờ. */
  urgency: z.number().int().min(0).max(4),
  dueAt: z.string().nullable(),
  action: RequiredActionName,
  status: z.string(),
  assignmentState: z.enum(['open', 'done', 'removed']),
  recallReason: z.string().nullable(),
  size: z.number().int(),
  /** What this client did with it and has not yet heard back from the server about. */
  local: LocalState,
  /** First seen by this client (ISO). */
  receivedAt: z.string(),
});
export type QueueItemView = z.infer<typeof QueueItemView>;

export const QueueList = z.object({
  items: z.array(QueueItemView),
  syncedAt: z.string().nullable(),
});
export type QueueList = z.infer<typeof QueueList>;

// ---- documents --------------------------------------------------------------------------------

export const Rect = z.tuple([z.number(), z.number(), z.number(), z.number()]);
export type Rect = z.infer<typeof Rect>;

export const OpenedDocument = z.object({
  item: QueueItemView,
  /** GET ./api/blob/<blobId> gives the PDF bytes. */
  blobId: z.string(),
  sha256: z.string(),
});
export type OpenedDocument = z.infer<typeof OpenedDocument>;

export const Placement = z.object({
  profile: RoleProfileName,
  /** 0-based page. */
  pageIndex: z.number().int().min(0),
  /** Visible-page coordinates in points, origin lower-left of the visible page (after /Rotate). */
  rect: Rect,
  /**
   * Where it came from: the role's own layout; a fallback box because the role found no anchor
   * (the signer's name) in the document; or a default box because no certificate was at hand.
   */
  source: z.enum(['role', 'fallback', 'default']),
  warnings: z.array(ErrorValue),
});
export type Placement = z.infer<typeof Placement>;

export const IssuedNumber = z.object({
  number: z.number().int(),
  notation: z.string(),
  issuedDate: z.string(),
});
export type IssuedNumber = z.infer<typeof IssuedNumber>;

export const COPY_TYPE_NAMES = ['SAO Y', 'SAO LỤC', 'TRÍCH SAO'] as const;

export const SignItem = z
  .object({
    assignmentId: z.number().int(),
    profile: RoleProfileName.optional(),
    /** A position the user chose (dragged); otherwise the role's own. */
    pageIndex: z.number().int().min(0).optional(),
    rect: Rect.optional(),
    /** The leader's directive text (bút phê). */
    comment: z.string().max(4000).optional(),
    copyType: z.enum(COPY_TYPE_NAMES).optional(),
  })
  .strict();
export type SignItem = z.infer<typeof SignItem>;

export const SignRequest = z
  .object({
    items: z.array(SignItem).min(1).max(500),
    /** CKA_ID (hex) of the certificate to sign with. */
    certId: z.string().regex(/^[0-9a-fA-F]{1,128}$/),
    /**
     * The PIN as typed, or null for the token's PIN pad. It is turned into a Buffer at once,
     * wiped after C_Login, never logged and never stored.
     */
    pin: z.string().min(1).max(64).nullable(),
  })
  .strict();
export type SignRequest = z.infer<typeof SignRequest>;

export const SignItemResult = z.object({
  assignmentId: z.number().int(),
  title: z.string(),
  status: z.enum(['waiting', 'signing', 'signed', 'uploaded', 'failed', 'cancelled']),
  error: ErrorValue.nullable(),
  level: z.string().nullable(),
  /** Issue: the number and date from the server. */
  notation: z.string().nullable(),
  issuedDate: z.string().nullable(),
  warnings: z.array(ErrorValue),
});
export type SignItemResult = z.infer<typeof SignItemResult>;

export const BatchState = z.object({
  batchId: z.string(),
  state: z.enum(['running', 'done', 'stopped', 'cancelled']),
  total: z.number().int(),
  done: z.number().int(),
  results: z.array(SignItemResult),
  /** Why the batch stopped early (token removed, PIN locked …). */
  stopError: ErrorValue.nullable(),
});
export type BatchState = z.infer<typeof BatchState>;

// ---- outbox -----------------------------------------------------------------------------------

export const ADVICE = ['retry', 'reload', 'discard', 'contact-admin', 'wait'] as const;

export const OutboxProblem = z.object({
  code: z.string(),
  httpStatus: z.number().int().nullable(),
  /** The server's reason, in both languages. */
  message: BiText,
  /** What the user should do about it. */
  advice: z.enum(ADVICE),
});
export type OutboxProblem = z.infer<typeof OutboxProblem>;

export const OutboxEntry = z.object({
  id: z.string(),
  assignmentId: z.number().int(),
  documentId: z.string(),
  title: z.string(),
  action: RequiredActionName,
  baseVersion: z.number().int(),
  level: z.string(),
  createdAt: z.string(),
  state: z.enum(['pending', 'uploading', 'uploaded', 'conflict']),
  attempts: z.number().int(),
  lastAttemptAt: z.string().nullable(),
  uploadedAt: z.string().nullable(),
  uploadedVersion: z.number().int().nullable(),
  problem: OutboxProblem.nullable(),
  /** The signed file, for opening it (GET ./api/blob/<id>). */
  blobId: z.string().nullable(),
});
export type OutboxEntry = z.infer<typeof OutboxEntry>;

// ---- verification and diagnostics -------------------------------------------------------------

export const VerifiedFile = z.object({ blobId: z.string(), name: z.string(), report: VerifyReport });
export type VerifiedFile = z.infer<typeof VerifiedFile>;

export const ReachCheck = z.object({
  id: z.enum(['server', 'tsa', 'ocsp']),
  url: z.string(),
  ok: z.boolean(),
  ms: z.number().nullable(),
  detail: z.string(),
});
export type ReachCheck = z.infer<typeof ReachCheck>;

export const Diagnostics = z.object({
  version: z.string(),
  platform: z.string(),
  runtime: z.string(),
  dataDir: z.string(),
  syncBackend: z.string(),
  modules: z.array(ModuleSummary),
  checks: z.array(ReachCheck),
  ranAt: z.string(),
});
export type Diagnostics = z.infer<typeof Diagnostics>;

export const SupportBundle = z.object({ blobId: z.string(), name: z.string(), size: z.number().int() });
export type SupportBundle = z.infer<typeof SupportBundle>;

// ---- events pushed to the UI ------------------------------------------------------------------

export const SCREENS = ['queue', 'verify', 'outbox', 'settings', 'diagnostics'] as const;
export const Screen = z.enum(SCREENS);
export type Screen = z.infer<typeof Screen>;

export const UiEventBody = z.discriminatedUnion('type', [
  z.object({ type: z.literal('tokens'), state: TokenState }),
  z.object({ type: z.literal('sync'), status: SyncStatus }),
  z.object({ type: z.literal('queue'), newItems: z.number().int(), titles: z.array(z.string()) }),
  z.object({ type: z.literal('batch'), state: BatchState }),
  z.object({ type: z.literal('outbox') }),
  z.object({ type: z.literal('locale'), locale: z.enum(locales) }),
  /** From the native menu (Electron). */
  z.object({ type: z.literal('navigate'), to: Screen }),
]);
export type UiEventBody = z.infer<typeof UiEventBody>;

export const UiEvent = z.object({ seq: z.number().int(), at: z.string() }).and(UiEventBody);
export type UiEvent = z.infer<typeof UiEvent>;

/** The IPC channel for events main → renderer. */
export const EVENT_CHANNEL = 'kyso:event';
