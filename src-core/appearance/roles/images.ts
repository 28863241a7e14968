/**
 * Signature and seal images for the roles: decoded and validated by loadPng (typed errors for a
 * file that is not a PNG, damaged, too large, or without a transparent background), then checked
 * against what Decree 30 asks for — a blue handwritten signature, a red seal at its real size —
 * with warnings, not errors, when the ink colour or the size looks wrong.
 */
import { dominantInkColour, imageSizeInPoints, loadPng, type DecodedPng } from '../image-xobject.js';
import type { RoleWarning } from './types.js';

export const MM = 72 / 25.4;
/** A common round seal of a ministry-level body is 35–40 mm; 36 mm when nothing says otherwise. */
export const DEFAULT_SEAL_MM = 36;
/** Seal sizes outside this range (from the PNG's resolution) are not believed. */
const SEAL_MM_RANGE = [15, 80] as const;

export interface LoadedImage {
  png: DecodedPng;
  /** width / height */
  aspect: number;
}

function inkWarning(png: DecodedPng, want: 'blue' | 'red', what: 'signature' | 'seal', warnings: RoleWarning[]): void {
  const ink = dominantInkColour(png);
  if (ink.dominant === want) return;
  warnings.push({
    code: 'image-colour',
    key: what === 'signature' ? 'roles.warn.signatureNotBlue' : 'roles.warn.sealNotRed',
    params: { colour: ink.dominant, percent: Math.round(ink.shares[want] * 100) },
  });
}

/** The handwritten signature: transparent PNG, blue ink expected. */
export function loadSignatureImage(buf: Buffer, warnings: RoleWarning[]): LoadedImage {
  const png = loadPng(buf, { requireTransparency: true });
  inkWarning(png, 'blue', 'signature', warnings);
  if (png.width < 80 || png.height < 24) {
    warnings.push({
      code: 'image-small',
      key: 'roles.warn.imageSmall',
      params: { width: png.width, height: png.height },
    });
  }
  return { png, aspect: png.width / png.height };
}

export interface LoadedSeal extends LoadedImage {
  /** Size on the page in points (real size). */
  width: number;
  height: number;
  sizeFrom: 'option' | 'png' | 'default';
}

/**
 * The seal at its real size: --seal-size (mm, the seal's width) when given, else the PNG's own
 * resolution (pHYs) when it gives a believable size, else 36 mm.
 */
export function loadSealImage(buf: Buffer, sizeMm: number | undefined, warnings: RoleWarning[]): LoadedSeal {
  const png = loadPng(buf, { requireTransparency: true });
  inkWarning(png, 'red', 'seal', warnings);
  const aspect = png.width / png.height;
  let width: number;
  let sizeFrom: LoadedSeal['sizeFrom'];
  if (sizeMm !== undefined) {
    width = sizeMm * MM;
    sizeFrom = 'option';
  } else if (png.dpi) {
    const real = imageSizeInPoints(png).width;
    const mm = real / MM;
    if (mm >= SEAL_MM_RANGE[0] && mm <= SEAL_MM_RANGE[1]) {
      width = real;
      sizeFrom = 'png';
    } else {
      warnings.push({
        code: 'seal-size',
        key: 'roles.warn.sealSizeUnbelievable',
        params: { mm: Math.round(mm * 10) / 10, dpi: Math.round(png.dpi.x), defaultMm: DEFAULT_SEAL_MM },
      });
      width = DEFAULT_SEAL_MM * MM;
      sizeFrom = 'default';
    }
  } else {
    width = DEFAULT_SEAL_MM * MM;
    sizeFrom = 'default';
  }
  if (png.width < 200) {
    warnings.push({
      code: 'image-small',
      key: 'roles.warn.imageSmall',
      params: { width: png.width, height: png.height },
    });
  }
  return { png, aspect, width, height: width / aspect, sizeFrom };
}
