// The stamp preview: PDF visible-page rectangles ↔ screen boxes, under the viewer's rotation and
// zoom, and dragging that stays inside the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  boxToRect,
  dragRect,
  fromScreen,
  rectToBox,
  screenSize,
  toScreen,
  type PageFrame,
  type Rect,
} from '../../src-renderer/lib/geometry.js';

const A4: Omit<PageFrame, 'rotation'> = { width: 595, height: 842, scale: 1.5 };

test('no rotation: origin lower-left in PDF, upper-left on screen', () => {
  const f: PageFrame = { ...A4, rotation: 0 };
  assert.deepEqual(toScreen(f, 0, 0), [0, 842 * 1.5]);
  assert.deepEqual(rectToBox(f, [100, 100, 300, 200]), { left: 150, top: (842 - 200) * 1.5, width: 300, height: 150 });
  assert.deepEqual(screenSize(f), { width: 595 * 1.5, height: 842 * 1.5 });
});

test('rotated views swap the page size; a point maps back to itself', () => {
  for (const rotation of [0, 90, 180, 270] as const) {
    const f: PageFrame = { ...A4, rotation };
    const size = screenSize(f);
    if (rotation % 180) assert.deepEqual(size, { width: 842 * 1.5, height: 595 * 1.5 });
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 595, noNaN: true }),
        fc.double({ min: 0, max: 842, noNaN: true }),
        (x, y) => {
          const [sx, sy] = toScreen(f, x, y);
          assert.ok(sx >= -1e-6 && sy >= -1e-6 && sx <= size.width + 1e-6 && sy <= size.height + 1e-6);
          const [bx, by] = fromScreen(f, sx, sy);
          return Math.abs(bx - x) < 1e-6 && Math.abs(by - y) < 1e-6;
        },
      ),
    );
  }
});

test('rect → box → rect round-trips in every rotation', () => {
  const r: Rect = [320, 90, 520, 170];
  for (const rotation of [0, 90, 180, 270] as const) {
    const f: PageFrame = { ...A4, rotation };
    const back = boxToRect(f, rectToBox(f, r));
    back.forEach((v, i) => assert.ok(Math.abs(v - r[i]!) < 1e-9, `${rotation}: ${back.join(',')}`));
  }
});

test('dragging moves by screen pixels and stays on the page', () => {
  const f: PageFrame = { ...A4, rotation: 0 };
  const r: Rect = [100, 100, 300, 200];
  assert.deepEqual(dragRect(f, r, 30, -15), [120, 110, 320, 210]);
  const clamped = dragRect(f, r, -10_000, 10_000);
  assert.deepEqual(clamped, [0, 0, 200, 100]);
  const rotated: PageFrame = { ...A4, rotation: 90 };
  // In a 90° view, dragging right on screen moves the stamp up the page (towards larger y).
  const up = dragRect(rotated, r, 15, 0);
  assert.deepEqual(up, [100, 110, 300, 210]);
});
