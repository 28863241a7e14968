/**
 * A strict PNG decoder (ISO/IEC 15948) for signature and seal images: every colour type, bit
 * depths 1–16, tRNS transparency, pHYs resolution; chunk CRCs checked. Output is 8-bit gray or RGB
 * plus an optional 8-bit alpha plane, which is what an Image XObject with /SMask wants.
 * Interlaced (Adam7) files are refused rather than decoded: signature tools rarely write them and
 * the user can re-save the image.
 */
import { crc32, inflateSync } from 'node:zlib';
import { KysoError } from '../../src-shared/errors.js';

export interface DecodedPng {
  width: number;
  height: number;
  /** 1 = gray, 3 = RGB (palette images are expanded to RGB). */
  channels: 1 | 3;
  /** 8-bit samples, row-major, `channels` per pixel. */
  pixels: Buffer;
  /** 8-bit alpha per pixel, when the file has an alpha channel or a tRNS chunk. */
  alpha: Buffer | null;
  /** Resolution from pHYs, when given in pixels per metre. */
  dpi: { x: number; y: number } | null;
  /** As stored in the file. */
  source: { colourType: number; bitDepth: number };
}

export interface PngLimits {
  maxWidth: number;
  maxHeight: number;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const ALLOWED_DEPTHS: Record<number, number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};
const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function corrupt(detail: string): KysoError {
  return new KysoError('INPUT_MALFORMED', 'appearance.image.corrupt', { detail });
}

export function isPng(buf: Buffer): boolean {
  return buf.length >= 8 && buf.subarray(0, 8).equals(SIGNATURE);
}

