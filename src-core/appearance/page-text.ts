/**
 * Text lines of a page with per-character geometry in visible coordinates (origin at the
 * lower-left of the visible page after /Rotate, as in sign/placement.ts).
 *
 * pdf.js reports runs, not glyphs: a line may arrive as one run or split in several (per word,
 * per style, even mid-word), and a run gives only its total advance. Runs are grouped by direction
 * and baseline, ordered along the baseline, joined (a space where the gap is wide enough), and split
 * where the gap is a column gap. Inside a run each character gets a share of the advance in
 * proportion to its width in Liberation Serif — exact for Times New Roman documents, close for
 * other fonts.
 */
import type { Rect } from '../sign/placement.js';
import { bundledFontPath, loadFont } from './font-subset.js';
import type { Font } from './fontkit-adapter.js';
import type { RawPage, RawTextItem } from './pdfjs-adapter.js';

/** One character of a line, in the line's frame: t along the baseline, s across it (up). */
export interface LineChar {
  ch: string;
  t0: number;
  t1: number;
  /** Extent across the baseline: descent line to ascent line. */
  s0: number;
  s1: number;
  /** A space we inserted for a gap between runs (not in the PDF). */
  inserted: boolean;
}

export interface TextLine {
  pageIndex: number;
  /** The line's text, NFC. */
  text: string;
  chars: LineChar[];
  /** Bounding box of the whole line, visible coordinates. */
  rect: Rect;
  /** Largest font size on the line (user space units). */
  fontSize: number;
  /** Direction of the baseline in visible coordinates, degrees counter-clockwise from +x. */
  angle: number;
  /** Unit vectors of the frame: along the baseline and up from it. */
  dir: [number, number];
  up: [number, number];
}

/** Gap (in ems) between runs above which a space is implied… */
const SPACE_GAP = 0.15;
/** …and above which the runs belong to different columns or table cells. */
const COLUMN_GAP = 2;

let weightFont: Font | null = null;
function widthOf(cp: number): number {
  weightFont ??= loadFont(bundledFontPath('regular'));
  const f = weightFont;
  if (!f.hasGlyphForCodePoint(cp)) return 0.5;
  return f.glyphForCodePoint(cp).advanceWidth / f.unitsPerEm;
}

interface PlacedRun {
  item: RawTextItem;
  text: string;
  blank: boolean;
  t0: number;
  t1: number;
  s: number;
  size: number;
}

/** Visible-coordinate rectangle of the chars [from, to] (inclusive) of a line. */
export function rectOfChars(line: TextLine, from: number, to: number): Rect {
  let t0 = Infinity;
  let t1 = -Infinity;
  let s0 = Infinity;
  let s1 = -Infinity;
  for (let i = from; i <= to; i++) {
    const c = line.chars[i]!;
    t0 = Math.min(t0, c.t0);
    t1 = Math.max(t1, c.t1);
    s0 = Math.min(s0, c.s0);
    s1 = Math.max(s1, c.s1);
  }
  return frameRect(line.dir, line.up, t0, t1, s0, s1);
}

/** Rectangle between two positions along the baseline, with the line's full height. */
export function rectBetween(line: TextLine, t0: number, t1: number): Rect {
  let s0 = Infinity;
  let s1 = -Infinity;
  for (const c of line.chars) {
    s0 = Math.min(s0, c.s0);
    s1 = Math.max(s1, c.s1);
  }
  return frameRect(line.dir, line.up, Math.min(t0, t1), Math.max(t0, t1), s0, s1);
}

function frameRect(d: [number, number], u: [number, number], t0: number, t1: number, s0: number, s1: number): Rect {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const t of [t0, t1]) {
    for (const s of [s0, s1]) {
      xs.push(t * d[0] + s * u[0]);
      ys.push(t * d[1] + s * u[1]);
    }
  }
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

