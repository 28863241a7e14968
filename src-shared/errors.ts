/**
 * Errors cross every border (IPC, HTTP bridge, CLI) as plain values, never as thrown class
 * instances, so the renderer can show them without knowing the engine. A code is stable and
 * machine-readable; the message key selects the Vietnamese/English text; params fill it.
 */
import type { MessageKey } from './i18n/messages.js';

export type ErrorCode =
  | 'USAGE'
  | 'INPUT_MALFORMED'
  | 'INPUT_UNREADABLE'
  | 'NOT_IMPLEMENTED'
  | 'TOKEN_UNAVAILABLE'
  | 'MODULE_LOAD_FAILED'
  | 'TOKEN_NOT_PRESENT'
  | 'TOKEN_REMOVED'
  | 'TOKEN_NOT_RECOGNIZED'
  | 'DEVICE_ERROR'
  | 'TOKEN_FUNCTION_FAILED'
  | 'SESSION_CLOSED'
  | 'NOT_LOGGED_IN'
  | 'KEY_UNUSABLE'
  | 'KEY_NOT_FOUND'
  | 'MECHANISM_UNSUPPORTED'
  | 'CANCELLED'
  | 'TOKEN_ERROR'
  | 'PIN_INCORRECT'
  | 'PIN_INVALID'
  | 'PIN_EXPIRED'
  | 'PIN_LOCKED'
  | 'IPC_FORBIDDEN'
  | 'IPC_INVALID'
  | 'BRIDGE_FORBIDDEN'
  | 'INTERNAL'
  // cms
  | 'CMS_INPUT_INVALID'
  | 'CMS_SIGNATURE_MISMATCH'
  | 'TSA_UNREACHABLE'
  | 'TSA_HTTP_ERROR'
  | 'TSA_REJECTED'
  | 'TSA_RESPONSE_MALFORMED'
  | 'TSA_IMPRINT_MISMATCH'
  | 'TSA_NONCE_MISMATCH'
  | 'TSA_SIGNATURE_INVALID'
  | 'TSA_CERTIFICATE_INVALID'
  | 'REVOCATION_NO_URL'
  | 'REVOCATION_UNREACHABLE'
  | 'REVOCATION_HTTP_ERROR'
  | 'REVOCATION_RESPONSE_MALFORMED'
  | 'OCSP_REJECTED'
  | 'REVOCATION_SIGNATURE_INVALID'
  | 'REVOCATION_MISMATCH'
  | 'REVOCATION_STALE'
  // desktop service ↔ workflow server
  | 'SERVER_UNREACHABLE'
  | 'SERVER_REJECTED'
  | 'NOT_SIGNED_IN'
  // settings
  | 'SETTING_LOCKED'
  | 'CONFIG_INVALID';

export interface KysoErrorValue {
  readonly code: ErrorCode;
  readonly messageKey: MessageKey;
  readonly params?: Readonly<Record<string, string | number>>;
}

/** Thrown inside one process only; converted to KysoErrorValue at every border. */
export class KysoError extends Error implements KysoErrorValue {
  readonly code: ErrorCode;
  readonly messageKey: MessageKey;
  readonly params: Readonly<Record<string, string | number>>;

  constructor(code: ErrorCode, messageKey: MessageKey, params: Record<string, string | number> = {}) {
    // The English key as message keeps stack traces readable; users see the translated text.
    super(`${code}: ${messageKey}`);
    this.name = 'KysoError';
    this.code = code;
    this.messageKey = messageKey;
    this.params = params;
  }

  toValue(): KysoErrorValue {
    return { code: this.code, messageKey: this.messageKey, params: this.params };
  }
}

export function isKysoErrorValue(v: unknown): v is KysoErrorValue {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { code?: unknown }).code === 'string' &&
    typeof (v as { messageKey?: unknown }).messageKey === 'string'
  );
}

/** Anything caught becomes a value; unknown failures never leak their text (it may hold secrets). */
export function toErrorValue(e: unknown): KysoErrorValue {
  if (e instanceof KysoError) return e.toValue();
  if (isKysoErrorValue(e)) return e;
  return { code: 'INTERNAL', messageKey: 'error.internal' };
}
