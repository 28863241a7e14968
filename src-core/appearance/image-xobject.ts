/**
 * Signature and seal images → Image XObjects (ISO 32000-1 §8.9.5) with a soft mask (§11.6.5.3)
 * for their transparency, so the page shows through around the ink. Loading validates the file
 * and, for signature and seal images, that the background really is transparent.
 */
import { deflateSync } from 'node:zlib';
import { KysoError } from '../../src-shared/errors.js';
import type { IncrementalUpdate } from '../pdf/incremental-writer.js';
import { PdfDict, PdfName, PdfStream, type PdfRef } from '../pdf/objects.js';
import { decodePng, type DecodedPng } from './png-decoder.js';

export type { DecodedPng } from './png-decoder.js';
export { isPng, pixelAt } from './png-decoder.js';
export { classifyInk, dominantInkColour, type InkClass, type InkReport } from './ink-colour.js';

export const IMAGE_LIMITS = {
  maxWidth: 4000,
  maxHeight: 4000,
  maxBytes: 20 * 1024 * 1024,
} as const;

export interface LoadPngOptions {
  /** Signature and seal images: refuse a file without an alpha channel or without transparent area. */
  requireTransparency?: boolean;
  /** Share of pixels that must be (mostly) transparent when transparency is required; default 0.1. */
  minTransparentShare?: number;
}

/** Decodes and validates a PNG (size limits first, then structure, then transparency if asked). */
export function loadPng(buffer: Buffer, opts: LoadPngOptions = {}): DecodedPng {
  if (buffer.length > IMAGE_LIMITS.maxBytes) {
    throw new KysoError('INPUT_MALFORMED', 'appearance.image.fileTooLarge', {
      bytes: buffer.length,
      maxBytes: IMAGE_LIMITS.maxBytes,
    });
  }
  const png = decodePng(buffer, IMAGE_LIMITS);
  if (opts.requireTransparency) assertTransparentBackground(png, opts.minTransparentShare);
  return png;
}

/** Share of pixels with alpha below one half (0 without an alpha channel). */
export function transparentShare(png: DecodedPng): number {
  if (!png.alpha) return 0;
  let clear = 0;
  for (const a of png.alpha) if (a < 128) clear++;
  return clear / png.alpha.length;
}

/**
 * A signature or seal pasted with a white box around it hides the text and lines under it; the
 * Decree asks for transparent-background PNGs.
 */
export function assertTransparentBackground(png: DecodedPng, minShare = 0.1): void {
  if (!png.alpha) throw new KysoError('INPUT_MALFORMED', 'appearance.image.noAlpha');
  const share = transparentShare(png);
  if (share < minShare) {
    throw new KysoError('INPUT_MALFORMED', 'appearance.image.noTransparency', {
      percent: Math.round(share * 1000) / 10,
    });
  }
}

export interface EmbeddedImage {
  ref: PdfRef;
  /** Pixel size. */
  width: number;
  height: number;
}

/** Adds the image (and its /SMask when any pixel is not fully opaque) to the update. */
export function embedImage(update: IncrementalUpdate, png: DecodedPng): EmbeddedImage {
  const dict = new PdfDict()
    .set('Type', PdfName.of('XObject'))
    .set('Subtype', PdfName.of('Image'))
    .set('Width', png.width)
    .set('Height', png.height)
    .set('ColorSpace', PdfName.of(png.channels === 3 ? 'DeviceRGB' : 'DeviceGray'))
    .set('BitsPerComponent', 8)
    .set('Filter', PdfName.of('FlateDecode'));
  if (png.alpha && png.alpha.some((a) => a !== 255)) {
    const maskRef = update.allocate();
    update.set(
      maskRef,
      new PdfStream(
        new PdfDict()
          .set('Type', PdfName.of('XObject'))
          .set('Subtype', PdfName.of('Image'))
          .set('Width', png.width)
          .set('Height', png.height)
          .set('ColorSpace', PdfName.of('DeviceGray'))
          .set('BitsPerComponent', 8)
          .set('Filter', PdfName.of('FlateDecode')),
        { kind: 'bytes', data: deflateSync(png.alpha, { level: 9 }) },
      ),
    );
    dict.set('SMask', maskRef);
  }
  const ref = update.allocate();
  update.set(ref, new PdfStream(dict, { kind: 'bytes', data: deflateSync(png.pixels, { level: 9 }) }));
  return { ref, width: png.width, height: png.height };
}

/**
 * Size in points at the image's own resolution (pHYs), else at fallbackDpi: a seal scanned at
 * 300 dpi then appears at its real size, as the Decree asks.
 */
export function imageSizeInPoints(png: DecodedPng, fallbackDpi = 300): { width: number; height: number } {
  const dx = png.dpi && png.dpi.x > 0 ? png.dpi.x : fallbackDpi;
  const dy = png.dpi && png.dpi.y > 0 ? png.dpi.y : fallbackDpi;
  return { width: (png.width / dx) * 72, height: (png.height / dy) * 72 };
}

/** The largest box with the image's aspect ratio inside `box`, centred ("contain"). */
export function fitImage(
  size: { width: number; height: number },
  box: { x: number; y: number; width: number; height: number },
): { x: number; y: number; width: number; height: number } {
  const scale = Math.min(box.width / size.width, box.height / size.height);
  const width = size.width * scale;
  const height = size.height * scale;
  return { x: box.x + (box.width - width) / 2, y: box.y + (box.height - height) / 2, width, height };
}