export function pageLines(page: RawPage): TextLine[] {
  // Runs by direction (rounded to a degree), in each direction's own frame.
  const byAngle = new Map<number, { dir: [number, number]; up: [number, number]; runs: PlacedRun[] }>();
  for (const item of page.items) {
    const [a, b, , , e, f] = item.transform;
    const len = Math.hypot(a, b);
    if (len === 0 || item.height <= 0) continue;
    const o = page.toVisible(e, f);
    const p = page.toVisible(e + a / len, f + b / len);
    const angle = Math.round((Math.atan2(p[1] - o[1], p[0] - o[0]) * 180) / Math.PI);
    const key = ((angle % 360) + 360) % 360;
    let group = byAngle.get(key);
    if (!group) {
      const rad = (key * Math.PI) / 180;
      const dir: [number, number] = [Math.cos(rad), Math.sin(rad)];
      group = { dir, up: [-dir[1], dir[0]], runs: [] };
      byAngle.set(key, group);
    }
    const text = item.str.normalize('NFC');
    const t0 = o[0] * group.dir[0] + o[1] * group.dir[1];
    group.runs.push({
      item,
      text,
      blank: text.trim() === '',
      t0,
      t1: t0 + item.width,
      s: o[0] * group.up[0] + o[1] * group.up[1],
      size: item.height,
    });
  }

  const lines: TextLine[] = [];
  for (const [angle, { dir, up, runs }] of byAngle) {
    // Baseline clusters, top first.
    runs.sort((x, y) => y.s - x.s || x.t0 - y.t0);
    const clusters: PlacedRun[][] = [];
    for (const r of runs) {
      const c = clusters.find((cl) => Math.abs(cl[0]!.s - r.s) <= 0.35 * Math.max(cl[0]!.size, r.size));
      if (c) c.push(r);
      else clusters.push([r]);
    }
    for (const cluster of clusters) {
      cluster.sort((x, y) => x.t0 - y.t0);
      let chars: LineChar[] = [];
      let sizes: number[] = [];
      let end = -Infinity;
      let pendingSpace = false;
      const flush = (): void => {
        while (chars.length && chars[chars.length - 1]!.ch.trim() === '') chars.pop();
        while (chars.length && chars[0]!.ch.trim() === '') chars.shift();
        if (chars.some((c) => c.ch.trim() !== '')) lines.push(makeLine(page.index, chars, sizes, angle, dir, up));
        chars = [];
        sizes = [];
      };
      const seen: PlacedRun[] = [];
      for (const r of cluster) {
        if (r.blank) {
          pendingSpace = true;
          continue;
        }
        // The same text drawn twice at (almost) the same place is fake bold or a shadow: keep one.
        if (seen.some((q) => q.text === r.text && Math.abs(q.t0 - r.t0) < 0.3 * r.size)) continue;
        seen.push(r);
        const gap = r.t0 - end;
        if (chars.length && gap > COLUMN_GAP * r.size) flush();
        else if (chars.length && (pendingSpace || gap > SPACE_GAP * r.size)) {
          const last = chars[chars.length - 1]!;
          if (last.ch.trim() !== '' && r.text[0]!.trim() !== '') {
            chars.push({ ch: ' ', t0: last.t1, t1: Math.max(last.t1, r.t0), s0: last.s0, s1: last.s1, inserted: true });
          }
        }
        pendingSpace = false;
        const cps = [...r.text];
        const weights = cps.map((c) => widthOf(c.codePointAt(0)!));
        const total = weights.reduce((x, y) => x + y, 0) || 1;
        let t = r.t0;
        const s0 = r.s + r.item.descent * r.size;
        const s1 = r.s + r.item.ascent * r.size;
        cps.forEach((ch, i) => {
          const w = (weights[i]! / total) * (r.t1 - r.t0);
          chars.push({ ch, t0: t, t1: t + w, s0, s1, inserted: false });
          t += w;
        });
        sizes.push(r.size);
        end = Math.max(end, r.t1);
      }
      flush();
    }
  }
  // Reading order for horizontal pages: top to bottom, then left to right.
  lines.sort((x, y) => y.rect[3] - x.rect[3] || x.rect[0] - y.rect[0]);
  return lines;
}

function makeLine(
  pageIndex: number,
  chars: LineChar[],
  sizes: number[],
  angle: number,
  dir: [number, number],
  up: [number, number],
): TextLine {
  const line: TextLine = {
    pageIndex,
    text: chars.map((c) => c.ch).join(''),
    chars,
    rect: [0, 0, 0, 0],
    fontSize: Math.max(...sizes),
    angle,
    dir,
    up,
  };
  line.rect = rectOfChars(line, 0, chars.length - 1);
  return line;
}
