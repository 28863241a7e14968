/**
 * Finds where stamps go by reading the page's text, as the government's own tool does: the
 * signer's name or title for the leader's signature image, "Số: …" and "ngày … tháng … năm …"
 * for the number and date written at issue, and the boxes of all text lines so a caller can warn
 * when a stamp would cover text. Rectangles are in visible coordinates (sign/placement.ts).
 *
 * Matching is on Unicode-normalised text (NFC, plus compatibility folding so "…" matches "..."
 * and "ﬁ" matches "fi"), case-insensitive, with runs of spaces treated as one, across the runs a
 * line was split into; optionally without diacritics for documents typed without them. A needle
 * does not match across two lines.
 */
import { KysoError } from '../../src-shared/errors.js';
import type { Rect } from '../sign/placement.js';
import { openTextSource, type PdfTextSource } from './pdfjs-adapter.js';
import { pageLines, rectBetween, rectOfChars, type TextLine } from './page-text.js';

export type { Rect } from '../sign/placement.js';
export type { TextLine } from './page-text.js';

export interface FindOptions {
  /** Also match "Nguyen Van Duc" for "Nguyễn Văn Đức" (and the other way round). */
  ignoreDiacritics?: boolean;
}

export interface TextMatch {
  needle: string;
  pageIndex: number;
  rect: Rect;
  /** The whole line the match is on. */
  lineText: string;
  fontSize: number;
}

export interface TextBox {
  pageIndex: number;
  text: string;
  rect: Rect;
  fontSize: number;
}

export interface Slot {
  rect: Rect;
  /** What is there now: dots, blanks ("") or digits (a year already printed). */
  text: string;
}

export interface NumberPlaceholder {
  pageIndex: number;
  /** "Số: ……" as a whole. */
  rect: Rect;
  /** "Số:" alone. */
  label: Rect;
  /** Where the number goes: from the colon to the next character (usually the "/" of the notation). */
  slot: Slot;
  lineText: string;
  fontSize: number;
}

export interface DatePlaceholder {
  pageIndex: number;
  /** "ngày … tháng … năm …" as a whole. */
  rect: Rect;
  day: Slot;
  month: Slot;
  year: Slot;
  lineText: string;
  fontSize: number;
}

export interface Placeholders {
  number: NumberPlaceholder | null;
  date: DatePlaceholder | null;
}

/** A line's text folded for matching, with the index of the source char of every folded char. */
interface Folded {
  text: string;
  source: number[];
}

function foldChar(ch: string, ignoreDiacritics: boolean): string {
  let s = ch.normalize('NFKC').toLowerCase();
  if (ignoreDiacritics) s = s.normalize('NFD').replace(/\p{M}/gu, '').replace(/đ/g, 'd');
  return s.replace(/\s+/gu, ' ');
}

function foldLine(line: TextLine, ignoreDiacritics: boolean): Folded {
  let text = '';
  const source: number[] = [];
  line.chars.forEach((c, i) => {
    for (const f of foldChar(c.ch, ignoreDiacritics)) {
      if (f === ' ' && (text === '' || text.endsWith(' '))) continue;
      text += f;
      for (let k = 0; k < f.length; k++) source.push(i);
    }
  });
  return { text, source };
}

export function foldNeedle(needle: string, ignoreDiacritics = false): string {
  return [...needle.normalize('NFC')]
    .map((c) => foldChar(c, ignoreDiacritics))
    .join('')
    .replace(/ {2,}/g, ' ')
    .trim();
}

/** Lines of the pages of an open document, computed once per page. */
export class PdfTextIndex {
  private readonly cache = new Map<number, Promise<TextLine[]>>();
  private constructor(private readonly src: PdfTextSource) {}

  static async open(pdfPath: string): Promise<PdfTextIndex> {
    return new PdfTextIndex(await openTextSource(pdfPath));
  }

  get pageCount(): number {
    return this.src.numPages;
  }

  lines(pageIndex: number): Promise<TextLine[]> {
    if (!Number.isInteger(pageIndex) || pageIndex < 0 || pageIndex >= this.src.numPages) {
      return Promise.reject(
        new KysoError('USAGE', 'error.usage', {
          detail: `page ${pageIndex + 1}: the document has ${this.src.numPages} page(s)`,
        }),
      );
    }
    let p = this.cache.get(pageIndex);
    if (!p) {
      p = this.src.page(pageIndex).then(pageLines);
      this.cache.set(pageIndex, p);
    }
    return p;
  }

  async find(pageIndex: number | 'all', needles: readonly string[], opts: FindOptions = {}): Promise<TextMatch[]> {
    const ignore = opts.ignoreDiacritics ?? false;
    const pages = pageIndex === 'all' ? [...Array(this.pageCount).keys()] : [pageIndex];
    const folded = needles.map((n) => ({ needle: n, text: foldNeedle(n, ignore) })).filter((n) => n.text !== '');
    const out: TextMatch[] = [];
    for (const p of pages) {
      for (const line of await this.lines(p)) {
        const f = foldLine(line, ignore);
        for (const n of folded) {
          for (let at = f.text.indexOf(n.text); at >= 0; at = f.text.indexOf(n.text, at + 1)) {
            const from = f.source[at]!;
            const to = f.source[at + n.text.length - 1]!;
            out.push({
              needle: n.needle,
              pageIndex: p,
              rect: rectOfChars(line, from, to),
              lineText: line.text,
              fontSize: line.fontSize,
            });
          }
        }
      }
    }
    return out;
  }

