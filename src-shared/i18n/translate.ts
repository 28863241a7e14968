import i18next, { type i18n } from 'i18next';
import { en, vi, type Locale, type MessageKey } from './messages.js';
import type { KysoErrorValue } from '../errors.js';

/**
 * One i18next instance per locale, created synchronously (resources are bundled), so the CLI,
 * the main process and the renderer translate the same way without async start-up.
 */
const instances = new Map<Locale, i18n>();

function instance(locale: Locale): i18n {
  let inst = instances.get(locale);
  if (!inst) {
    inst = i18next.createInstance();
    void inst.init({
      lng: locale,
      fallbackLng: 'vi',
      initAsync: false,
      resources: { vi: { translation: vi }, en: { translation: en } },
      // Keys contain dots; they are flat, not nested.
      keySeparator: false,
      nsSeparator: false,
      interpolation: { escapeValue: false },
      showSupportNotice: false,
    });
    instances.set(locale, inst);
  }
  return inst;
}

export function t(locale: Locale, key: MessageKey, params?: Readonly<Record<string, string | number>>): string {
  return instance(locale).t(key, params ?? {});
}

export function errorText(locale: Locale, e: KysoErrorValue): string {
  return t(locale, e.messageKey, e.params);
}

/** Picks a locale from a POSIX/BCP-47 tag (LANG=vi_VN.UTF-8, navigator.language = en-US). */
export function pickLocale(tag: string | undefined | null): Locale {
  if (!tag) return 'vi';
  return tag.toLowerCase().startsWith('en') ? 'en' : 'vi';
}
