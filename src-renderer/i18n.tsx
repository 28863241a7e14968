/** The chosen language for every component (Vietnamese first), and helpers for error values. */
import { createContext, useContext } from 'react';
import type { BiText, ErrorValue } from '../src-shared/api/ui-types';
import type { Locale, MessageKey } from '../src-shared/i18n/messages';
import { t as translate } from '../src-shared/i18n/translate';
import { isKysoErrorValue, type KysoErrorValue } from '../src-shared/errors';

export type Params = Readonly<Record<string, string | number>>;

export interface I18n {
  locale: Locale;
  t(key: MessageKey, params?: Params): string;
  /** An error value (from any border) as one sentence. */
  err(e: unknown): string;
  /** A message carried in both languages. */
  bi(b: BiText): string;
}

export function makeI18n(locale: Locale): I18n {
  const t = (key: MessageKey, params?: Params): string => translate(locale, key, params);
  const err = (e: unknown): string => {
    if (!isKysoErrorValue(e)) return t('error.internal');
    const v = e as KysoErrorValue | ErrorValue;
    const params = { ...(v.params ?? {}) } as Record<string, string | number>;
    // The server's reason arrives in both languages; show the one the user reads.
    if (v.messageKey === 'ui.error.serverRejected') params.reason = String(params[locale] ?? params.vi ?? '');
    const text = translate(locale, v.messageKey as MessageKey, params);
    return text === v.messageKey ? t('error.internal') : text;
  };
  return { locale, t, err, bi: (b) => (locale === 'en' ? b.en : b.vi) };
}

export const I18nContext = createContext<I18n>(makeI18n('vi'));

export function useI18n(): I18n {
  return useContext(I18nContext);
}

export function asError(e: unknown): KysoErrorValue {
  return isKysoErrorValue(e) ? e : { code: 'INTERNAL', messageKey: 'error.internal' };
}
