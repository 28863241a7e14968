/**
 * Between PDF visible-page coordinates (points, origin lower-left of the visible page, as the
 * signing engine places stamps) and the screen (pixels, origin top-left of the drawn page),
 * with the viewer's own extra rotation (0/90/180/270, clockwise) and zoom.
 */
export type Rect = [number, number, number, number];

export interface PageFrame {
  /** Visible page size in points (after the page's own /Rotate). */
  width: number;
  height: number;
  /** Extra clockwise rotation applied by the viewer. */
  rotation: 0 | 90 | 180 | 270;
  scale: number;
}

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Screen size of the drawn page. */
export function screenSize(f: PageFrame): { width: number; height: number } {
  const swap = f.rotation === 90 || f.rotation === 270;
  return { width: (swap ? f.height : f.width) * f.scale, height: (swap ? f.width : f.height) * f.scale };
}

/** A point in visible PDF coordinates → screen pixels. */
export function toScreen(f: PageFrame, x: number, y: number): [number, number] {
  const s = f.scale;
  switch (f.rotation) {
    case 0:
      return [x * s, (f.height - y) * s];
    case 90:
      return [y * s, x * s];
    case 180:
      return [(f.width - x) * s, y * s];
    case 270:
      return [(f.height - y) * s, (f.width - x) * s];
  }
}

/** Screen pixels → visible PDF coordinates. */
export function fromScreen(f: PageFrame, sx: number, sy: number): [number, number] {
  const x = sx / f.scale;
  const y = sy / f.scale;
  switch (f.rotation) {
    case 0:
      return [x, f.height - y];
    case 90:
      return [y, x];
    case 180:
      return [f.width - x, y];
    case 270:
      return [f.width - y, f.height - x];
  }
}

export function rectToBox(f: PageFrame, r: Rect): Box {
  const [ax, ay] = toScreen(f, r[0], r[1]);
  const [bx, by] = toScreen(f, r[2], r[3]);
  return { left: Math.min(ax, bx), top: Math.min(ay, by), width: Math.abs(bx - ax), height: Math.abs(by - ay) };
}

export function boxToRect(f: PageFrame, b: Box): Rect {
  const [ax, ay] = fromScreen(f, b.left, b.top);
  const [bx, by] = fromScreen(f, b.left + b.width, b.top + b.height);
  return [Math.min(ax, bx), Math.min(ay, by), Math.max(ax, bx), Math.max(ay, by)];
}

/** Moves a rect by a screen drag, kept inside the page. */
export function dragRect(f: PageFrame, r: Rect, dxScreen: number, dyScreen: number): Rect {
  const box = rectToBox(f, r);
  const size = screenSize(f);
  const left = Math.min(Math.max(0, box.left + dxScreen), size.width - box.width);
  const top = Math.min(Math.max(0, box.top + dyScreen), size.height - box.height);
  const out = boxToRect(f, { ...box, left, top });
  return out.map((v) => Math.round(v * 100) / 100) as Rect;
}
