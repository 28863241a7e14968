/**
 * The reading frame of a page: coordinates in which the page's text runs left to right and lines
 * go down the page, whatever the page's /Rotate and however the producer laid the content out.
 * Role layouts ("between the title and the name", "top right of the first page", "just after the
 * last line") are computed in this frame and mapped to visible coordinates (sign/placement.ts) at
 * the end; stamps are drawn upright in the reading frame, so a signature image on a page whose
 * text runs sideways runs sideways with it, as it would on paper.
 *
 * θ is the direction of the text's baseline in visible coordinates (0, 90, 180 or 270 degrees,
 * counter-clockwise from +x). On an ordinary page θ = 0 and the frame is the visible frame.
 */
import type { Rect } from '../../sign/placement.js';

export type Angle = 0 | 90 | 180 | 270;

export interface ReadingFrame {
  angle: Angle;
  /** Visible page size. */
  visibleWidth: number;
  visibleHeight: number;
  /** Page size in the reading frame (width along the text). */
  width: number;
  height: number;
}

export function readingFrame(angle: Angle, visibleWidth: number, visibleHeight: number): ReadingFrame {
  const swap = angle === 90 || angle === 270;
  return {
    angle,
    visibleWidth,
    visibleHeight,
    width: swap ? visibleHeight : visibleWidth,
    height: swap ? visibleWidth : visibleHeight,
  };
}

/** Rounds any angle in degrees to the nearest multiple of 90 in 0…270. */
export function quarterTurn(deg: number): Angle {
  return ((((Math.round(deg / 90) * 90) % 360) + 360) % 360) as Angle;
}

/** Reading (u, v) → visible (x, y). */
export function toVisiblePoint(f: ReadingFrame, u: number, v: number): [number, number] {
  switch (f.angle) {
    case 90:
      return [f.visibleWidth - v, u];
    case 180:
      return [f.visibleWidth - u, f.visibleHeight - v];
    case 270:
      return [v, f.visibleHeight - u];
    default:
      return [u, v];
  }
}

/** Visible (x, y) → reading (u, v). */
export function toReadingPoint(f: ReadingFrame, x: number, y: number): [number, number] {
  switch (f.angle) {
    case 90:
      return [y, f.visibleWidth - x];
    case 180:
      return [f.visibleWidth - x, f.visibleHeight - y];
    case 270:
      return [f.visibleHeight - y, x];
    default:
      return [x, y];
  }
}

function normalise(a: [number, number], b: [number, number]): Rect {
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[0], b[0]), Math.max(a[1], b[1])];
}

export function toVisibleRect(f: ReadingFrame, r: Rect): Rect {
  return normalise(toVisiblePoint(f, r[0], r[1]), toVisiblePoint(f, r[2], r[3]));
}

export function toReadingRect(f: ReadingFrame, r: Rect): Rect {
  return normalise(toReadingPoint(f, r[0], r[1]), toReadingPoint(f, r[2], r[3]));
}

/**
 * `cm` operands that map a stamp drawn upright in the reading frame with size (w, h) into an
 * appearance BBox in visible orientation (whose size is (h, w) for a quarter turn).
 */
export function readingToAppearanceMatrix(
  angle: Angle,
  w: number,
  h: number,
): [number, number, number, number, number, number] {
  // Visible size of the box.
  const vw = angle === 90 || angle === 270 ? h : w;
  const vh = angle === 90 || angle === 270 ? w : h;
  switch (angle) {
    case 90:
      return [0, 1, -1, 0, vw, 0];
    case 180:
      return [-1, 0, 0, -1, vw, vh];
    case 270:
      return [0, -1, 1, 0, 0, vh];
    default:
      return [1, 0, 0, 1, 0, 0];
  }
}

/** Clamps a reading-frame rect inside the page (minus `margin`); reports whether it moved. */
export function clampReading(f: ReadingFrame, r: Rect, margin = 0): { rect: Rect; moved: boolean } {
  const w = Math.min(r[2] - r[0], f.width - 2 * margin);
  const h = Math.min(r[3] - r[1], f.height - 2 * margin);
  const x = Math.min(Math.max(margin, r[0]), f.width - margin - w);
  const y = Math.min(Math.max(margin, r[1]), f.height - margin - h);
  const rect: Rect = [x, y, x + w, y + h];
  return { rect, moved: rect.some((v, i) => Math.abs(v - r[i]!) > 1e-6) };
}

export function rectWidth(r: Rect): number {
  return r[2] - r[0];
}

export function rectHeight(r: Rect): number {
  return r[3] - r[1];
}

export function overlaps(a: Rect, b: Rect, min = 0.5): boolean {
  return Math.min(a[2], b[2]) - Math.max(a[0], b[0]) > min && Math.min(a[3], b[3]) - Math.max(a[1], b[1]) > min;
}

export function union(a: Rect, b: Rect): Rect {
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];
}
