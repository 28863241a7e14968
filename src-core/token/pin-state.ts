import type { PinState } from '../../src-shared/api/token-types.js';
import { KysoError } from '../../src-shared/errors.js';

export const CKF = {
  LOGIN_REQUIRED: 0x4,
  USER_PIN_INITIALIZED: 0x8,
  PROTECTED_AUTHENTICATION_PATH: 0x100,
  TOKEN_INITIALIZED: 0x400,
  USER_PIN_COUNT_LOW: 0x10000,
  USER_PIN_FINAL_TRY: 0x20000,
  USER_PIN_LOCKED: 0x40000,
  USER_PIN_TO_BE_CHANGED: 0x80000,
} as const;

export function pinStateFromFlags(flags: number): PinState {
  return {
    initialized: (flags & CKF.USER_PIN_INITIALIZED) !== 0,
    countLow: (flags & CKF.USER_PIN_COUNT_LOW) !== 0,
    finalTry: (flags & CKF.USER_PIN_FINAL_TRY) !== 0,
    locked: (flags & CKF.USER_PIN_LOCKED) !== 0,
    pinPad: (flags & CKF.PROTECTED_AUTHENTICATION_PATH) !== 0,
  };
}

/** The error for a wrong PIN, refined by the flags read right after it. */
export function pinIncorrectError(state: PinState): KysoError {
  if (state.locked) return new KysoError('PIN_LOCKED', 'error.pinLocked');
  if (state.finalTry) return new KysoError('PIN_INCORRECT', 'error.pinIncorrectFinal', { triesLeft: 1 });
  if (state.countLow) return new KysoError('PIN_INCORRECT', 'error.pinIncorrectLow');
  return new KysoError('PIN_INCORRECT', 'error.pinIncorrectUnknown');
}
