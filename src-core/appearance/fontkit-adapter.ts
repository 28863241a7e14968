/**
 * The one place that touches @pdf-lib/fontkit's module shape. Its package is a UMD bundle for Node
 * (so `create` arrives on the default export) and an ES module for bundlers (named exports); its
 * typings also leave out the tables we read (OS/2 weight and panose, fsType as decoded by fontkit).
 */
import * as fontkitModule from '@pdf-lib/fontkit';
import type { Font, Glyph, GlyphRun, Subset } from '@pdf-lib/fontkit';

export type { Font, Glyph, GlyphRun, Subset };

interface FontkitApi {
  create(data: Uint8Array): Font;
}

/** The parts of fontkit's decoded tables that the font descriptor needs. */
export interface FontTables {
  'OS/2'?: {
    usWeightClass?: number;
    sFamilyClass?: number;
    panose?: number[];
    fsType?: { noEmbedding?: boolean; viewOnly?: boolean; noSubsetting?: boolean; bitmapOnly?: boolean };
  };
  post?: { isFixedPitch?: boolean | number };
  head?: { macStyle?: { italic?: boolean; bold?: boolean } };
  /** The table directory: a CFF-flavoured font has no glyf table and cannot become a FontFile2. */
  directory?: { tables?: Record<string, unknown> };
}

const mod = fontkitModule as unknown as Partial<FontkitApi> & { default?: Partial<FontkitApi> };
const api: FontkitApi | undefined =
  typeof mod.create === 'function'
    ? (mod as FontkitApi)
    : typeof mod.default?.create === 'function'
      ? (mod.default as FontkitApi)
      : undefined;

export function createFont(data: Uint8Array): Font {
  if (!api) throw new Error('@pdf-lib/fontkit did not load (no create function)');
  return api.create(data);
}

export function fontTables(font: Font): FontTables {
  return font as unknown as FontTables;
}

/** fontkit encodes subsets on a timer-driven stream; this collects the bytes. */
export function encodeSubset(subset: Subset): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Uint8Array[] = [];
    subset
      .encodeStream()
      .on('data', (chunk) => void chunks.push(chunk))
      .on('end', () => resolve(Buffer.concat(chunks)));
  });
}
