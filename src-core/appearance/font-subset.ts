/**
 * Embeds a TrueType font as a subset for stamp text (ISO 32000-1 §9.7, §9.9, §9.10):
 * a Type0 font with Identity-H encoding over a CIDFontType2 whose CIDs are the subset's glyph ids
 * (/CIDToGIDMap /Identity), /W widths, a FontDescriptor with the subset as /FontFile2, and a
 * /ToUnicode CMap so copied and searched text comes back as the Vietnamese that was written.
 *
 * Glyph ids in the content stream are the subset's new ids, assigned as text is laid out, so the
 * order is: use() all the text of a revision → finalize() (fontkit encodes asynchronously) →
 * layout() → embed() once into the revision's IncrementalUpdate.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { KysoError } from '../../src-shared/errors.js';
import type { IncrementalUpdate } from '../pdf/incremental-writer.js';
import { PdfDict, PdfName, PdfStream, PdfString, type PdfObject, type PdfRef } from '../pdf/objects.js';
import { projectRoot } from '../util/paths.js';
import { num } from './content-ops.js';
import { createFont, encodeSubset, fontTables, type Font, type Glyph, type Subset } from './fontkit-adapter.js';
import { toUnicodeCMap } from './to-unicode.js';

export type FontFace = 'regular' | 'bold';

const BUNDLED: Record<FontFace, string> = {
  regular: 'LiberationSerif-Regular.ttf',
  bold: 'LiberationSerif-Bold.ttf',
};

/** Path of a font shipped in resources/fonts (Liberation Serif 2, OFL-1.1). */
export function bundledFontPath(face: FontFace = 'regular'): string {
  return join(projectRoot(), 'resources', 'fonts', BUNDLED[face]);
}

/** One laid-out line of text, in points at `size`. */
export interface TextRun {
  /** The text as laid out (NFC, invisible format characters removed). */
  text: string;
  size: number;
  /** Advance width including kerning. */
  width: number;
  /** The CIDs (= subset glyph ids) as big-endian 4-digit hex, ready for `<…> Tj`. */
  glyphHex: string;
  /** The text-showing operators: `<…> Tj`, or a `TJ` array (and `Ts`) when kerning or marks move glyphs. */
  show: string;
  /** Font ascent and descent at this size (descent is negative). */
  ascent: number;
  descent: number;
}

/** Metrics in thousandths of an em (PDF glyph space). */
export interface FontMetrics {
  ascent: number;
  descent: number;
  lineGap: number;
  capHeight: number;
  xHeight: number;
}

const fontCache = new Map<string, Font>();

/** Below this (1/1000 em) a position difference is rounding of /W, not kerning. */
const ADJUST_EPSILON = 0.01;

/** The parsed font at `path` (parsed once per process; bad or non-embeddable fonts refused). */
export function loadFont(path: string): Font {
  const cached = fontCache.get(path);
  if (cached) return cached;
  let font: Font;
  try {
    font = createFont(readFileSync(path));
  } catch (e) {
    throw new KysoError('INPUT_UNREADABLE', 'appearance.font.unreadable', {
      path,
      detail: e instanceof Error ? e.message : String(e),
    });
  }
  const tables = fontTables(font);
  if (!tables.directory?.tables?.glyf) {
    throw new KysoError('INPUT_UNREADABLE', 'appearance.font.unreadable', {
      path,
      detail: 'not a TrueType (glyf) font',
    });
  }
  const fsType = tables['OS/2']?.fsType;
  // fsType bit 1 (restricted) or 8 (no subsetting) or 9 (bitmap only): the licence forbids what we do.
  if (fsType?.noEmbedding || fsType?.noSubsetting || fsType?.bitmapOnly) {
    throw new KysoError('INPUT_MALFORMED', 'appearance.font.notEmbeddable', { font: font.postscriptName ?? path });
  }
  fontCache.set(path, font);
  return font;
}

/**
 * Text ready for layout: composed (NFC, so "Nguyễn" typed with combining marks uses the
 * precomposed glyphs), without invisible format characters (zero-width space, soft hyphen, BOM,
 * which Word and web forms leave in names), control characters as spaces.
 */
