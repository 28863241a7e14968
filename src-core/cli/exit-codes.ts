/** Exit codes are part of the `kyso` contract (DESIGN.md); sysexits.h numbering. */
export const EXIT = {
  OK: 0,
  /** verify: some signature TOTAL-FAILED */
  VERIFY_FAILED: 1,
  /** verify: otherwise INDETERMINATE */
  VERIFY_INDETERMINATE: 2,
  USAGE: 64,
  DATA: 65,
  UNAVAILABLE: 69,
  /** A subcommand whose capability has not landed yet (EX_SOFTWARE). */
  NOT_IMPLEMENTED: 70,
  PIN: 77,
} as const;

import type { ErrorCode } from '../../src-shared/errors.js';

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'USAGE':
      return EXIT.USAGE;
    case 'SETTING_LOCKED':
      return EXIT.USAGE;
    case 'INPUT_MALFORMED':
    case 'INPUT_UNREADABLE':
    case 'CONFIG_INVALID':
      return EXIT.DATA;
    case 'TOKEN_UNAVAILABLE':
      return EXIT.UNAVAILABLE;
    case 'PIN_INCORRECT':
    case 'PIN_LOCKED':
      return EXIT.PIN;
    case 'NOT_IMPLEMENTED':
      return EXIT.NOT_IMPLEMENTED;
    default:
      return 70;
  }
}
