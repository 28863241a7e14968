/**
 * Lines of stamp text as content-stream operators: alignment in a box, greedy word wrapping,
 * size, colour, line height. Coordinates are those of the appearance (BBox [0 0 w h]); a block is
 * placed by the top of its first line so stacked blocks are easy to lay out downwards.
 */
import { fillColour, num, resourceName, type Rgb } from './content-ops.js';
import type { FontSubsetter, TextRun } from './font-subset.js';

export type Align = 'left' | 'center' | 'right';

export interface TextStyle {
  font: FontSubsetter;
  /** The font's key in the appearance's /Resources /Font dictionary, e.g. "F1". */
  fontName: string;
  size: number;
  colour?: Rgb;
  /** Distance between baselines as a multiple of `size` (default 1.15, Word's "single" for Times). */
  lineHeight?: number;
}

export interface TextFrame {
  /** Left edge of the box the lines are aligned in. */
  x: number;
  /** Top of the first line (its ascent line). */
  top: number;
  /** Box width for alignment and wrapping; without it lines are left-aligned at x and never wrapped. */
  width?: number;
  align?: Align;
  /** Wrap paragraphs to `width` (default true when a width is given). */
  wrap?: boolean;
}

export interface PlacedLine {
  run: TextRun;
  /** Left end of the line's advance. */
  x: number;
  baseline: number;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface TextBlock {
  /** `q BT … ET Q`: font, colour and one `Tm` + show per line; no state leaks out. */
  ops: string;
  lines: PlacedLine[];
  /** From the first line's ascent to the last line's descent, over the lines' advances. */
  box: Box;
}

/** Splits a paragraph into lines no wider than maxWidth, at spaces; a word wider than the box is cut. */
export function wrapParagraph(font: FontSubsetter, text: string, size: number, maxWidth: number): string[] {
  const words = text.split(/ +/).filter((w) => w.length > 0);
  if (words.length === 0) return [''];
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    const candidate = line ? `${line} ${word}` : word;
    if (font.measure(candidate, size) <= maxWidth + 1e-9) {
      line = candidate;
      continue;
    }
    if (line) lines.push(line);
    line = '';
    // A single word wider than the box (a long document notation): cut it by characters.
    let rest = word;
    while (font.measure(rest, size) > maxWidth + 1e-9 && [...rest].length > 1) {
      const chars = [...rest];
      let n = chars.length - 1;
      while (n > 1 && font.measure(chars.slice(0, n).join(''), size) > maxWidth + 1e-9) n--;
      lines.push(chars.slice(0, n).join(''));
      rest = chars.slice(n).join('');
    }
    line = rest;
  }
  lines.push(line);
  return lines;
}

/** Lays out text (`\n` separates paragraphs; an array gives the lines/paragraphs directly). */
export function layoutText(text: string | readonly string[], style: TextStyle, frame: TextFrame): TextBlock {
  resourceName(style.fontName);
  if (!(style.size > 0)) throw new Error(`bad font size ${style.size}`);
  const { font, size } = style;
  const lineHeight = (style.lineHeight ?? 1.15) * size;
  const paragraphs = typeof text === 'string' ? text.split(/\r\n|\r|\n/) : [...text];
  const wrap = frame.wrap ?? frame.width !== undefined;
  const texts =
    wrap && frame.width !== undefined
      ? paragraphs.flatMap((p) => wrapParagraph(font, p, size, frame.width!))
      : paragraphs;

  const ascent = (font.metrics.ascent / 1000) * size;
  const descent = (font.metrics.descent / 1000) * size;
  const lines: PlacedLine[] = texts.map((t, i) => {
    const run = font.layout(t, size);
    const baseline = frame.top - ascent - i * lineHeight;
    const free = frame.width === undefined ? 0 : frame.width - run.width;
    const align = frame.align ?? 'left';
    const x = frame.x + (align === 'center' ? free / 2 : align === 'right' ? free : 0);
    return { run, x, baseline };
  });

  const ops = [`q BT /${style.fontName} ${num(size)} Tf ${fillColour(style.colour ?? [0, 0, 0])}`];
  for (const l of lines) {
    if (l.run.glyphHex === '') continue;
    ops.push(`1 0 0 1 ${num(l.x)} ${num(l.baseline)} Tm ${l.run.show}`);
  }
  ops.push('ET Q');

  const left = lines.length ? Math.min(...lines.map((l) => l.x)) : frame.x;
  const right = lines.length ? Math.max(...lines.map((l) => l.x + l.run.width)) : frame.x;
  const bottom = frame.top - ascent - (lines.length - 1) * lineHeight + descent;
  return {
    ops: `${ops.join('\n')}\n`,
    lines,
    box: { x: left, y: bottom, width: right - left, height: frame.top - bottom },
  };
}

/**
 * The largest size (in `step`s from max down to min) at which the text fits the box when wrapped
 * to its width; min if nothing fits. For stamps whose text length varies (organisation names).
 */
export function fitFontSize(
  text: string | readonly string[],
  style: Omit<TextStyle, 'size'>,
  box: { width: number; height: number },
  range: { min: number; max: number; step?: number },
): number {
  const step = range.step ?? 0.5;
  for (let size = range.max; size >= range.min; size -= step) {
    const block = layoutText(text, { ...style, size }, { x: 0, top: box.height, width: box.width });
    const fits = block.box.width <= box.width + 1e-9 && block.box.height <= box.height + 1e-9;
    if (fits) return size;
  }
  return range.min;
}