export function decodePng(buf: Buffer, limits: PngLimits = { maxWidth: 20000, maxHeight: 20000 }): DecodedPng {
  if (!isPng(buf)) throw new KysoError('INPUT_MALFORMED', 'appearance.image.notPng');
  let pos = 8;
  let ihdr: { width: number; height: number; bitDepth: number; colourType: number } | null = null;
  let palette: Buffer | null = null;
  let trns: Buffer | null = null;
  let dpi: DecodedPng['dpi'] = null;
  const idat: Buffer[] = [];
  let ended = false;
  while (!ended) {
    if (pos + 12 > buf.length) throw corrupt('the file ends before the IEND chunk');
    const length = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    if (length > 0x7fffffff || pos + 12 + length > buf.length) throw corrupt(`chunk ${type} runs past the end`);
    const data = buf.subarray(pos + 8, pos + 8 + length);
    const crc = buf.readUInt32BE(pos + 8 + length);
    if (crc32(buf.subarray(pos + 4, pos + 8 + length)) !== crc) throw corrupt(`bad CRC in chunk ${type}`);
    pos += 12 + length;
    if (!ihdr && type !== 'IHDR') throw corrupt('the first chunk is not IHDR');
    switch (type) {
      case 'IHDR': {
        if (ihdr) throw corrupt('two IHDR chunks');
        if (length !== 13) throw corrupt('bad IHDR length');
        const width = data.readUInt32BE(0);
        const height = data.readUInt32BE(4);
        const bitDepth = data[8]!;
        const colourType = data[9]!;
        if (width === 0 || height === 0) throw corrupt('zero width or height');
        if (!ALLOWED_DEPTHS[colourType]?.includes(bitDepth)) {
          throw new KysoError('INPUT_MALFORMED', 'appearance.image.unsupported', {
            detail: `colour type ${colourType} with bit depth ${bitDepth}`,
          });
        }
        if (data[10] !== 0 || data[11] !== 0) throw corrupt('unknown compression or filter method');
        if (data[12] === 1) throw new KysoError('INPUT_MALFORMED', 'appearance.image.interlaced');
        if (data[12] !== 0) throw corrupt('unknown interlace method');
        // Checked before inflating anything: a tiny file can declare a huge image.
        if (width > limits.maxWidth || height > limits.maxHeight) {
          throw new KysoError('INPUT_MALFORMED', 'appearance.image.tooManyPixels', {
            width,
            height,
            maxWidth: limits.maxWidth,
            maxHeight: limits.maxHeight,
          });
        }
        ihdr = { width, height, bitDepth, colourType };
        break;
      }
      case 'PLTE':
        if (length % 3 !== 0 || length === 0 || length > 768) throw corrupt('bad palette');
        palette = Buffer.from(data);
        break;
      case 'tRNS':
        trns = Buffer.from(data);
        break;
      case 'pHYs':
        if (length === 9 && data[8] === 1) {
          const perMetre = (v: number): number => Math.round(v * 0.0254 * 100) / 100;
          dpi = { x: perMetre(data.readUInt32BE(0)), y: perMetre(data.readUInt32BE(4)) };
        }
        break;
      case 'IDAT':
        idat.push(data);
        break;
      case 'IEND':
        ended = true;
        break;
      default:
        // Ancillary chunks (lower-case first letter) may be skipped; unknown critical ones may not.
        if ((type.charCodeAt(0) & 0x20) === 0) throw corrupt(`unknown critical chunk ${type}`);
    }
  }
  if (!ihdr) throw corrupt('no IHDR');
  const { width, height, bitDepth, colourType } = ihdr;
  if (colourType === 3 && !palette) throw corrupt('palette image without PLTE');
  if (idat.length === 0) throw corrupt('no image data');

  const samples = SAMPLES[colourType]!;
  const bitsPerPixel = samples * bitDepth;
  const rowBytes = Math.ceil((width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const expected = (rowBytes + 1) * height;
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat), { maxOutputLength: expected });
  } catch (e) {
    throw corrupt(`image data does not decompress: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (raw.length !== expected) throw corrupt(`image data has ${raw.length} bytes, expected ${expected}`);
  const rows = unfilter(raw, rowBytes, height, bpp);

  const n = width * height;
  const channels: 1 | 3 = colourType === 2 || colourType === 3 || colourType === 6 ? 3 : 1;
  const pixels = Buffer.alloc(n * channels);
  const hasAlpha = colourType === 4 || colourType === 6 || trns !== null;
  const alpha = hasAlpha ? Buffer.alloc(n, 255) : null;
  const maxSample = (1 << bitDepth) - 1;

  for (let y = 0; y < height; y++) {
    const row = rows.subarray(y * rowBytes, (y + 1) * rowBytes);
    // Reads sample s of pixel x at the file's depth.
    const sample = (x: number, s: number): number => {
      if (bitDepth === 8) return row[x * samples + s]!;
      if (bitDepth === 16) return row.readUInt16BE((x * samples + s) * 2);
      const bit = (x * samples + s) * bitDepth;
      return (row[bit >> 3]! >> (8 - bitDepth - (bit & 7))) & maxSample;
    };
    const to8 = (v: number): number =>
      bitDepth === 16 ? v >> 8 : bitDepth === 8 ? v : Math.round((v * 255) / maxSample);
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      switch (colourType) {
        case 0: {
          const g = sample(x, 0);
          pixels[i] = to8(g);
          if (alpha && trns && trns.length >= 2 && g === trns.readUInt16BE(0)) alpha[i] = 0;
          break;
        }
        case 2: {
          const r = sample(x, 0);
          const g = sample(x, 1);
          const b = sample(x, 2);
          pixels[i * 3] = to8(r);
          pixels[i * 3 + 1] = to8(g);
          pixels[i * 3 + 2] = to8(b);
          if (
            alpha &&
            trns &&
            trns.length >= 6 &&
            r === trns.readUInt16BE(0) &&
            g === trns.readUInt16BE(2) &&
            b === trns.readUInt16BE(4)
          )
            alpha[i] = 0;
          break;
        }
        case 3: {
          const idx = sample(x, 0);
          if (idx * 3 + 2 >= palette!.length) throw corrupt(`palette index ${idx} out of range`);
          pixels[i * 3] = palette![idx * 3]!;
          pixels[i * 3 + 1] = palette![idx * 3 + 1]!;
          pixels[i * 3 + 2] = palette![idx * 3 + 2]!;
          if (alpha && trns && idx < trns.length) alpha[i] = trns[idx]!;
          break;
        }
        case 4:
          pixels[i] = to8(sample(x, 0));
          alpha![i] = to8(sample(x, 1));
          break;
        case 6:
          pixels[i * 3] = to8(sample(x, 0));
          pixels[i * 3 + 1] = to8(sample(x, 1));
          pixels[i * 3 + 2] = to8(sample(x, 2));
          alpha![i] = to8(sample(x, 3));
          break;
      }
    }
  }
  return { width, height, channels, pixels, alpha, dpi, source: { colourType, bitDepth } };
}

/** Reverses the per-row filters (ISO/IEC 15948 §9); returns the rows without their filter bytes. */
function unfilter(raw: Buffer, rowBytes: number, height: number, bpp: number): Buffer {
  const out = Buffer.alloc(rowBytes * height);
  for (let y = 0; y < height; y++) {
    const type = raw[y * (rowBytes + 1)]!;
    const src = y * (rowBytes + 1) + 1;
    const dst = y * rowBytes;
    const up = dst - rowBytes;
    for (let i = 0; i < rowBytes; i++) {
      const x = raw[src + i]!;
      const a = i >= bpp ? out[dst + i - bpp]! : 0;
      const b = y > 0 ? out[up + i]! : 0;
      let v: number;
      switch (type) {
        case 0:
          v = x;
          break;
        case 1:
          v = x + a;
          break;
        case 2:
          v = x + b;
          break;
        case 3:
          v = x + ((a + b) >> 1);
          break;
        case 4: {
          const c = i >= bpp && y > 0 ? out[up + i - bpp]! : 0;
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
          break;
        }
        default:
          throw corrupt(`bad filter type ${type} in row ${y}`);
      }
      out[dst + i] = v & 0xff;
    }
  }
  return out;
}

/** [r, g, b, a] of one pixel, whatever the layout (tests and colour checks). */
export function pixelAt(png: DecodedPng, x: number, y: number): [number, number, number, number] {
  const i = y * png.width + x;
  const a = png.alpha ? png.alpha[i]! : 255;
  if (png.channels === 1) {
    const g = png.pixels[i]!;
    return [g, g, g, a];
  }
  return [png.pixels[i * 3]!, png.pixels[i * 3 + 1]!, png.pixels[i * 3 + 2]!, a];
}
