// Helpers for the appearance tests: a small PNG encoder (independent of the decoder under test:
// its own CRC-32 table, every filter type, every colour type), a one-annotation revision writer
// (a /Stamp whose appearance is what the test built), and rendering through poppler and MuPDF.
import { mkdir, readFile, writeFile, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { decodePng, type DecodedPng } from '../../src-core/appearance/png-decoder.js';
import { IncrementalUpdate } from '../../src-core/pdf/incremental-writer.js';
import { PdfDict, PdfName, PdfStream, PdfString, isArray, type PdfObject } from '../../src-core/pdf/objects.js';
import { PdfReader } from '../../src-core/pdf/reader.js';
import { appearanceMatrix, visibleRectToUser, visibleSize, type Rect } from '../../src-core/sign/placement.js';
import { runOk } from './run.js';

export const RESULTS_DIR = 'test-results/appearance';

// ---------------------------------------------------------------- PNG encoding

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

export interface PngSpec {
  width: number;
  height: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA. */
  colourType: 0 | 2 | 3 | 4 | 6;
  bitDepth: 1 | 2 | 4 | 8 | 16;
  /** Samples per pixel in file order, at the file's depth (palette: the index). */
  sample(x: number, y: number): number[];
  palette?: Array<[number, number, number]>;
  trns?: Buffer;
  interlace?: boolean;
  /** Pixels per metre for pHYs. */
  ppm?: number;
  /** Filter type per row; default cycles through 0–4 so the decoder sees each. */
  filter?: (y: number) => number;
}

const SAMPLES = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;

export function encodePng(spec: PngSpec): Buffer {
  const { width, height, colourType, bitDepth } = spec;
  const samples = SAMPLES[colourType];
  const bitsPerPixel = samples * bitDepth;
  const rowBytes = Math.ceil((width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const raw = Buffer.alloc((rowBytes + 1) * height);
  let prev = Buffer.alloc(rowBytes);
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(rowBytes);
    for (let x = 0; x < width; x++) {
      const s = spec.sample(x, y);
      s.forEach((v, k) => {
        const idx = x * samples + k;
        if (bitDepth === 16) row.writeUInt16BE(v, idx * 2);
        else if (bitDepth === 8) row[idx] = v;
        else {
          const bit = idx * bitDepth;
          row[bit >> 3] = row[bit >> 3]! | (v << (8 - bitDepth - (bit & 7)));
        }
      });
    }
    const type = spec.filter ? spec.filter(y) : y % 5;
    const out = raw.subarray(y * (rowBytes + 1), (y + 1) * (rowBytes + 1));
    out[0] = type;
    for (let i = 0; i < rowBytes; i++) {
      const a = i >= bpp ? row[i - bpp]! : 0;
      const b = prev[i]!;
      const c = i >= bpp ? prev[i - bpp]! : 0;
      let pred = 0;
      if (type === 1) pred = a;
      else if (type === 2) pred = b;
      else if (type === 3) pred = (a + b) >> 1;
      else if (type === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[i + 1] = (row[i]! - pred) & 0xff;
    }
    prev = row;
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colourType;
  ihdr[12] = spec.interlace ? 1 : 0;
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  if (spec.ppm) {
    const phys = Buffer.alloc(9);
    phys.writeUInt32BE(spec.ppm, 0);
    phys.writeUInt32BE(spec.ppm, 4);
    phys[8] = 1;
    parts.push(chunk('pHYs', phys));
  }
  if (spec.palette) parts.push(chunk('PLTE', Buffer.from(spec.palette.flat())));
  if (spec.trns) parts.push(chunk('tRNS', spec.trns));
  // Split the data over two IDAT chunks: decoders must concatenate them.
  const z = deflateSync(raw);
  const half = Math.floor(z.length / 2);
  parts.push(chunk('IDAT', z.subarray(0, half)), chunk('IDAT', z.subarray(half)), chunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/** 8-bit RGBA from a pixel function. */
export function rgbaPng(
  width: number,
  height: number,
  pixel: (x: number, y: number) => [number, number, number, number],
  ppm?: number,
): Buffer {
  return encodePng({ width, height, colourType: 6, bitDepth: 8, sample: pixel, ...(ppm ? { ppm } : {}) });
}

export const BLUE_INK: [number, number, number] = [20, 50, 170];

/**
 * A signature-like image: transparent, with blue ink only in a band (rows bandTop..bandBottom of
 * 100, columns 20–279 of 300), soft-edged. Everything above the band is fully transparent.
 */
export function signaturePng(bandTop = 75, bandBottom = 90): Buffer {
  return rgbaPng(300, 100, (x, y) => {
    const inX = x >= 20 && x < 280;
    const inY = y >= bandTop && y < bandBottom;
    const edge = inX && (y === bandTop - 1 || y === bandBottom);
    return [...BLUE_INK, inX && inY ? 255 : edge ? 96 : 0];
  });
}

// ---------------------------------------------------------------- one-stamp revisions

export interface StampSpec {
  pageIndex: number;
  /** Visible-page rectangle (origin lower-left of the visible page). */
  rect: Rect;
  /** Appearance content, drawn in visible orientation with BBox [0 0 w h]. */
  content: Buffer | string;
  resources: PdfDict;
}

/**
 * Appends one revision holding a /Stamp annotation with the given appearance, the way the signer
 * adds a widget (rect mapped to user space, /Matrix for rotated pages), and writes original +
 * update to `output`.
 */
export async function writeStampRevision(
  input: string,
  output: string,
  build: (reader: PdfReader, update: IncrementalUpdate) => StampSpec,
): Promise<void> {
  const reader = PdfReader.open(input);
  try {
    const update = new IncrementalUpdate(reader);
    const spec = build(reader, update);
    const page = reader.pages()[spec.pageIndex]!;
    const w = spec.rect[2] - spec.rect[0];
    const h = spec.rect[3] - spec.rect[1];
    const form = new PdfDict()
      .set('Type', PdfName.of('XObject'))
      .set('Subtype', PdfName.of('Form'))
      .set('BBox', [0, 0, w, h])
      .set('Resources', spec.resources);
    if (page.rotate !== 0) form.set('Matrix', appearanceMatrix(page.rotate, w, h));
    const formRef = update.allocate();
    update.set(formRef, new PdfStream(form, { kind: 'bytes', data: Buffer.from(spec.content) }));
    const annotRef = update.allocate();
    update.set(
      annotRef,
      new PdfDict()
        .set('Type', PdfName.of('Annot'))
        .set('Subtype', PdfName.of('Stamp'))
        .set('Rect', [...visibleRectToUser(page, spec.rect)])
        .set('F', 4)
        .set('P', page.ref)
        .set('Contents', PdfString.fromText('kyso appearance test'))
        .set('AP', new PdfDict().set('N', formRef)),
    );
    const pageDict = page.dict.clone();
    const old = reader.resolveValue(pageDict.get('Annots'));
    pageDict.set('Annots', [...(isArray(old) ? (old as PdfObject[]) : []), annotRef]);
    update.set(page.ref, pageDict);
    const built = update.build();
    await writeFile(output, Buffer.concat([await readFile(input), built.bytes]));
  } finally {
    reader.close();
  }
}

// ---------------------------------------------------------------- rendering

export interface Rendered {
  png: DecodedPng;
  /** Pixels per point. */
  scale: number;
  path: string;
}

/** Renders page 1-based `page` with poppler (pdftoppm) or MuPDF (mutool draw) at `dpi`. */
export async function renderPage(
  pdf: string,
  outBase: string,
  opts: { page?: number; dpi?: number; engine?: 'poppler' | 'mupdf' } = {},
): Promise<Rendered> {
  const page = opts.page ?? 1;
  const dpi = opts.dpi ?? 72;
  const path = `${outBase}.png`;
  if (opts.engine === 'mupdf') {
    await runOk('mutool', ['draw', '-q', '-r', String(dpi), '-c', 'rgb', '-o', path, pdf, String(page)]);
  } else {
    await runOk('pdftoppm', [
      '-png',
      '-r',
      String(dpi),
      '-f',
      String(page),
      '-l',
      String(page),
      '-singlefile',
      pdf,
      outBase,
    ]);
  }
  return { png: decodePng(await readFile(path)), scale: dpi / 72, path };
}

/** Pixel (column, row) of a visible-coordinate point. */
export function toPixel(r: Rendered, x: number, y: number): [number, number] {
  return [Math.floor(x * r.scale), Math.floor(r.png.height - y * r.scale)];
}

/** Iterates the pixels whose centres lie inside a visible rect. */
export function* pixelsIn(r: Rendered, rect: Rect): Generator<[number, number]> {
  const [x0, y1] = toPixel(r, rect[0], rect[1]);
  const [x1, y0] = toPixel(r, rect[2], rect[3]);
  for (let py = Math.max(0, y0); py <= Math.min(r.png.height - 1, y1); py++) {
    for (let px = Math.max(0, x0); px <= Math.min(r.png.width - 1, x1); px++) yield [px, py];
  }
}

export function rgbAt(r: Rendered, px: number, py: number): [number, number, number] {
  const { png } = r;
  const i = py * png.width + px;
  if (png.channels === 1) return [png.pixels[i]!, png.pixels[i]!, png.pixels[i]!];
  return [png.pixels[i * 3]!, png.pixels[i * 3 + 1]!, png.pixels[i * 3 + 2]!];
}

export const isDark = ([r, g, b]: [number, number, number]): boolean => r + g + b < 3 * 100;
export const isBlue = ([r, g, b]: [number, number, number]): boolean => b > 120 && b > r + 60 && b > g + 40;

export function countIn(r: Rendered, rect: Rect, pred: (rgb: [number, number, number]) => boolean): number {
  let n = 0;
  for (const [px, py] of pixelsIn(r, rect)) if (pred(rgbAt(r, px, py))) n++;
  return n;
}

/** Visible page size in points of page index `i`. */
export function visiblePageSize(pdf: string, i = 0): [number, number] {
  const reader = PdfReader.open(pdf);
  try {
    return visibleSize(reader.pages()[i]!);
  } finally {
    reader.close();
  }
}

/** Keeps a copy of a rendered page or output PDF for human review (test-results/ is gitignored). */
export async function keepForReview(path: string, name: string): Promise<void> {
  await mkdir(RESULTS_DIR, { recursive: true });
  await copyFile(path, join(RESULTS_DIR, name));
}
