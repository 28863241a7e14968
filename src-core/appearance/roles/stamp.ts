/**
 * Drawing stamps: the fonts of one revision (Liberation Serif regular and bold, embedded as
 * subsets once per revision), the resources of one appearance, and painters that draw in a
 * stamp's own reading-frame box [0 0 w h] — wrapped into a visible-orientation appearance by
 * `appearanceContent`.
 */
import type { IncrementalUpdate } from '../../pdf/incremental-writer.js';
import { PdfDict, type PdfRef } from '../../pdf/objects.js';
import { drawImage, fillColour, num, strokeColour, type Rgb } from '../content-ops.js';
import { FontSubsetter } from '../font-subset.js';
import { embedImage, type DecodedPng } from '../image-xobject.js';
import { layoutText, type Align, type TextBlock } from '../text-layout.js';
import { readingToAppearanceMatrix, type Angle } from './frame.js';

export type Face = 'regular' | 'bold';

/** The text of one revision: every string is registered before finalize(), laid out after. */
export class StampFonts {
  private readonly faces = new Map<Face, FontSubsetter>();

  font(face: Face): FontSubsetter {
    let f = this.faces.get(face);
    if (!f) {
      f = FontSubsetter.bundled(face);
      this.faces.set(face, f);
    }
    return f;
  }

  use(text: string, face: Face = 'regular'): void {
    this.font(face).use(text);
  }

  async finalize(): Promise<void> {
    for (const f of this.faces.values()) await f.finalize();
  }

  has(face: Face): boolean {
    return this.faces.has(face);
  }
}

/** /Resources of one appearance stream; fonts and images are embedded once per update. */
export class StampResources {
  private readonly fontNames = new Map<Face, string>();
  private readonly images = new Map<DecodedPng, string>();
  private readonly fontDict = new PdfDict();
  private readonly xobjects = new PdfDict();

  constructor(
    private readonly update: IncrementalUpdate,
    private readonly fonts: StampFonts,
    private readonly imageRefs: WeakMap<DecodedPng, PdfRef>,
  ) {}

  fontName(face: Face): string {
    let n = this.fontNames.get(face);
    if (!n) {
      n = face === 'bold' ? 'F2' : 'F1';
      this.fontDict.set(n, this.fonts.font(face).embed(this.update));
      this.fontNames.set(face, n);
    }
    return n;
  }

  imageName(png: DecodedPng): string {
    let n = this.images.get(png);
    if (!n) {
      n = `Im${this.images.size + 1}`;
      let ref = this.imageRefs.get(png);
      if (!ref) {
        ref = embedImage(this.update, png).ref;
        this.imageRefs.set(png, ref);
      }
      this.xobjects.set(n, ref);
      this.images.set(png, n);
    }
    return n;
  }

  dict(): PdfDict {
    const d = new PdfDict();
    if (this.fontDict.map.size > 0) d.set('Font', this.fontDict);
    if (this.xobjects.map.size > 0) d.set('XObject', this.xobjects);
    return d;
  }

  text(
    lines: string | readonly string[],
    o: {
      face?: Face;
      size: number;
      colour?: Rgb;
      x: number;
      top: number;
      width?: number;
      align?: Align;
      lineHeight?: number;
    },
  ): TextBlock {
    const face = o.face ?? 'regular';
    return layoutText(
      lines,
      {
        font: this.fonts.font(face),
        fontName: this.fontName(face),
        size: o.size,
        ...(o.colour ? { colour: o.colour } : {}),
        ...(o.lineHeight ? { lineHeight: o.lineHeight } : {}),
      },
      {
        x: o.x,
        top: o.top,
        ...(o.width !== undefined ? { width: o.width } : {}),
        ...(o.align ? { align: o.align } : {}),
      },
    );
  }

  image(png: DecodedPng, x: number, y: number, w: number, h: number): string {
    return drawImage(this.imageName(png), x, y, w, h);
  }
}

/** Draws a stamp (reading frame, box w × h); returns content-stream operators. */
export type Painter = (res: StampResources, w: number, h: number) => string;

/** Wraps reading-frame operators into an appearance drawn in visible orientation. */
export function appearanceContent(angle: Angle, w: number, h: number, ops: string): string {
  if (angle === 0) return ops;
  const m = readingToAppearanceMatrix(angle, w, h).map((v) => num(v, 4));
  return `q ${m.join(' ')} cm\n${ops}\nQ\n`;
}

export function filledRect(x: number, y: number, w: number, h: number, colour: Rgb): string {
  return `q ${fillColour(colour)} ${num(x)} ${num(y)} ${num(w)} ${num(h)} re f Q\n`;
}

export function border(x: number, y: number, w: number, h: number, colour: Rgb, lineWidth: number): string {
  const i = lineWidth / 2;
  return `q ${strokeColour(colour)} ${num(lineWidth)} w ${num(x + i)} ${num(y + i)} ${num(w - lineWidth)} ${num(h - lineWidth)} re S Q\n`;
}

/** A polyline path, stroked (round caps and joins, as a pen draws). */
export function strokePolylines(
  lines: ReadonlyArray<ReadonlyArray<readonly [number, number]>>,
  colour: Rgb,
  width: number,
): string {
  const parts = [`q ${strokeColour(colour)} ${num(width)} w 1 J 1 j`];
  for (const l of lines) {
    if (l.length === 0) continue;
    const [x0, y0] = l[0]!;
    parts.push(`${num(x0)} ${num(y0)} m`);
    if (l.length === 1) parts.push(`${num(x0 + 0.01)} ${num(y0)} l`);
    for (const [x, y] of l.slice(1)) parts.push(`${num(x)} ${num(y)} l`);
    parts.push('S');
  }
  parts.push('Q');
  return `${parts.join('\n')}\n`;
}