export function normaliseText(text: string): string {
  return text
    .normalize('NFC')
    .replace(/\p{Cf}/gu, '')
    .replace(/\p{Cc}/gu, ' ');
}

interface Used {
  glyph: Glyph;
  /** Width in glyph space (1/1000 em), as written to /W. */
  width: number;
  unicode: string;
}

export class FontSubsetter {
  readonly font: Font;
  readonly postscriptName: string;
  private readonly subset: Subset;
  /** Subset glyph id → what the PDF needs to know about it. */
  private readonly used = new Map<number, Used>();
  private readonly scale: number;
  private fontFile: Buffer | null = null;
  private tag = '';
  private readonly embedded = new WeakMap<IncrementalUpdate, PdfRef>();
  /** Original glyph id → subset glyph id (CID). */
  private readonly byOriginal = new Map<number, number>();

  constructor(readonly fontPath: string) {
    this.font = loadFont(fontPath);
    this.postscriptName = (this.font.postscriptName ?? basename(fontPath).replace(/\.[^.]+$/, '')).replace(
      /[^A-Za-z0-9-]/g,
      '',
    );
    this.subset = this.font.createSubset();
    this.scale = 1000 / this.font.unitsPerEm;
  }

  /** Liberation Serif (metric-compatible with Times New Roman) from resources/fonts. */
  static bundled(face: FontFace = 'regular'): FontSubsetter {
    return new FontSubsetter(bundledFontPath(face));
  }

  get metrics(): FontMetrics {
    const f = this.font;
    return {
      ascent: f.ascent * this.scale,
      descent: f.descent * this.scale,
      lineGap: f.lineGap * this.scale,
      capHeight: f.capHeight * this.scale,
      xHeight: f.xHeight * this.scale,
    };
  }

  /** Characters of `text` the font has no glyph for (each once, in order of appearance). */
  missingCharacters(text: string): string[] {
    const missing = new Set<string>();
    for (const ch of normaliseText(text)) {
      const cp = ch.codePointAt(0)!;
      if (!this.font.hasGlyphForCodePoint(cp)) missing.add(ch);
    }
    return [...missing];
  }

  /** Registers the glyphs of `text` in the subset; call for every text before finalize(). */
  use(text: string): void {
    this.shape(text);
  }

  /** True once finalize() has produced the font file: no new glyphs can join the subset. */
  get finalized(): boolean {
    return this.fontFile !== null;
  }

  /**
   * Lays out one line: glyph ids of the subset, advances with kerning, the show operators.
   * After finalize() only text whose glyphs are already in the subset can be laid out.
   */
  layout(text: string, size: number): TextRun {
    const { normalised, glyphs, positions } = this.shape(text);
    const f = size / 1000;
    let hex = '';
    // TJ array parts: hex strings and adjustments (thousandths of an em, positive moves left).
    const parts: Array<{ y: number; items: Array<string | number> }> = [];
    let penAdjust = 0;
    let width = 0;
    let plain = true;
    glyphs.forEach((g, i) => {
      const cid = this.byOriginal.get(g.id)!;
      const used = this.used.get(cid)!;
      const p = positions[i]!;
      const hexCid = cid.toString(16).padStart(4, '0');
      hex += hexCid;
      const xAdvance = p.xAdvance * this.scale;
      const xOffset = p.xOffset * this.scale;
      const yOffset = p.yOffset * this.scale;
      if (xOffset !== 0 || yOffset !== 0 || Math.abs(xAdvance - used.width) > ADJUST_EPSILON) plain = false;
      penAdjust += xOffset;
      let part = parts[parts.length - 1];
      if (!part || part.y !== yOffset) {
        part = { y: yOffset, items: [] };
        parts.push(part);
      }
      if (Math.abs(penAdjust) > ADJUST_EPSILON) part.items.push(-penAdjust);
      part.items.push(hexCid);
      penAdjust = xAdvance - used.width - xOffset;
      width += xAdvance;
    });
    let show: string;
    if (plain) show = `<${hex}> Tj`;
    else {
      const ops: string[] = [];
      let rise = 0;
      for (const part of parts) {
        if (part.y !== rise) {
          ops.push(`${num(part.y * f)} Ts`);
          rise = part.y;
        }
        // Adjacent hex strings merge; numbers become TJ adjustments.
        let arr = '';
        let open = false;
        for (const item of part.items) {
          if (typeof item === 'string') {
            arr += open ? item : `<${item}`;
            open = true;
          } else {
            if (open) arr += '>';
            open = false;
            arr += ` ${num(item, 3)} `;
          }
        }
        if (open) arr += '>';
        ops.push(`[${arr.trim()}] TJ`);
      }
      if (rise !== 0) ops.push('0 Ts');
      show = ops.join(' ');
    }
    const m = this.metrics;
    return {
      text: normalised,
      size,
      width: width * f,
      glyphHex: hex,
      show,
      ascent: m.ascent * f,
      descent: m.descent * f,
    };
  }

