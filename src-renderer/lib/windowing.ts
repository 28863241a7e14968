/**
 * A windowed list: only the rows in view (plus a margin) are in the DOM, so 5,000 rows scroll
 * as smoothly as 50. Rows may differ in height (group headings are shorter); their offsets are
 * prefix sums, and the first visible row is found by binary search.
 */
export interface WindowRange {
  first: number;
  last: number; // exclusive
  offsetTop: number;
  totalHeight: number;
}

/** offsets[i] = top of row i; offsets[n] = total height. */
export function rowOffsets(count: number, height: (i: number) => number): Float64Array {
  const out = new Float64Array(count + 1);
  for (let i = 0; i < count; i++) out[i + 1] = out[i]! + height(i);
  return out;
}

/** The row containing y (the last row whose top is ≤ y). */
export function rowAt(offsets: Float64Array, y: number): number {
  const n = offsets.length - 1;
  let lo = 0;
  let hi = Math.max(0, n - 1);
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid]! <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function windowRange(offsets: Float64Array, scrollTop: number, viewport: number, overscan = 6): WindowRange {
  const count = offsets.length - 1;
  const totalHeight = offsets[count]!;
  if (count === 0) return { first: 0, last: 0, offsetTop: 0, totalHeight };
  const first = Math.max(0, rowAt(offsets, scrollTop) - overscan);
  const last = Math.min(count, rowAt(offsets, scrollTop + viewport) + 1 + overscan);
  return { first, last: Math.max(first, last), offsetTop: offsets[first]!, totalHeight };
}

/** The scrollTop that brings row `index` into view (unchanged when it already is). */
export function scrollToShow(offsets: Float64Array, index: number, scrollTop: number, viewport: number): number {
  const top = offsets[index] ?? 0;
  const bottom = offsets[index + 1] ?? top;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewport) return bottom - viewport;
  return scrollTop;
}
