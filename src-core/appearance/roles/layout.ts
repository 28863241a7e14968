/**
 * Where each role's stamp goes, worked out from the page's text (pdf.js through PdfTextIndex) in
 * the page's reading frame (frame.ts):
 *
 *   - the signer's block: the signer's name (from the certificate, with or without diacritics) and
 *     the nearest line above it, normally the title ("THỨ TRƯỞNG"); the leader's signature goes in
 *     the gap between the two, centred on the name;
 *   - the end of the text: the last line of the last page, for initials;
 *   - the top right corner of page 1 inside the margin, for appendix and copy stamps;
 *   - free space: the first place, scanning from the top left, where a box covers neither text
 *     nor an existing annotation or signature, for the received stamp and the directive.
 */
import { PdfTextIndex, foldNeedle, type TextMatch } from '../anchor-search.js';
import type { TextLine } from '../page-text.js';
import type { PageInfo, PdfReader } from '../../pdf/reader.js';
import { visibleSize, type Rect } from '../../sign/placement.js';
import { existingAnnotationRects } from './annotations.js';
import { overlaps, quarterTurn, readingFrame, toReadingRect, type Angle, type ReadingFrame } from './frame.js';

export const MARGIN = 14; // ≈ 5 mm: stamps keep this far from the page edge (printers' unprintable border)

export interface ReadingLine {
  text: string;
  /** Reading-frame rectangle. */
  rect: Rect;
  fontSize: number;
}

export interface PageView {
  pageIndex: number;
  page: PageInfo;
  frame: ReadingFrame;
  lines: ReadingLine[];
  /** Existing annotations and signature widgets, reading frame. */
  annotations: Rect[];
}

/** The text direction most of a page's characters follow (0 when the page has no text). */
function dominantAngle(lines: readonly TextLine[]): Angle {
  const weight = new Map<Angle, number>();
  for (const l of lines) {
    const a = quarterTurn(l.angle);
    weight.set(a, (weight.get(a) ?? 0) + l.text.length);
  }
  let best: Angle = 0;
  let max = 0;
  for (const [a, w] of weight) {
    if (w > max) {
      best = a;
      max = w;
    }
  }
  return best;
}

/** One document's pages as the roles see them; open once per plan, close at the end. */
export class DocumentView {
  private readonly views = new Map<number, Promise<PageView>>();
  private constructor(
    readonly reader: PdfReader,
    readonly index: PdfTextIndex,
  ) {}

  static async open(reader: PdfReader, path: string): Promise<DocumentView> {
    return new DocumentView(reader, await PdfTextIndex.open(path));
  }

  get pageCount(): number {
    return this.index.pageCount;
  }

  page(pageIndex: number): Promise<PageView> {
    let v = this.views.get(pageIndex);
    if (!v) {
      v = (async () => {
        const raw = await this.index.lines(pageIndex);
        const page = this.reader.pages()[pageIndex]!;
        const [vw, vh] = visibleSize(page);
        const frame = readingFrame(dominantAngle(raw), vw, vh);
        return {
          pageIndex,
          page,
          frame,
          lines: raw.map((l) => ({ text: l.text, rect: toReadingRect(frame, l.rect), fontSize: l.fontSize })),
          annotations: existingAnnotationRects(this.reader, page).map((r) => toReadingRect(frame, r)),
        };
      })();
      this.views.set(pageIndex, v);
    }
    return v;
  }

  /**
   * Occurrences of `needle` on the given pages (exact first; without diacritics when there is no
   * exact match), as reading-frame rectangles, with whether the needle is its line's whole text.
   */
  async find(
    needle: string,
    pages: readonly number[],
  ): Promise<Array<{ pageIndex: number; rect: Rect; alone: boolean; lineText: string }>> {
    const run = async (ignoreDiacritics: boolean): Promise<TextMatch[]> => {
      const out: TextMatch[] = [];
      for (const p of pages) out.push(...(await this.index.find(p, [needle], { ignoreDiacritics })));
      return out;
    };
    let found = await run(false);
    let ignore = false;
    if (found.length === 0) {
      found = await run(true);
      ignore = true;
    }
    const out = [];
    for (const m of found) {
      const view = await this.page(m.pageIndex);
      out.push({
        pageIndex: m.pageIndex,
        rect: toReadingRect(view.frame, m.rect),
        alone: foldNeedle(m.lineText, ignore) === foldNeedle(needle, ignore),
        lineText: m.lineText,
      });
    }
    return out;
  }

  close(): Promise<void> {
    return this.index.close();
  }
}

/** Reading-frame lines a box would cover. */
export function coveredLines(view: PageView, rect: Rect): ReadingLine[] {
  return view.lines.filter((l) => overlaps(rect, l.rect));
}

/** The line closest above `rect` that overlaps it horizontally (reading frame), if any. */
export function lineAbove(view: PageView, rect: Rect, maxDistance = 200): ReadingLine | null {
  const cx = (rect[0] + rect[2]) / 2;
  const halfSpan = Math.max((rect[2] - rect[0]) / 2, 40);
  let best: ReadingLine | null = null;
  for (const l of view.lines) {
    const bottom = l.rect[1];
    if (bottom < rect[3] - 1 || bottom - rect[3] > maxDistance) continue;
    if (l.rect[2] < cx - halfSpan || l.rect[0] > cx + halfSpan) continue;
    if (!best || bottom < best.rect[1]) best = l;
  }
  return best;
}

/** The last line of the page in reading order (lowest; rightmost among lines on one baseline). */
export function lastLine(view: PageView): ReadingLine | null {
  let best: ReadingLine | null = null;
  for (const l of view.lines) {
    if (l.text.trim() === '') continue;
    if (!best) best = l;
    else if (l.rect[1] < best.rect[1] - 2) best = l;
    else if (Math.abs(l.rect[1] - best.rect[1]) <= 2 && l.rect[2] > best.rect[2]) best = l;
  }
  return best;
}

/**
 * The first box of size (w, h) inside `region` (reading frame) that covers no text line and no
 * existing annotation, scanning rows from the top and each row from the left (from the right with
 * `fromRight`); null if none.
 */
export function freeSpot(
  view: PageView,
  w: number,
  h: number,
  region: Rect,
  opts: { step?: number; fromRight?: boolean } = {},
): Rect | null {
  const step = opts.step ?? 4;
  const obstacles = [...view.lines.map((l) => l.rect), ...view.annotations];
  const fits = (r: Rect): boolean => {
    // Keep a little air around text: 1.5 pt.
    const padded: Rect = [r[0] - 1.5, r[1] - 1.5, r[2] + 1.5, r[3] + 1.5];
    return !obstacles.some((o) => overlaps(padded, o, 0));
  };
  for (let top = region[3]; top - h >= region[1] - 1e-6; top -= step) {
    if (opts.fromRight) {
      for (let right = region[2]; right - w >= region[0] - 1e-6; right -= step) {
        const r: Rect = [right - w, top - h, right, top];
        if (fits(r)) return r;
      }
    } else {
      for (let left = region[0]; left + w <= region[2] + 1e-6; left += step) {
        const r: Rect = [left, top - h, left + w, top];
        if (fits(r)) return r;
      }
    }
  }
  return null;
}

/** The page region inside the stamp margin. */
export function pageRegion(view: PageView, margin = MARGIN): Rect {
  return [margin, margin, view.frame.width - margin, view.frame.height - margin];
}
