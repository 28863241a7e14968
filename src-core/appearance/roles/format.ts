/**
 * The strings stamps show: signing time in ISO 8601 with the Vietnam offset (Decree 30:
 * "2026-12-04T10:15:30+07:00"), the issuing date in the words of the layout ("ngày 04 tháng 12 năm
 * 2026", with the leading zero Decree 30 asks for days below 10 and for January and February),
 * a signer's initials, and the copy types.
 */
import { KysoError } from '../../../src-shared/errors.js';

/** Vietnam has used UTC+07:00 all year since 1975. */
export const VIETNAM_OFFSET_MINUTES = 420;

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Wall-clock fields of `d` at a fixed UTC offset. */
export function localFields(
  d: Date,
  offsetMinutes = VIETNAM_OFFSET_MINUTES,
): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const t = new Date(d.getTime() + offsetMinutes * 60000);
  return {
    year: t.getUTCFullYear(),
    month: t.getUTCMonth() + 1,
    day: t.getUTCDate(),
    hour: t.getUTCHours(),
    minute: t.getUTCMinutes(),
    second: t.getUTCSeconds(),
  };
}

/** `2026-12-04T10:15:30+07:00` (seconds, no fraction, explicit offset). */
export function isoWithOffset(d: Date, offsetMinutes = VIETNAM_OFFSET_MINUTES): string {
  const f = localFields(d, offsetMinutes);
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const off = Math.abs(offsetMinutes);
  return (
    `${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)}T${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)}` +
    `${sign}${pad(Math.floor(off / 60))}:${pad(off % 60)}`
  );
}

/** A calendar date without a time of day. */
export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

/** Parses `YYYY-MM-DD` (a real calendar date) or throws a usage error naming the option. */
export function parseCalendarDate(text: string, option = '--doc-date'): CalendarDate {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  const bad = (): KysoError => new KysoError('USAGE', 'roles.badDate', { option, value: text });
  if (!m) throw bad();
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) throw bad();
  return { year, month, day };
}

export function calendarDateOf(d: Date, offsetMinutes = VIETNAM_OFFSET_MINUTES): CalendarDate {
  const f = localFields(d, offsetMinutes);
  return { year: f.year, month: f.month, day: f.day };
}

/**
 * Day, month and year as Decree 30 writes them in "ngày … tháng … năm …": a leading zero for days
 * below 10 and for months 1 and 2 ("ngày 04 tháng 02 năm 2026", but "ngày 05 tháng 3 năm 2020").
 */
export function decreeDateParts(d: CalendarDate): { day: string; month: string; year: string } {
  return {
    day: pad(d.day),
    month: d.month <= 2 ? pad(d.month) : String(d.month),
    year: String(d.year),
  };
}

/** "ngày 04 tháng 12 năm 2026". */
export function decreeDateText(d: CalendarDate): string {
  const p = decreeDateParts(d);
  return `ngày ${p.day} tháng ${p.month} năm ${p.year}`;
}

/** `04/12/2026` for the received stamp. */
export function shortDate(d: CalendarDate): string {
  return `${pad(d.day)}/${pad(d.month)}/${pad(d.year, 4)}`;
}

/**
 * Initials of a Vietnamese name, as initialled drafts carry them: the first letter of each word,
 * without tone marks but keeping Đ ("Nguyễn Văn Đức" → "NVĐ", "Lê Ánh" → "LA").
 */
export function initialsOf(name: string): string {
  return name
    .normalize('NFC')
    .split(/[\s\-.,]+/u)
    .filter((w) => /\p{L}/u.test(w))
    .map((w) => {
      const first = [...w].find((c) => /\p{L}/u.test(c))!;
      if (first === 'đ' || first === 'Đ') return 'Đ';
      return first.normalize('NFD').replace(/\p{M}/gu, '').toUpperCase();
    })
    .join('');
}

export const COPY_TYPES = ['SAO Y', 'SAO LỤC', 'TRÍCH SAO'] as const;
export type CopyType = (typeof COPY_TYPES)[number];

const fold = (s: string): string =>
  s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[đĐ]/g, 'D')
    .toUpperCase()
    .replace(/[\s_-]+/g, ' ')
    .trim();

/** "sao y", "SAO LUC", "trich-sao" … → the Decree's spelling; anything else is a usage error. */
export function parseCopyType(text: string): CopyType {
  const f = fold(text);
  const found = COPY_TYPES.find((c) => fold(c) === f);
  if (!found) throw new KysoError('USAGE', 'roles.badCopyType', { value: text, allowed: COPY_TYPES.join(', ') });
  return found;
}

/** Folded comparison used for names and titles typed with or without diacritics. */
export function sameText(a: string, b: string): boolean {
  return fold(a) === fold(b);
}
