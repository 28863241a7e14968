/** Dates, sizes and certificate lifetimes as the UI shows them (Vietnam time for dates). */
import type { Locale } from '../../src-shared/i18n/messages';

export function formatDate(iso: string | null | undefined, locale: Locale, withTime = false): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(locale === 'vi' ? 'vi-VN' : 'en-GB', {
    timeZone: 'Asia/Ho_Chi_Minh',
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    ...(withTime ? { hour: '2-digit', minute: '2-digit' } : {}),
  });
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

const DAY = 24 * 3600 * 1000;

/** Whole days until `notAfter` (negative when expired). */
export function daysLeft(notAfter: string, now: number): number {
  return Math.floor((Date.parse(notAfter) - now) / DAY);
}

export type Expiry = 'expired' | 'soon' | 'ok';

/** Certificates expiring within 30 days get a warning. */
export function expiryState(notAfter: string, now: number): Expiry {
  const d = daysLeft(notAfter, now);
  if (d < 0) return 'expired';
  if (d < 30) return 'soon';
  return 'ok';
}
