/**
 * A failure the server answers with problem+json. The code is stable for clients; the message
 * key selects the vi/en text (src-shared/i18n, block "server"). Thrown inside the server only and
 * turned into a response at the router, so handlers can stop anywhere with one line.
 */
import type { Locale, MessageKey } from '../src-shared/i18n/messages.js';
import type { SyncErrorCode } from '../src-shared/api/sync-types.js';

const KEYS: Record<SyncErrorCode, MessageKey> = {
  BAD_REQUEST: 'server.badRequest',
  VALIDATION_FAILED: 'server.validationFailed',
  UNAUTHENTICATED: 'server.unauthenticated',
  INVALID_CREDENTIALS: 'server.invalidCredentials',
  CHALLENGE_INVALID: 'server.challengeInvalid',
  CERTIFICATE_INVALID: 'server.certificateInvalid',
  CERTIFICATE_NOT_BOUND: 'server.certificateNotBound',
  CERTIFICATE_EXPIRED: 'server.certificateExpired',
  SIGNATURE_MISMATCH: 'server.signatureMismatch',
  REFRESH_INVALID: 'server.refreshInvalid',
  REFRESH_REUSED: 'server.refreshReused',
  RATE_LIMITED: 'server.rateLimited',
  FORBIDDEN: 'server.forbidden',
  NOT_FOUND: 'server.notFound',
  METHOD_NOT_ALLOWED: 'server.methodNotAllowed',
  PAYLOAD_TOO_LARGE: 'server.payloadTooLarge',
  UNSUPPORTED_MEDIA_TYPE: 'server.unsupportedMediaType',
  IDEMPOTENCY_KEY_REQUIRED: 'server.idempotencyKeyRequired',
  IDEMPOTENCY_KEY_REUSED: 'server.idempotencyKeyReused',
  PRECONDITION_REQUIRED: 'server.preconditionRequired',
  VERSION_CONFLICT: 'server.versionConflict',
  DOCUMENT_RECALLED: 'server.documentRecalled',
  ASSIGNMENT_NOT_OPEN: 'server.assignmentNotOpen',
  NOT_INCREMENTAL: 'server.notIncremental',
  SIGNATURE_COUNT: 'server.signatureCount',
  SIGNATURE_INVALID: 'server.signatureInvalid',
  WRONG_SIGNER: 'server.wrongSigner',
  SIGNER_KIND_MISMATCH: 'server.signerKindMismatch',
  COMPETENT_SIGNATURE_MISSING: 'server.competentSignatureMissing',
  NUMBER_NOT_ALLOCATED: 'server.numberNotAllocated',
  NO_REGISTER: 'server.noRegister',
  RANGE_NOT_SATISFIABLE: 'server.rangeNotSatisfiable',
  INSPECTOR_UNAVAILABLE: 'server.inspectorUnavailable',
  INTERNAL: 'error.internal',
  JOURNAL_FORK: 'server.journalFork',
  // The reason (modified, broken-link, sequence-gap) as a Vietnamese and an English detail
  // (ServerErrorExtra.localizedParams).
  JOURNAL_CHAIN_BROKEN: 'server.journalChainBroken',
};

export interface ServerErrorExtra {
  headers?: Record<string, string>;
  /** Reasons from the signature inspector, passed through for the client to show. */
  errors?: string[];
  /** Close the connection after answering (the request body was not read). */
  close?: boolean;
  /**
   * Message parameters per language, over `params` when the message is written (a detail that
   * must read in Vietnamese and in English). Not copied into the problem's `params`.
   */
  localizedParams?: Record<Locale, Record<string, string | number>>;
}

export class ServerError extends Error {
  readonly status: number;
  readonly code: SyncErrorCode;
  readonly messageKey: MessageKey;
  readonly params: Record<string, string | number>;
  readonly extra: ServerErrorExtra;

  constructor(
    status: number,
    code: SyncErrorCode,
    params: Record<string, string | number> = {},
    extra: ServerErrorExtra = {},
  ) {
    super(`${status} ${code}`);
    this.name = 'ServerError';
    this.status = status;
    this.code = code;
    this.messageKey = KEYS[code];
    this.params = params;
    this.extra = extra;
  }

  /** A short line for the audit log row of this failure (never a token or password). */
  auditDetail: string | null = null;

  withAudit(detail: string): this {
    this.auditDetail = detail;
    return this;
  }
}

export const notFound = (): ServerError => new ServerError(404, 'NOT_FOUND');