  async textBoxes(pageIndex: number): Promise<TextBox[]> {
    return (await this.lines(pageIndex)).map((l) => ({
      pageIndex,
      text: l.text,
      rect: l.rect,
      fontSize: l.fontSize,
    }));
  }

  /** "Số: ……" and "ngày … tháng … năm …" on the first page (first of each, top to bottom). */
  async placeholders(pageIndex = 0): Promise<Placeholders> {
    const result: Placeholders = { number: null, date: null };
    for (const line of await this.lines(pageIndex)) {
      // Without diacritics: templates typed on a keyboard without Vietnamese input still match.
      const f = foldLine(line, true);
      result.number ??= numberPlaceholder(line, f);
      result.date ??= datePlaceholder(line, f);
      if (result.number && result.date) break;
    }
    return result;
  }

  close(): Promise<void> {
    return this.src.close();
  }
}

// "so:" then dots/underscores/blanks, then the notation ("/QĐ-BTC") or the end of the line.
const NUMBER_RE = /(?:^|[\s(])(so ?:) ?([._]+)? ?(?=\/|$)/;
// "ngay … thang … nam …" with dots, underscores or only blanks in the slots; the year may be printed.
const DATE_RE = /ngay ?([._]+|\s) ?thang ?([._]+|\s) ?nam(?: ?([._]+|\d{4}))?/;

function numberPlaceholder(line: TextLine, f: Folded): NumberPlaceholder | null {
  const m = NUMBER_RE.exec(f.text);
  if (!m) return null;
  const labelStart = m.index + m[0].indexOf(m[1]!);
  const labelEnd = labelStart + m[1]!.length - 1;
  const colon = f.source[labelEnd]!;
  const afterAt = m.index + m[0].length;
  const next = afterAt < f.text.length ? f.source[afterAt]! : -1;
  const c = line.chars;
  // The slot runs from the colon to the next character; at the end of the line, to the last dot.
  const slotEnd = next >= 0 ? c[next]!.t0 : m[2] ? c[f.source[afterAt - 1]!]!.t1 : c[colon]!.t1 + 4 * line.fontSize;
  const label = rectOfChars(line, f.source[labelStart]!, colon);
  const slot = rectBetween(line, c[colon]!.t1, slotEnd);
  return {
    pageIndex: line.pageIndex,
    rect: union(label, slot),
    label,
    slot: { rect: slot, text: m[2] ?? '' },
    lineText: line.text,
    fontSize: line.fontSize,
  };
}

function datePlaceholder(line: TextLine, f: Folded): DatePlaceholder | null {
  const m = DATE_RE.exec(f.text);
  if (!m) return null;
  const c = line.chars;
  const base = m.index;
  const word = (w: string, from: number): [number, number] => {
    const at = f.text.indexOf(w, from);
    return [f.source[at]!, f.source[at + w.length - 1]!];
  };
  const ngay = word('ngay', base);
  const thang = word('thang', base + 4);
  const nam = word('nam', f.text.indexOf('thang', base + 4) + 5);
  const day = rectBetween(line, c[ngay[1]]!.t1, c[thang[0]]!.t0);
  const month = rectBetween(line, c[thang[1]]!.t1, c[nam[0]]!.t0);
  const yearText = m[3] ?? '';
  const endAt = base + m[0].length - 1;
  const yearEnd = yearText ? c[f.source[endAt]!]!.t1 : c[nam[1]]!.t1 + 2.2 * line.fontSize;
  const year = rectBetween(line, c[nam[1]]!.t1, yearEnd);
  const rect = union(rectOfChars(line, ngay[0], nam[1]), year);
  return {
    pageIndex: line.pageIndex,
    rect,
    day: { rect: day, text: m[1]!.trim() },
    month: { rect: month, text: m[2]!.trim() },
    year: { rect: year, text: yearText.trim() },
    lineText: line.text,
    fontSize: line.fontSize,
  };
}

function union(a: Rect, b: Rect): Rect {
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];
}

async function withIndex<T>(pdfPath: string, fn: (index: PdfTextIndex) => Promise<T>): Promise<T> {
  const index = await PdfTextIndex.open(pdfPath);
  try {
    return await fn(index);
  } finally {
    await index.close();
  }
}

/** Every occurrence of each needle on one page or all pages, in reading order per page. */
export function findText(
  pdfPath: string,
  pageIndex: number | 'all',
  needles: readonly string[],
  opts: FindOptions = {},
): Promise<TextMatch[]> {
  return withIndex(pdfPath, (ix) => ix.find(pageIndex, needles, opts));
}

/** Where the issue step writes the number and the date (page 1). */
export function findPlaceholders(pdfPath: string): Promise<Placeholders> {
  return withIndex(pdfPath, (ix) => ix.placeholders(0));
}

/** Bounding boxes of all text lines of a page (a line split at column gaps gives several boxes). */
export function textBoxes(pdfPath: string, pageIndex: number): Promise<TextBox[]> {
  return withIndex(pdfPath, (ix) => ix.textBoxes(pageIndex));
}

/** The text boxes a stamp at `rect` would overlap by more than `minOverlap` points in both directions. */
export function coveredText(rect: Rect, boxes: readonly TextBox[], minOverlap = 0.5): TextBox[] {
  return boxes.filter((b) => {
    const w = Math.min(rect[2], b.rect[2]) - Math.max(rect[0], b.rect[0]);
    const h = Math.min(rect[3], b.rect[3]) - Math.max(rect[1], b.rect[1]);
    return w > minOverlap && h > minOverlap;
  });
}
