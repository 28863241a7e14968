/**
 * PKCS#11 return values → our typed errors. Users of other signers most often suffer from
 * "wrong PIN" shown for what was really a driver failure; here every CKR value has a name, and
 * each user-relevant one its own error code and message. PIN errors are refined by the token
 * flags read right after the failure (pin-state.ts), never guessed.
 */
import { KysoError, type ErrorCode } from '../../src-shared/errors.js';
import type { MessageKey } from '../../src-shared/i18n/messages.js';

/** Standard CKR names (PKCS#11 v2.40 + 3.0), for messages and logs. */
export const CKR_NAMES: Readonly<Record<number, string>> = {
  0x0: 'CKR_OK',
  0x1: 'CKR_CANCEL',
  0x2: 'CKR_HOST_MEMORY',
  0x3: 'CKR_SLOT_ID_INVALID',
  0x5: 'CKR_GENERAL_ERROR',
  0x6: 'CKR_FUNCTION_FAILED',
  0x7: 'CKR_ARGUMENTS_BAD',
  0x8: 'CKR_NO_EVENT',
  0x9: 'CKR_NEED_TO_CREATE_THREADS',
  0xa: 'CKR_CANT_LOCK',
  0x10: 'CKR_ATTRIBUTE_READ_ONLY',
  0x11: 'CKR_ATTRIBUTE_SENSITIVE',
  0x12: 'CKR_ATTRIBUTE_TYPE_INVALID',
  0x13: 'CKR_ATTRIBUTE_VALUE_INVALID',
  0x1b: 'CKR_ACTION_PROHIBITED',
  0x20: 'CKR_DATA_INVALID',
  0x21: 'CKR_DATA_LEN_RANGE',
  0x30: 'CKR_DEVICE_ERROR',
  0x31: 'CKR_DEVICE_MEMORY',
  0x32: 'CKR_DEVICE_REMOVED',
  0x40: 'CKR_ENCRYPTED_DATA_INVALID',
  0x41: 'CKR_ENCRYPTED_DATA_LEN_RANGE',
  0x50: 'CKR_FUNCTION_CANCELED',
  0x51: 'CKR_FUNCTION_NOT_PARALLEL',
  0x54: 'CKR_FUNCTION_NOT_SUPPORTED',
  0x60: 'CKR_KEY_HANDLE_INVALID',
  0x62: 'CKR_KEY_SIZE_RANGE',
  0x63: 'CKR_KEY_TYPE_INCONSISTENT',
  0x64: 'CKR_KEY_NOT_NEEDED',
  0x65: 'CKR_KEY_CHANGED',
  0x66: 'CKR_KEY_NEEDED',
  0x67: 'CKR_KEY_INDIGESTIBLE',
  0x68: 'CKR_KEY_FUNCTION_NOT_PERMITTED',
  0x69: 'CKR_KEY_NOT_WRAPPABLE',
  0x6a: 'CKR_KEY_UNEXTRACTABLE',
  0x70: 'CKR_MECHANISM_INVALID',
  0x71: 'CKR_MECHANISM_PARAM_INVALID',
  0x82: 'CKR_OBJECT_HANDLE_INVALID',
  0x90: 'CKR_OPERATION_ACTIVE',
  0x91: 'CKR_OPERATION_NOT_INITIALIZED',
  0xa0: 'CKR_PIN_INCORRECT',
  0xa1: 'CKR_PIN_INVALID',
  0xa2: 'CKR_PIN_LEN_RANGE',
  0xa3: 'CKR_PIN_EXPIRED',
  0xa4: 'CKR_PIN_LOCKED',
  0xb0: 'CKR_SESSION_CLOSED',
  0xb1: 'CKR_SESSION_COUNT',
  0xb3: 'CKR_SESSION_HANDLE_INVALID',
  0xb4: 'CKR_SESSION_PARALLEL_NOT_SUPPORTED',
  0xb5: 'CKR_SESSION_READ_ONLY',
  0xb6: 'CKR_SESSION_EXISTS',
  0xb7: 'CKR_SESSION_READ_ONLY_EXISTS',
  0xb8: 'CKR_SESSION_READ_WRITE_SO_EXISTS',
  0xc0: 'CKR_SIGNATURE_INVALID',
  0xc1: 'CKR_SIGNATURE_LEN_RANGE',
  0xd0: 'CKR_TEMPLATE_INCOMPLETE',
  0xd1: 'CKR_TEMPLATE_INCONSISTENT',
  0xe0: 'CKR_TOKEN_NOT_PRESENT',
  0xe1: 'CKR_TOKEN_NOT_RECOGNIZED',
  0xe2: 'CKR_TOKEN_WRITE_PROTECTED',
  0x100: 'CKR_USER_ALREADY_LOGGED_IN',
  0x101: 'CKR_USER_NOT_LOGGED_IN',
  0x102: 'CKR_USER_PIN_NOT_INITIALIZED',
  0x103: 'CKR_USER_TYPE_INVALID',
  0x104: 'CKR_USER_ANOTHER_ALREADY_LOGGED_IN',
  0x105: 'CKR_USER_TOO_MANY_TYPES',
  0x150: 'CKR_BUFFER_TOO_SMALL',
  0x160: 'CKR_SAVED_STATE_INVALID',
  0x170: 'CKR_INFORMATION_SENSITIVE',
  0x180: 'CKR_STATE_UNSAVEABLE',
  0x190: 'CKR_CRYPTOKI_NOT_INITIALIZED',
  0x191: 'CKR_CRYPTOKI_ALREADY_INITIALIZED',
  0x1a0: 'CKR_MUTEX_BAD',
  0x1a1: 'CKR_MUTEX_NOT_LOCKED',
  0x200: 'CKR_FUNCTION_REJECTED',
  0x1b0: 'CKR_NEW_PIN_MODE',
  0x1b1: 'CKR_NEXT_OTP',
  0x1b5: 'CKR_EXCEEDED_MAX_ITERATIONS',
  0x1b6: 'CKR_FIPS_SELF_TEST_FAILED',
  0x1b7: 'CKR_LIBRARY_LOAD_FAILED',
  0x1b8: 'CKR_PIN_TOO_WEAK',
  0x1b9: 'CKR_PUBLIC_KEY_INVALID',
};