  /** Advance width of `text` at `size` in points (registers its glyphs like use()). */
  measure(text: string, size: number): number {
    return this.layout(text, size).width;
  }

  private shape(text: string): {
    normalised: string;
    glyphs: Glyph[];
    positions: Array<{ xAdvance: number; xOffset: number; yOffset: number }>;
  } {
    const normalised = normaliseText(text);
    const missing = this.missingCharacters(normalised);
    const run = this.font.layout(normalised);
    // A shaping step could still land on .notdef (glyph 0) even when the cmap covers each character.
    if (missing.length === 0 && run.glyphs.some((g) => g.id === 0)) {
      missing.push(...run.glyphs.filter((g) => g.id === 0).map((g) => String.fromCodePoint(...g.codePoints)));
    }
    if (missing.length > 0) {
      throw new KysoError('INPUT_MALFORMED', 'appearance.font.missingGlyph', {
        font: this.postscriptName,
        chars: missing
          .map((c) => `"${c}" (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`)
          .join(', '),
        text: normalised,
      });
    }
    for (const g of run.glyphs) this.register(g);
    return { normalised, glyphs: run.glyphs, positions: run.positions };
  }

  private register(g: Glyph): void {
    if (this.byOriginal.has(g.id)) return;
    if (this.fontFile) {
      throw new Error(
        `glyph ${g.id} (${String.fromCodePoint(...g.codePoints)}) is not in the finalized subset: pass all text to use() before finalize()`,
      );
    }
    const cid = this.subset.includeGlyph(g.id);
    this.byOriginal.set(g.id, cid);
    this.used.set(cid, {
      glyph: g,
      // Three decimals of 1/1000 em is far below a device pixel and keeps /W short.
      width: Math.round(g.advanceWidth * this.scale * 1000) / 1000,
      unicode: String.fromCodePoint(...g.codePoints),
    });
  }

  /** Encodes the subset font file. Layout of already-used text stays possible afterwards. */
  async finalize(): Promise<void> {
    if (this.fontFile) return;
    const ids = [...this.used.values()].map((u) => u.glyph.id);
    // A tag derived from the glyph set: two different subsets in one file never share a /BaseFont.
    const digest = createHash('sha256').update(this.postscriptName).update(ids.join(',')).digest();
    this.tag = [...digest.subarray(0, 6)].map((b) => String.fromCharCode(65 + (b % 26))).join('');
    this.fontFile = await encodeSubset(this.subset);
  }

  /** The subset name, e.g. "KQWMBD+LiberationSerif" (after finalize()). */
  get baseFont(): string {
    if (!this.tag) throw new Error('finalize() the subset first');
    return `${this.tag}+${this.postscriptName}`;
  }

  /** Subset glyph id → Unicode text, as written to /ToUnicode. */
  unicodeMap(): Map<number, string> {
    return new Map([...this.used].map(([cid, u]) => [cid, u.unicode]));
  }

  /** The /W array: [firstCid [w w w …]] over the used CIDs, in runs of consecutive ids. */
  widthsArray(): PdfObject[] {
    const cids = [...this.used.keys()].sort((a, b) => a - b);
    const out: PdfObject[] = [];
    let run: number[] = [];
    let start = -1;
    let prev = -2;
    for (const cid of cids) {
      if (cid !== prev + 1) {
        if (run.length) out.push(start, run);
        run = [];
        start = cid;
      }
      run.push(this.used.get(cid)!.width);
      prev = cid;
    }
    if (run.length) out.push(start, run);
    return out;
  }

