import { useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { rowOffsets, scrollToShow, windowRange } from '../lib/windowing';

interface Props<T> {
  rows: readonly T[];
  rowHeight(row: T): number;
  render(row: T, index: number): ReactNode;
  rowKey(row: T, index: number): string | number;
  /** Row to keep in view (keyboard focus). */
  focusIndex?: number;
  label: string;
  testId?: string;
}

/** Only the rows in view are rendered; the scroll height is the full list's. */
export function WindowedList<T>(p: Props<T>) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const { rows, rowHeight } = p;
  const offsets = useMemo(() => rowOffsets(rows.length, (i) => rowHeight(rows[i]!)), [rows, rowHeight]);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setHeight(el.clientHeight);
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const el = ref.current;
    if (!el || p.focusIndex === undefined || p.focusIndex < 0) return;
    const next = scrollToShow(offsets, p.focusIndex, el.scrollTop, el.clientHeight);
    if (next !== el.scrollTop) el.scrollTop = next;
  }, [p.focusIndex, offsets]);

  const r = windowRange(offsets, scrollTop, height);
  const visible = rows.slice(r.first, r.last);
  return (
    <div
      ref={ref}
      className="windowed"
      role="list"
      aria-label={p.label}
      data-testid={p.testId}
      data-rows={rows.length}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
    >
      <div style={{ height: r.totalHeight }} className="windowed-inner">
        <div style={{ transform: `translateY(${r.offsetTop}px)` }}>
          {visible.map((row, i) => (
            <div
              key={p.rowKey(row, r.first + i)}
              style={{ height: rowHeight(row) }}
              className="windowed-row"
              role="listitem"
            >
              {p.render(row, r.first + i)}
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}