export const CKR = {
  CANCEL: 0x1,
  GENERAL_ERROR: 0x5,
  FUNCTION_FAILED: 0x6,
  DEVICE_ERROR: 0x30,
  DEVICE_MEMORY: 0x31,
  DEVICE_REMOVED: 0x32,
  FUNCTION_CANCELED: 0x50,
  KEY_HANDLE_INVALID: 0x60,
  KEY_TYPE_INCONSISTENT: 0x63,
  KEY_FUNCTION_NOT_PERMITTED: 0x68,
  MECHANISM_INVALID: 0x70,
  MECHANISM_PARAM_INVALID: 0x71,
  PIN_INCORRECT: 0xa0,
  PIN_INVALID: 0xa1,
  PIN_LEN_RANGE: 0xa2,
  PIN_EXPIRED: 0xa3,
  PIN_LOCKED: 0xa4,
  SESSION_CLOSED: 0xb0,
  SESSION_HANDLE_INVALID: 0xb3,
  TOKEN_NOT_PRESENT: 0xe0,
  TOKEN_NOT_RECOGNIZED: 0xe1,
  USER_ALREADY_LOGGED_IN: 0x100,
  USER_NOT_LOGGED_IN: 0x101,
  CRYPTOKI_ALREADY_INITIALIZED: 0x191,
  FUNCTION_REJECTED: 0x200,
} as const;

