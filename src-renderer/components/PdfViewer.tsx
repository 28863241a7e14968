import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import type { Rect } from '../../src-shared/api/ui-types';
import { useI18n } from '../i18n';
import { fold } from '../lib/queue-logic';
import { dragRect, rectToBox, screenSize, type PageFrame } from '../lib/geometry';
import { openPdf, type PDFDocumentProxy, type PDFPageProxy } from '../pdf';

export interface StampOverlay {
  pageIndex: number;
  rect: Rect;
  label: string;
  onMove(rect: Rect): void;
}

interface Props {
  url: string;
  stamp?: StampOverlay | null;
  /** Called once the first page is on screen (benchmarks and tests read the data attribute too). */
  onFirstPaint?(ms: number): void;
}

type Rotation = 0 | 90 | 180 | 270;
interface Size {
  w: number;
  h: number;
}
interface Hit {
  page: number;
  rects: Array<[number, number, number, number]>; // viewport-space boxes at scale 1, rotation 0
}

const GAP = 12;

/** Visible size of a page in points (after its own /Rotate). */
function pageSize(p: PDFPageProxy): Size {
  const v = p.getViewport({ scale: 1 });
  return { w: v.width, h: v.height };
}

export function PdfViewer({ url, stamp, onFirstPaint }: Props) {
  const { t } = useI18n();
  const [doc, setDoc] = useState<PDFDocumentProxy | null>(null);
  const [error, setError] = useState(false);
  const [sizes, setSizes] = useState<Map<number, Size>>(new Map());
  const [base, setBase] = useState<Size>({ w: 595, h: 842 });
  const [scale, setScale] = useState<number | 'fit'>('fit');
  const [rotation, setRotation] = useState<Rotation>(0);
  const [visible, setVisible] = useState<Set<number>>(new Set([0]));
  const [current, setCurrent] = useState(0);
  const [thumbs, setThumbs] = useState(true);
  const [width, setWidth] = useState(800);
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<Hit[] | null>(null);
  const [hitIndex, setHitIndex] = useState(0);
  const [searching, setSearching] = useState(false);
  const scroller = useRef<HTMLDivElement>(null);
  const findRef = useRef<HTMLInputElement>(null);
  const started = useRef(performance.now());
  const painted = useRef(false);
  const textCache = useRef(new Map<number, Array<{ text: string; box: [number, number, number, number] }>>());

  useEffect(() => {
    let cancelled = false;
    let loaded: PDFDocumentProxy | null = null;
    started.current = performance.now();
    painted.current = false;
    setDoc(null);
    setError(false);
    setSizes(new Map());
    textCache.current = new Map();
    setHits(null);
    openPdf(url).then(
      async (d) => {
        loaded = d;
        if (cancelled) return void d.destroy();
        const first = await d.getPage(1);
        if (cancelled) return;
        setBase(pageSize(first));
        setDoc(d);
      },
      () => !cancelled && setError(true),
    );
    return () => {
      cancelled = true;
      void loaded?.destroy();
    };
  }, [url]);

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    setWidth(el.clientWidth);
    return () => ro.disconnect();
  }, [doc]);

  const count = doc?.numPages ?? 0;
  const sizeOf = useCallback((i: number): Size => sizes.get(i) ?? base, [sizes, base]);
  const fitScale = Math.max(0.25, Math.min(3, (width - 48) / (rotation % 180 === 0 ? base.w : base.h)));
  const s = scale === 'fit' ? fitScale : scale;
  const frameOf = useCallback(
    (i: number): PageFrame => {
      const z = sizeOf(i);
      return { width: z.w, height: z.h, rotation, scale: s };
    },
    [sizeOf, rotation, s],
  );

  // Page tops for scrolling and "current page".
  const tops = useMemo(() => {
    const out: number[] = [];
    let y = GAP;
    for (let i = 0; i < count; i++) {
      out.push(y);
      y += screenSize(frameOf(i)).height + GAP;
    }
    out.push(y);
    return out;
  }, [count, frameOf]);

  const onScroll = (): void => {
    const el = scroller.current;
    if (!el || count === 0) return;
    const top = el.scrollTop;
    const bottom = top + el.clientHeight;
    // Binary search the first page whose bottom is below the top of the view.
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (tops[mid + 1]! <= top) lo = mid + 1;
      else hi = mid;
    }
    const next = new Set<number>();
    for (let i = Math.max(0, lo - 1); i < count && tops[i]! < bottom + 400; i++) next.add(i);
    setVisible((prev) => (prev.size === next.size && [...next].every((x) => prev.has(x)) ? prev : next));
    const mid = top + el.clientHeight / 3;
    let cur = lo;
    while (cur < count - 1 && tops[cur + 1]! <= mid) cur++;
    setCurrent(cur);
  };
  useEffect(onScroll, [tops]);

  // Bring the stamp into view once, when it first appears (the user should see where it goes).
  const stampShown = useRef<string | null>(null);
  useEffect(() => {
    const el = scroller.current;
    if (!el || !stamp || count === 0) return;
    const key = `${url}|${stamp.pageIndex}`;
    if (stampShown.current === key) return;
    stampShown.current = key;
    const box = rectToBox(frameOf(stamp.pageIndex), stamp.rect);
    el.scrollTop = Math.max(0, tops[stamp.pageIndex]! + box.top - el.clientHeight / 2 + box.height / 2);
  }, [stamp, count, tops, frameOf, url]);

  const goTo = (i: number): void => {
    const el = scroller.current;
    if (!el || count === 0) return;
    const p = Math.max(0, Math.min(count - 1, i));
    el.scrollTop = tops[p]! - GAP;
    setCurrent(p);
  };

  const zoom = (f: number): void => setScale(Math.max(0.25, Math.min(4, Math.round(s * f * 100) / 100)));
  const rotate = (): void => setRotation((r) => ((r + 90) % 360) as Rotation);

  const onPainted = (index: number, size: Size): void => {
    setSizes((m) => {
      const old = m.get(index);
      if (old && old.w === size.w && old.h === size.h) return m;
      const n = new Map(m);
      n.set(index, size);
      return n;
    });
    if (index === 0 && !painted.current) {
      painted.current = true;
      const ms = performance.now() - started.current;
      scroller.current?.setAttribute('data-first-paint-ms', ms.toFixed(1));
      onFirstPaint?.(ms);
    }
  };

  // ---- find --------------------------------------------------------------------------------
  const pageText = async (i: number) => {
    const known = textCache.current.get(i);
    if (known) return known;
    const page = await doc!.getPage(i + 1);
    const vp = page.getViewport({ scale: 1 });
    const tc = await page.getTextContent();
    const out: Array<{ text: string; box: [number, number, number, number] }> = [];
    for (const item of tc.items) {
      if (!('str' in item) || !item.str) continue;
      const [a, b, , , e, f] = item.transform as number[];
      const h = Math.hypot(a!, b!) || item.height;
      const r = vp.convertToViewportRectangle([e!, f!, e! + item.width, f! + h]);
      out.push({
        text: fold(item.str),
        box: [Math.min(r[0]!, r[2]!), Math.min(r[1]!, r[3]!), Math.max(r[0]!, r[2]!), Math.max(r[1]!, r[3]!)],
      });
    }
    textCache.current.set(i, out);
    return out;
  };

  const runFind = async (): Promise<void> => {
    const q = fold(query);
    if (!doc || !q) {
      setHits(null);
      return;
    }
    setSearching(true);
    const found: Hit[] = [];
    for (let i = 0; i < count; i++) {
      const items = await pageText(i);
      const rects = items.filter((x) => x.text.includes(q)).map((x) => x.box);
      if (rects.length) found.push({ page: i, rects });
    }
    setSearching(false);
    setHits(found);
    setHitIndex(0);
    if (found[0]) goTo(found[0].page);
  };

  const stepHit = (d: number): void => {
    if (!hits || hits.length === 0) return;
    const n = (hitIndex + d + hits.length) % hits.length;
    setHitIndex(n);
    goTo(hits[n]!.page);
  };

  const onKeyDown = (e: ReactKeyboardEvent): void => {
    const target = e.target as HTMLElement;
    if (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA') return;
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'f') {
      e.preventDefault();
      findRef.current?.focus();
    } else if (e.key === '+' || e.key === '=') zoom(1.2);
    else if (e.key === '-') zoom(1 / 1.2);
    else if (e.key === 'r' || e.key === 'R') rotate();
    else if (e.key === 'PageDown') {
      e.preventDefault();
      goTo(current + 1);
    } else if (e.key === 'PageUp') {
      e.preventDefault();
      goTo(current - 1);
    }
  };

  if (error)
    return (
      <p className="error" role="alert">
        {t('ui.viewer.cannotOpen')}
      </p>
    );

  return (
    <div className="viewer" onKeyDown={onKeyDown}>
      <div className="viewer-toolbar" role="toolbar" aria-label={t('ui.viewer.toolbar')}>
        <button
          type="button"
          className="icon"
          onClick={() => setThumbs((x) => !x)}
          aria-pressed={thumbs}
          title={t('ui.viewer.thumbnails')}
        >
          ▤<span className="visually-hidden">{t('ui.viewer.thumbnails')}</span>
        </button>
        <button
          type="button"
          className="icon"
          onClick={() => goTo(current - 1)}
          disabled={current === 0}
          title={t('ui.viewer.prevPage')}
        >
          ‹<span className="visually-hidden">{t('ui.viewer.prevPage')}</span>
        </button>
        <span className="small" data-testid="viewer-page">
          {t('ui.viewer.page', { n: count ? current + 1 : 0, total: count })}
        </span>
        <button
          type="button"
          className="icon"
          onClick={() => goTo(current + 1)}
          disabled={current >= count - 1}
          title={t('ui.viewer.nextPage')}
        >
          ›<span className="visually-hidden">{t('ui.viewer.nextPage')}</span>
        </button>
        <span className="sep" />
        <button type="button" className="icon" onClick={() => zoom(1 / 1.2)} title={t('ui.viewer.zoomOut')}>
          −<span className="visually-hidden">{t('ui.viewer.zoomOut')}</span>
        </button>
        <span className="small zoom" data-testid="viewer-zoom">
          {Math.round(s * 100)}%
        </span>
        <button type="button" className="icon" onClick={() => zoom(1.2)} title={t('ui.viewer.zoomIn')}>
          +<span className="visually-hidden">{t('ui.viewer.zoomIn')}</span>
        </button>
        <button type="button" className="icon" onClick={() => setScale('fit')} title={t('ui.viewer.fitWidth')}>
          ⇔<span className="visually-hidden">{t('ui.viewer.fitWidth')}</span>
        </button>
        <button
          type="button"
          className="icon"
          onClick={rotate}
          title={t('ui.viewer.rotate')}
          data-testid="viewer-rotate"
        >
          ↻<span className="visually-hidden">{t('ui.viewer.rotate')}</span>
        </button>
        <span className="sep" />
        <form
          className="find"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            if (hits && fold(query) && hits.length) stepHit(1);
            else void runFind();
          }}
        >
          <input
            ref={findRef}
            type="search"
            value={query}
            onChange={(e) => {
              setQuery(e.target.value);
              setHits(null);
            }}
            placeholder={t('ui.viewer.find')}
            aria-label={t('ui.viewer.find')}
            data-testid="viewer-find"
          />
          <button type="submit" className="ghost">
            {t('ui.viewer.findGo')}
          </button>
          <span className="small muted" aria-live="polite" data-testid="viewer-find-result">
            {searching
              ? t('ui.viewer.searching')
              : hits
                ? hits.length === 0
                  ? t('ui.viewer.noMatch')
                  : t('ui.viewer.matches', { n: hitIndex + 1, total: hits.length, page: hits[hitIndex]!.page + 1 })
                : ''}
          </span>
        </form>
      </div>

      <div className="viewer-body">
        {thumbs && doc && (
          <Thumbnails doc={doc} count={count} current={current} onPick={goTo} label={t('ui.viewer.thumbnails')} />
        )}
        <div
          ref={scroller}
          className="pages"
          onScroll={onScroll}
          tabIndex={0}
          aria-label={t('ui.viewer.document')}
          data-testid="viewer-pages"
        >
          {!doc ? (
            <p className="muted loading">{t('ui.viewer.loading')}</p>
          ) : (
            <div className="pages-inner" style={{ height: tops[count] ?? 0 }}>
              {Array.from({ length: count }, (_, i) => i)
                .filter((i) => visible.has(i))
                .map((i) => {
                  const f = frameOf(i);
                  const sz = screenSize(f);
                  const pageHits = hits?.filter((h) => h.page === i).flatMap((h) => h.rects) ?? [];
                  return (
                    <div
                      key={i}
                      className="page"
                      data-page={i + 1}
                      style={{ top: tops[i], width: sz.width, height: sz.height }}
                    >
                      <PageCanvas doc={doc} index={i} scale={s} rotation={rotation} onPainted={onPainted} />
                      {pageHits.map((r, k) => {
                        const box = rectToBox(f, [r[0], f.height - r[3], r[2], f.height - r[1]]);
                        return (
                          <span
                            key={k}
                            className="hit"
                            style={{ left: box.left, top: box.top, width: box.width, height: box.height }}
                          />
                        );
                      })}
                      {stamp && stamp.pageIndex === i && <StampBox frame={f} stamp={stamp} />}
                    </div>
                  );
                })}
            </div>
          )}
        </div>
      </div>
    </div>
  );
}

