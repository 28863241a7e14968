// The windowed list's arithmetic: which rows are in the DOM, where they start, and scrolling a
// row into view, with rows of two heights (group headings are shorter).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rowAt, rowOffsets, scrollToShow, windowRange } from '../../src-renderer/lib/windowing.js';

test('offsets are prefix sums; rowAt finds the row under a point', () => {
  const o = rowOffsets(4, (i) => (i === 0 ? 34 : 60));
  assert.deepEqual([...o], [0, 34, 94, 154, 214]);
  assert.equal(rowAt(o, 0), 0);
  assert.equal(rowAt(o, 33.9), 0);
  assert.equal(rowAt(o, 34), 1);
  assert.equal(rowAt(o, 213), 3);
  assert.equal(rowAt(o, 10_000), 3);
});

test('only the rows in view plus the overscan are rendered, for 5,000 rows', () => {
  const o = rowOffsets(5000, (i) => (i % 100 === 0 ? 34 : 60));
  const r = windowRange(o, 150_000, 600, 6);
  assert.ok(r.last - r.first <= 600 / 34 + 14, `${r.last - r.first} rows`);
  assert.equal(r.offsetTop, o[r.first]);
  assert.ok(o[r.first]! <= 150_000 && o[r.last]! >= 150_600);
  assert.equal(r.totalHeight, o[5000]);
  const empty = windowRange(
    rowOffsets(0, () => 60),
    0,
    600,
  );
  assert.deepEqual(empty, { first: 0, last: 0, offsetTop: 0, totalHeight: 0 });
});

test('scrollToShow moves just enough', () => {
  const o = rowOffsets(100, () => 60);
  assert.equal(scrollToShow(o, 10, 0, 300), 660 - 300);
  assert.equal(scrollToShow(o, 2, 300, 300), 120);
  assert.equal(scrollToShow(o, 6, 300, 300), 300);
});
