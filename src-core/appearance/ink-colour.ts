/**
 * What colour is the ink of a signature or seal image? Decree 30 wants the competent signer's
 * handwritten signature in blue and the organisation's seal in red; the tool that loads the image
 * reports the classification and the caller decides whether to warn.
 */
import type { DecodedPng } from './png-decoder.js';

export type InkClass = 'blue' | 'red' | 'black' | 'other';

export interface InkReport {
  /** The class holding at least `threshold` of the ink, 'other' if none does, 'none' if there is no ink. */
  dominant: InkClass | 'none';
  /** Share of the ink (alpha-weighted) in each class; sums to 1 when there is ink. */
  shares: Record<InkClass, number>;
  /** Alpha-weighted count of ink pixels. */
  inkPixels: number;
}

/** Hue 0–360, saturation and value 0–1. */
function hsv(r: number, g: number, b: number): [number, number, number] {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const d = max - min;
  let h = 0;
  if (d > 0) {
    if (max === r) h = ((g - b) / d) % 6;
    else if (max === g) h = (b - r) / d + 2;
    else h = (r - g) / d + 4;
    h *= 60;
    if (h < 0) h += 360;
  }
  return [h, max === 0 ? 0 : d / max, max / 255];
}

/** One pixel's class, or null for paper (near-white, low saturation). */
export function classifyInk(r: number, g: number, b: number): InkClass | null {
  const [h, s, v] = hsv(r, g, b);
  if (v < 0.2) return 'black';
  if (s < 0.25) {
    if (v < 0.65) return 'black';
    // Light gray and white are paper (or a scanner's background), not ink.
    return v > 0.8 ? null : 'other';
  }
  if (h >= 180 && h <= 265) return 'blue';
  if (h >= 330 || h <= 20) return 'red';
  return 'other';
}

export function dominantInkColour(png: DecodedPng, opts: { threshold?: number } = {}): InkReport {
  const threshold = opts.threshold ?? 0.6;
  const totals: Record<InkClass, number> = { blue: 0, red: 0, black: 0, other: 0 };
  const n = png.width * png.height;
  for (let i = 0; i < n; i++) {
    // Partly transparent edge pixels count by their opacity; fully transparent ones not at all.
    const weight = png.alpha ? png.alpha[i]! / 255 : 1;
    if (weight < 0.12) continue;
    let r: number, g: number, b: number;
    if (png.channels === 1) r = g = b = png.pixels[i]!;
    else {
      r = png.pixels[i * 3]!;
      g = png.pixels[i * 3 + 1]!;
      b = png.pixels[i * 3 + 2]!;
    }
    const c = classifyInk(r, g, b);
    if (c) totals[c] += weight;
  }
  const ink = totals.blue + totals.red + totals.black + totals.other;
  const shares: Record<InkClass, number> = { blue: 0, red: 0, black: 0, other: 0 };
  if (ink === 0) return { dominant: 'none', shares, inkPixels: 0 };
  let best: InkClass = 'other';
  for (const k of Object.keys(totals) as InkClass[]) {
    shares[k] = totals[k] / ink;
    if (shares[k] > shares[best]) best = k;
  }
  return { dominant: shares[best] >= threshold ? best : 'other', shares, inkPixels: Math.round(ink) };
}
