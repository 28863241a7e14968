/**
 * Where a stamp goes. Callers think in the page as the user sees it: origin at the lower-left of
 * the visible (CropBox) area, after /Rotate. PDF wants /Rect in unrotated user space; the
 * appearance is counter-rotated with its /Matrix so it reads upright on a rotated page.
 */
import type { PageInfo } from '../pdf/reader.js';

export type Rect = [number, number, number, number];

/** Visible page size (width, height) after rotation. */
export function visibleSize(page: PageInfo): [number, number] {
  const w = page.cropBox[2] - page.cropBox[0];
  const h = page.cropBox[3] - page.cropBox[1];
  return page.rotate % 180 === 0 ? [w, h] : [h, w];
}

/** Maps a point in visible coordinates to user space. */
function toUser(page: PageInfo, dx: number, dy: number): [number, number] {
  const [cx0, cy0, cx1, cy1] = page.cropBox;
  const W = cx1 - cx0;
  const H = cy1 - cy0;
  let px: number;
  let py: number;
  switch (page.rotate) {
    case 90:
      px = W - dy;
      py = dx;
      break;
    case 180:
      px = W - dx;
      py = H - dy;
      break;
    case 270:
      px = dy;
      py = H - dx;
      break;
    default:
      px = dx;
      py = dy;
  }
  return [cx0 + px, cy0 + py];
}

/** A rectangle given in visible coordinates → /Rect in user space (normalised). */
export function visibleRectToUser(page: PageInfo, r: Rect): Rect {
  const [ax, ay] = toUser(page, r[0], r[1]);
  const [bx, by] = toUser(page, r[2], r[3]);
  return [Math.min(ax, bx), Math.min(ay, by), Math.max(ax, bx), Math.max(ay, by)];
}

/**
 * /Matrix for an appearance drawn in visible orientation with BBox [0 0 w h] (w, h = visible
 * size of the stamp), so that it displays upright once the viewer applies /Rotate.
 */
export function appearanceMatrix(
  rotate: number,
  w: number,
  h: number,
): [number, number, number, number, number, number] {
  switch (rotate) {
    case 90:
      return [0, 1, -1, 0, h, 0];
    case 180:
      return [-1, 0, 0, -1, w, h];
    case 270:
      return [0, -1, 1, 0, 0, w];
    default:
      return [1, 0, 0, 1, 0, 0];
  }
}

/** Clamps a visible rect inside the visible page; reports whether it had to move. */
export function clampToPage(page: PageInfo, r: Rect): { rect: Rect; moved: boolean } {
  const [vw, vh] = visibleSize(page);
  const w = Math.min(r[2] - r[0], vw);
  const h = Math.min(r[3] - r[1], vh);
  const x = Math.min(Math.max(0, r[0]), vw - w);
  const y = Math.min(Math.max(0, r[1]), vh - h);
  const rect: Rect = [x, y, x + w, y + h];
  return { rect, moved: rect.some((v, i) => Math.abs(v - r[i]!) > 1e-6) };
}
