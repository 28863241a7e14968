/**
 * The sync protocol between the desktop client and the workflow server (docs/sync-api.openapi.yaml
 * is the normative contract; these zod schemas are the same shapes for code). Request bodies are
 * validated with them on the server; the client can validate responses with them.
 */
import { z } from 'zod';

/** National document exchange statuses (VN-RULES.md). */
export const DOCUMENT_STATUSES = ['01', '02', '03', '04', '05', '06', '13', '15', '16'] as const;
export const DocumentStatus = z.enum(DOCUMENT_STATUSES);
export type DocumentStatus = z.infer<typeof DocumentStatus>;

/** What the assigned user must do with the document; decides the expected signer certificate kind. */
export const REQUIRED_ACTIONS = ['approval', 'initials', 'issue', 'appendix', 'copy', 'received', 'directive'] as const;
export const RequiredAction = z.enum(REQUIRED_ACTIONS);
export type RequiredAction = z.infer<typeof RequiredAction>;

/** 0 thường, 1 khẩn, 2 thượng khẩn, 3 hỏa tốc, 4 hỏa tốc hẹn giờ. */
export const Urgency = z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4)]);
export type Urgency = z.infer<typeof Urgency>;

export const ROLES = ['leader', 'drafter', 'clerk', 'admin'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

export const CERT_KINDS = ['personal', 'organisation'] as const;
export const CertKind = z.enum(CERT_KINDS);
export type CertKind = z.infer<typeof CertKind>;

/** Mã định danh: 13 characters like 000.00.00.G22 (three groups of digits, then a letter-led code). */
export const OrganisationId = z.string().regex(/^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[0-9A-Z]{3}$/);

export const QUEUE_CHANGES = ['new', 'updated', 'recalled', 'removed'] as const;
export type QueueChange = (typeof QUEUE_CHANGES)[number];

export const ASSIGNMENT_STATES = ['open', 'done', 'removed'] as const;
export type AssignmentState = (typeof ASSIGNMENT_STATES)[number];

export const DIRECTIVE_STATUSES = ['open', 'in_progress', 'done'] as const;
export const DirectiveStatus = z.enum(DIRECTIVE_STATUSES);
export type DirectiveStatus = z.infer<typeof DirectiveStatus>;

// ---- request bodies ---------------------------------------------------------------------------

export const PasswordLoginRequest = z
  .object({
    username: z.string().min(1).max(64),
    password: z.string().min(1).max(256),
  })
  .strict();
export type PasswordLoginRequest = z.infer<typeof PasswordLoginRequest>;

const Base64 = z.string().regex(/^[A-Za-z0-9+/_-]+={0,2}$/);

export const CertificateLoginRequest = z
  .object({
    challengeId: z.string().min(1).max(64),
    /** DER certificate, base64. */
    certificate: Base64.max(16384),
    /** Signature over the UTF-8 bytes of the challenge string; ECDSA as DER or raw r||s. */
    signature: Base64.max(2048),
  })
  .strict();
export type CertificateLoginRequest = z.infer<typeof CertificateLoginRequest>;

export const RefreshRequest = z.object({ refreshToken: z.string().min(1).max(256) }).strict();
export type RefreshRequest = z.infer<typeof RefreshRequest>;

export const RecallRequest = z.object({ reason: z.string().min(1).max(1000) }).strict();
export type RecallRequest = z.infer<typeof RecallRequest>;

const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const DirectiveCreateRequest = z
  .object({
    recipientUnitId: z.number().int().positive().optional(),
    recipientUserId: z.number().int().positive().optional(),
    text: z.string().min(1).max(4000),
    deadline: IsoDate.optional(),
    status: DirectiveStatus.optional(),
  })
  .strict()
  .refine((d) => d.recipientUnitId !== undefined || d.recipientUserId !== undefined, {
    message: 'recipientUnitId or recipientUserId is required',
  });
export type DirectiveCreateRequest = z.infer<typeof DirectiveCreateRequest>;

export const QueueQuery = z.object({
  since: z
    .string()
    .regex(/^\d{1,15}$/)
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
export type QueueQuery = z.infer<typeof QueueQuery>;

/** Idempotency-Key header: opaque, long enough to be unique, short enough to index. */
export const IdempotencyKey = z.string().regex(/^[A-Za-z0-9._:-]{8,128}$/);

// ---- responses --------------------------------------------------------------------------------

export interface UserInfo {
  id: number;
  username: string;
  fullName: string;
  title: string;
  role: Role;
  organisation: { id: string; name: string };
  unit: { id: number; name: string } | null;
}

export interface TokenResponse {
  tokenType: 'Bearer';
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
  user: UserInfo;
}

export interface ChallengeResponse {
  challengeId: string;
  /** Sign the UTF-8 bytes of this exact string. */
  challenge: string;
  expiresAt: string;
}

export interface QueueItem {
  /** Assignment id: one user's task on one document. */
  id: number;
  documentId: string;
  version: number;
  title: string;
  docType: string;
  number: number | null;
  notation: string | null;
  issuedDate: string | null;
  sender: { organisationId: string; name: string };
  urgency: Urgency;
  dueAt: string | null;
  action: RequiredAction;
  status: DocumentStatus;
  assignmentState: AssignmentState;
  contentSha256: string;
  size: number;
  recallReason: string | null;
}

export interface QueueEntry {
  change: QueueChange;
  cursor: string;
  item: QueueItem;
}

export interface QueuePage {
  items: QueueEntry[];
  nextCursor: string;
  hasMore: boolean;
}

export interface UploadResponse {
  documentId: string;
  version: number;
  sha256: string;
  size: number;
  status: DocumentStatus;
  assignmentState: AssignmentState;
}

export interface IssueNumberResponse {
  documentId: string;
  number: number;
  notation: string;
  issuedDate: string;
  year: number;
  registerId: number;
}

export interface Directive {
  id: number;
  documentId: string;
  authorUserId: number;
  recipientUnitId: number | null;
  recipientUserId: number | null;
  text: string;
  status: DirectiveStatus;
  deadline: string | null;
  createdAt: string;
}

export interface RecallResponse {
  documentId: string;
  status: DocumentStatus;
}

/** Stable machine-readable codes of the server's problem+json answers. */
export const SYNC_ERROR_CODES = [
  'BAD_REQUEST',
  'VALIDATION_FAILED',
  'UNAUTHENTICATED',
  'INVALID_CREDENTIALS',
  'CHALLENGE_INVALID',
  'CERTIFICATE_INVALID',
  'CERTIFICATE_NOT_BOUND',
  'CERTIFICATE_EXPIRED',
  'SIGNATURE_MISMATCH',
  'REFRESH_INVALID',
  'REFRESH_REUSED',
  'RATE_LIMITED',
  'FORBIDDEN',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'IDEMPOTENCY_KEY_REQUIRED',
  'IDEMPOTENCY_KEY_REUSED',
  'PRECONDITION_REQUIRED',
  'VERSION_CONFLICT',
  'DOCUMENT_RECALLED',
  'ASSIGNMENT_NOT_OPEN',
  'NOT_INCREMENTAL',
  'SIGNATURE_COUNT',
  'SIGNATURE_INVALID',
  'WRONG_SIGNER',
  'SIGNER_KIND_MISMATCH',
  'COMPETENT_SIGNATURE_MISSING',
  'NUMBER_NOT_ALLOCATED',
  'NO_REGISTER',
  'RANGE_NOT_SATISFIABLE',
  'INSPECTOR_UNAVAILABLE',
  'INTERNAL',
  /** Signature journal: an entry differs from the one the server holds for that sequence number (409). */
  'JOURNAL_FORK',
  /** Signature journal: the pushed entries do not chain (altered entry, wrong link, gap) (422). */
  'JOURNAL_CHAIN_BROKEN',
] as const;
export type SyncErrorCode = (typeof SYNC_ERROR_CODES)[number];

/** RFC 9457 problem details as this server writes them. */
export interface SyncProblem {
  type: string;
  title: string;
  status: number;
  code: SyncErrorCode;
  messageKey: string;
  /** The message in the request's language (Accept-Language, Vietnamese by default). */
  detail: string;
  message: { vi: string; en: string };
  params?: Record<string, string | number>;
  errors?: string[];
}