  /**
   * Adds the Type0 font and its parts to `update` (once per update) and returns the Type0 ref,
   * for a /Resources /Font entry.
   */
  embed(update: IncrementalUpdate): PdfRef {
    const done = this.embedded.get(update);
    if (done) return done;
    if (!this.fontFile) throw new Error('finalize() the subset before embed()');
    const f = this.font;
    const tables = fontTables(f);
    const s = this.scale;
    const baseFont = PdfName.of(this.baseFont);

    const fileRef = update.allocate();
    update.set(
      fileRef,
      new PdfStream(new PdfDict().set('Filter', PdfName.of('FlateDecode')).set('Length1', this.fontFile.length), {
        kind: 'bytes',
        data: deflateSync(this.fontFile, { level: 9 }),
      }),
    );

    const weight = tables['OS/2']?.usWeightClass ?? 400;
    const descRef = update.allocate();
    update.set(
      descRef,
      new PdfDict()
        .set('Type', PdfName.of('FontDescriptor'))
        .set('FontName', baseFont)
        .set('Flags', fontFlags(f))
        .set(
          'FontBBox',
          [f.bbox.minX, f.bbox.minY, f.bbox.maxX, f.bbox.maxY].map((v) => Math.round(v * s)),
        )
        .set('ItalicAngle', f.italicAngle)
        .set('Ascent', Math.round(f.ascent * s))
        .set('Descent', Math.round(f.descent * s))
        .set('CapHeight', Math.round(f.capHeight * s))
        .set('XHeight', Math.round(f.xHeight * s))
        .set('FontWeight', weight)
        // TrueType has no stem width; this is the usual estimate from the weight class.
        .set('StemV', Math.round(50 + (weight / 65) ** 2))
        .set('FontFile2', fileRef),
    );

    const cidRef = update.allocate();
    update.set(
      cidRef,
      new PdfDict()
        .set('Type', PdfName.of('Font'))
        .set('Subtype', PdfName.of('CIDFontType2'))
        .set('BaseFont', baseFont)
        .set(
          'CIDSystemInfo',
          new PdfDict()
            .set('Registry', PdfString.fromText('Adobe'))
            .set('Ordering', PdfString.fromText('Identity'))
            .set('Supplement', 0),
        )
        .set('FontDescriptor', descRef)
        .set('DW', 0)
        .set('W', this.widthsArray())
        .set('CIDToGIDMap', PdfName.of('Identity')),
    );

    const toUniRef = update.allocate();
    update.set(
      toUniRef,
      new PdfStream(new PdfDict().set('Filter', PdfName.of('FlateDecode')), {
        kind: 'bytes',
        data: deflateSync(Buffer.from(toUnicodeCMap(this.unicodeMap()), 'latin1')),
      }),
    );

    const fontRef = update.allocate();
    update.set(
      fontRef,
      new PdfDict()
        .set('Type', PdfName.of('Font'))
        .set('Subtype', PdfName.of('Type0'))
        .set('BaseFont', baseFont)
        .set('Encoding', PdfName.of('Identity-H'))
        .set('DescendantFonts', [cidRef])
        .set('ToUnicode', toUniRef),
    );
    this.embedded.set(update, fontRef);
    return fontRef;
  }
}

/** FontDescriptor /Flags (ISO 32000-1 §9.8.2): a CID font's glyphs are outside the standard Latin set. */
function fontFlags(font: Font): number {
  const t = fontTables(font);
  const fixedPitch = Boolean(t.post?.isFixedPitch);
  const familyClass = (t['OS/2']?.sFamilyClass ?? 0) >> 8;
  const serifStyle = t['OS/2']?.panose?.[1] ?? 0;
  // OS/2 family classes 1–7 are serif designs; panose serif styles 2–10 likewise (11–13 are sans).
  const serif = (familyClass >= 1 && familyClass <= 7) || (serifStyle >= 2 && serifStyle <= 10);
  const script = familyClass === 10;
  const italic = font.italicAngle !== 0 || Boolean(t.head?.macStyle?.italic);
  return (fixedPitch ? 1 : 0) | (serif ? 2 : 0) | 4 | (script ? 8 : 0) | (italic ? 64 : 0);
}