function PageCanvas(p: {
  doc: PDFDocumentProxy;
  index: number;
  scale: number;
  rotation: Rotation;
  onPainted(index: number, size: Size): void;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  const { doc, index, scale, rotation, onPainted } = p;
  useEffect(() => {
    let cancelled = false;
    let task: { cancel(): void; promise: Promise<void> } | null = null;
    void doc.getPage(index + 1).then((page) => {
      if (cancelled || !ref.current) return;
      const ratio = Math.min(2, window.devicePixelRatio || 1);
      const vp = page.getViewport({ scale: scale * ratio, rotation: (page.rotate + rotation) % 360 });
      const canvas = ref.current;
      canvas.width = Math.floor(vp.width);
      canvas.height = Math.floor(vp.height);
      task = page.render({ canvas, viewport: vp });
      task.promise.then(
        () => !cancelled && onPainted(index, pageSize(page)),
        () => undefined,
      );
    });
    return () => {
      cancelled = true;
      task?.cancel();
    };
  }, [doc, index, scale, rotation, onPainted]);
  return <canvas ref={ref} className="page-canvas" aria-hidden="true" />;
}

function StampBox({ frame, stamp }: { frame: PageFrame; stamp: StampOverlay }) {
  const box = rectToBox(frame, stamp.rect);
  const drag = useRef<{ x: number; y: number; rect: Rect } | null>(null);
  const [live, setLive] = useState<Rect | null>(null);
  const shown = live ? rectToBox(frame, live) : box;
  const move = (dx: number, dy: number): void => stamp.onMove(dragRect(frame, stamp.rect, dx, dy));
  return (
    <div
      className="stamp"
      role="button"
      tabIndex={0}
      aria-label={stamp.label}
      title={stamp.label}
      data-testid="stamp-box"
      style={{ left: shown.left, top: shown.top, width: shown.width, height: shown.height }}
      onPointerDown={(e) => {
        e.currentTarget.setPointerCapture(e.pointerId);
        drag.current = { x: e.clientX, y: e.clientY, rect: stamp.rect };
      }}
      onPointerMove={(e) => {
        const d = drag.current;
        if (!d) return;
        setLive(dragRect(frame, d.rect, e.clientX - d.x, e.clientY - d.y));
      }}
      onPointerUp={(e) => {
        const d = drag.current;
        drag.current = null;
        setLive(null);
        if (d) stamp.onMove(dragRect(frame, d.rect, e.clientX - d.x, e.clientY - d.y));
      }}
      onKeyDown={(e) => {
        const step = e.shiftKey ? 20 : 4;
        const moves: Record<string, [number, number]> = {
          ArrowLeft: [-step, 0],
          ArrowRight: [step, 0],
          ArrowUp: [0, -step],
          ArrowDown: [0, step],
        };
        const m = moves[e.key];
        if (m) {
          e.preventDefault();
          e.stopPropagation();
          move(m[0], m[1]);
        }
      }}
    >
      <span className="stamp-label">{stamp.label}</span>
    </div>
  );
}

const THUMB_W = 96;
const THUMB_GAP = 8;

function Thumbnails(p: {
  doc: PDFDocumentProxy;
  count: number;
  current: number;
  onPick(i: number): void;
  label: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(600);
  const itemH = 136 + THUMB_GAP;
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const y = p.current * itemH;
    if (y < el.scrollTop || y + itemH > el.scrollTop + el.clientHeight) el.scrollTop = Math.max(0, y - itemH);
  }, [p.current, itemH]);
  const first = Math.max(0, Math.floor(top / itemH) - 2);
  const last = Math.min(p.count, Math.ceil((top + height) / itemH) + 2);
  return (
    <nav ref={ref} className="thumbs" aria-label={p.label} onScroll={(e) => setTop(e.currentTarget.scrollTop)}>
      <div style={{ height: p.count * itemH, position: 'relative' }}>
        {Array.from({ length: last - first }, (_, k) => first + k).map((i) => (
          <button
            key={i}
            type="button"
            className={`thumb${i === p.current ? ' current' : ''}`}
            style={{ top: i * itemH }}
            onClick={() => p.onPick(i)}
            aria-current={i === p.current ? 'page' : undefined}
          >
            <ThumbCanvas doc={p.doc} index={i} />
            <span className="small">{i + 1}</span>
          </button>
        ))}
      </div>
    </nav>
  );
}

function ThumbCanvas({ doc, index }: { doc: PDFDocumentProxy; index: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    let cancelled = false;
    let task: { cancel(): void; promise: Promise<void> } | null = null;
    // Thumbnails wait a moment so the main page is painted first.
    const timer = setTimeout(() => {
      void doc.getPage(index + 1).then((page) => {
        if (cancelled || !ref.current) return;
        const v1 = page.getViewport({ scale: 1 });
        const vp = page.getViewport({ scale: THUMB_W / v1.width });
        ref.current.width = Math.floor(vp.width);
        ref.current.height = Math.floor(vp.height);
        task = page.render({ canvas: ref.current, viewport: vp });
        task.promise.catch(() => undefined);
      });
    }, 150);
    return () => {
      cancelled = true;
      clearTimeout(timer);
      task?.cancel();
    };
  }, [doc, index]);
  return <canvas ref={ref} className="thumb-canvas" aria-hidden="true" />;
}
