import { pickLocale } from '../../src-shared/i18n/translate.js';
import type { Locale } from '../../src-shared/i18n/messages.js';

/** KYSO_LANG wins; then the POSIX variables; "C"/unset falls back to the OS locale. */
export function cliLocale(env: NodeJS.ProcessEnv = process.env): Locale {
  const tag = [env.KYSO_LANG, env.LC_ALL, env.LC_MESSAGES, env.LANG].find(
    (v) => v !== undefined && v !== '' && v !== 'C' && v !== 'POSIX' && !v.startsWith('C.'),
  );
  return pickLocale(tag ?? Intl.DateTimeFormat().resolvedOptions().locale);
}