export function ckrName(code: number): string {
  const name = CKR_NAMES[code];
  const hex = `0x${code.toString(16).toUpperCase()}`;
  if (name) return `${name} (${hex})`;
  return code >= 0x80000000 ? `CKR_VENDOR_DEFINED+${(code - 0x80000000).toString(16)} (${hex})` : `CKR ${hex}`;
}

const MAP: Readonly<Record<number, readonly [ErrorCode, MessageKey]>> = {
  [CKR.CANCEL]: ['CANCELLED', 'error.cancelled'],
  [CKR.FUNCTION_CANCELED]: ['CANCELLED', 'error.cancelled'],
  [CKR.FUNCTION_REJECTED]: ['CANCELLED', 'error.cancelled'],
  [CKR.GENERAL_ERROR]: ['TOKEN_FUNCTION_FAILED', 'error.functionFailed'],
  [CKR.FUNCTION_FAILED]: ['TOKEN_FUNCTION_FAILED', 'error.functionFailed'],
  [CKR.DEVICE_ERROR]: ['DEVICE_ERROR', 'error.deviceError'],
  [CKR.DEVICE_MEMORY]: ['DEVICE_ERROR', 'error.deviceError'],
  [CKR.DEVICE_REMOVED]: ['TOKEN_REMOVED', 'error.tokenRemoved'],
  [CKR.TOKEN_NOT_PRESENT]: ['TOKEN_NOT_PRESENT', 'error.tokenNotPresent'],
  [CKR.TOKEN_NOT_RECOGNIZED]: ['TOKEN_NOT_RECOGNIZED', 'error.tokenNotRecognized'],
  [CKR.SESSION_CLOSED]: ['SESSION_CLOSED', 'error.sessionClosed'],
  [CKR.SESSION_HANDLE_INVALID]: ['SESSION_CLOSED', 'error.sessionClosed'],
  [CKR.USER_NOT_LOGGED_IN]: ['NOT_LOGGED_IN', 'error.notLoggedIn'],
  [CKR.KEY_HANDLE_INVALID]: ['KEY_UNUSABLE', 'error.keyUnusable'],
  [CKR.KEY_TYPE_INCONSISTENT]: ['KEY_UNUSABLE', 'error.keyUnusable'],
  [CKR.KEY_FUNCTION_NOT_PERMITTED]: ['KEY_UNUSABLE', 'error.keyUnusable'],
  [CKR.MECHANISM_INVALID]: ['MECHANISM_UNSUPPORTED', 'error.mechanismUnsupported'],
  [CKR.MECHANISM_PARAM_INVALID]: ['MECHANISM_UNSUPPORTED', 'error.mechanismUnsupported'],
  [CKR.PIN_INCORRECT]: ['PIN_INCORRECT', 'error.pinIncorrectUnknown'],
  [CKR.PIN_INVALID]: ['PIN_INVALID', 'error.pinInvalid'],
  [CKR.PIN_LEN_RANGE]: ['PIN_INVALID', 'error.pinInvalid'],
  [CKR.PIN_EXPIRED]: ['PIN_EXPIRED', 'error.pinExpired'],
  [CKR.PIN_LOCKED]: ['PIN_LOCKED', 'error.pinLocked'],
};

/** The CKR value of a pkcs11js error (Pkcs11Error has a numeric `code`), or null. */
export function ckrOf(e: unknown): number | null {
  if (e instanceof Error && typeof (e as Error & { code?: unknown }).code === 'number') {
    return (e as Error & { code: number }).code;
  }
  return null;
}

export function errorFromCkr(code: number): KysoError {
  const [ec, key] = MAP[code] ?? (['TOKEN_ERROR', 'error.tokenError'] as const);
  const detail = ckrName(code);
  return new KysoError(ec, key, { ckr: detail, detail });
}

/** Wraps any failure of a PKCS#11 call; non-PKCS#11 errors pass through untouched. */
export function mapTokenError(e: unknown): unknown {
  const code = ckrOf(e);
  return code === null ? e : errorFromCkr(code);
}
