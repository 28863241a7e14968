/**
 * Plans one role's signature: where its stamp goes, what the stamp and the annotations of the same
 * revision look like, and what to warn about. The result plugs into signDocument (placement +
 * prepare); nothing is written here.
 *
 * | profile  | certificate  | stamp                                                                 |
 * | -------- | ------------ | --------------------------------------------------------------------- |
 * | approval | personal     | handwritten signature between the title and the name                  |
 * | initials | personal     | initials or a small signature after the last line of the last page    |
 * | issue    | organisation | red seal at real size over the left third of the leader's signature;  |
 * |          |              | number at "Số:" and date at "ngày … tháng … năm …" as annotations     |
 * | appendix | organisation | number and notation + signing time, top right of page 1, 10 pt        |
 * | copy     | organisation | SAO Y / SAO LỤC / TRÍCH SAO + organisation + time, top right, 10 pt    |
 * | received | organisation | bordered "ĐẾN" box (number, date, time) in free space, top left        |
 * | comment  | personal     | the directive (FreeText) and ink (Ink) with the leader's signature     |
 */
import { KysoError } from '../../../src-shared/errors.js';
import type { IncrementalUpdate } from '../../pdf/incremental-writer.js';
import { PdfDict, PdfName, type PdfRef } from '../../pdf/objects.js';
import type { PdfReader } from '../../pdf/reader.js';
import { openForSigning } from '../../sign/pdf-signer.js';
import { clampToPage, type Rect } from '../../sign/placement.js';
import { INK, num, type Rgb } from '../content-ops.js';
import { coveredText } from '../anchor-search.js';
import { fitImage, type DecodedPng } from '../image-xobject.js';
import { addAnnotation, visiblePointToUser } from './annotations.js';
import { requireCompetentSignature } from './competent.js';
import {
  calendarDateOf,
  decreeDateParts,
  decreeDateText,
  initialsOf,
  isoWithOffset,
  localFields,
  parseCalendarDate,
  parseCopyType,
  shortDate,
  VIETNAM_OFFSET_MINUTES,
  type CalendarDate,
} from './format.js';
import { clampReading, overlaps, toReadingRect, toVisibleRect, union, type ReadingFrame } from './frame.js';
import { loadSealImage, loadSignatureImage, MM } from './images.js';
import {
  coveredLines,
  DocumentView,
  freeSpot,
  lastLine,
  lineAbove,
  MARGIN,
  pageRegion,
  type PageView,
} from './layout.js';
import { organisationName, requireKind, signerFacts, type SignerFacts } from './signer.js';
import {
  appearanceContent,
  border,
  filledRect,
  StampFonts,
  StampResources,
  strokePolylines,
  type Painter,
} from './stamp.js';
import type { AddedAnnotation, Polyline, RolePlan, RoleProfile, RoleRequest, RoleWarning } from './types.js';

const WHITE: Rgb = [1, 1, 1];
/** VGCA writes the number and the date at 13 pt, the size of the layout's own text. */
const NUMBER_SIZE = 13;
/** Decree 30: appendix and copy stamps in 10 pt. */
const INFO_SIZE = 10;
/** Liberation Serif / Times: ascent 0.891 em, descent 0.216 em. */
const ASCENT = 0.891;
const DESCENT = 0.216;

const REASONS: Record<RoleProfile, string> = {
  approval: 'Ký duyệt',
  initials: 'Ký nháy',
  issue: 'Ký phát hành',
  appendix: 'Ký văn bản kèm theo',
  copy: 'Ký bản sao',
  received: 'Tiếp nhận văn bản đến',
  comment: 'Bút phê',
};

/** A stamp in the reading frame of its page. */
interface Placed {
  pageIndex: number;
  rect: Rect;
  paint: Painter;
  /** Report text the stamp covers (not for the number and date, which are meant to sit on their line). */
  checkCover: boolean;
  label: string;
}

interface PlacedAnnotation extends Placed {
  kind: AddedAnnotation['kind'];
  text: string;
}

interface Planned {
  widget: Placed;
  annotations: PlacedAnnotation[];
  ink?: { pageIndex: number; lines: Polyline[] };
}

interface Ctx {
  req: RoleRequest;
  facts: SignerFacts;
  time: Date;
  offset: number;
  iso: string;
  fonts: StampFonts;
  warnings: RoleWarning[];
  view: DocumentView;
  reader: PdfReader;
}

const usage = (key: 'roles.needOption' | 'roles.optionNotForProfile', params: Record<string, string>): KysoError =>
  new KysoError('USAGE', key, params);

function rectW(r: Rect): number {
  return r[2] - r[0];
}
function rectH(r: Rect): number {
  return r[3] - r[1];
}

/** The reading-frame rect of an explicit --rect on its page. */
async function explicitRect(c: Ctx): Promise<{ view: PageView; rect: Rect } | null> {
  if (!c.req.rect) return null;
  const pageIndex = c.req.pageIndex ?? 0;
  checkPage(c, pageIndex);
  const view = await c.view.page(pageIndex);
  return { view, rect: toReadingRect(view.frame, c.req.rect) };
}

function checkPage(c: Ctx, pageIndex: number): void {
  if (pageIndex < 0 || pageIndex >= c.view.pageCount) {
    throw new KysoError('USAGE', 'error.usage', {
      detail: `--page ${pageIndex + 1}: the document has ${c.view.pageCount} page(s)`,
    });
  }
}

function pagesToSearch(c: Ctx): number[] {
  if (c.req.pageIndex !== undefined) {
    checkPage(c, c.req.pageIndex);
    return [c.req.pageIndex];
  }
  return [...Array(c.view.pageCount).keys()].reverse();
}

/**
 * The best occurrence of one of `needles`: alone on its line first, then the latest page, then the
 * lowest on it (a signature block sits at the end of the document).
 */
async function bestMatch(
  c: Ctx,
  needles: readonly string[],
  pages: readonly number[],
): Promise<{ pageIndex: number; rect: Rect; needle: string } | null> {
  for (const needle of needles) {
    if (!needle.trim()) continue;
    const found = await c.view.find(needle, pages);
    if (found.length === 0) continue;
    found.sort((a, b) => Number(b.alone) - Number(a.alone) || b.pageIndex - a.pageIndex || a.rect[1] - b.rect[1]);
    const m = found[0]!;
    return { pageIndex: m.pageIndex, rect: m.rect, needle };
  }
  return null;
}

/** A box of the given natural size centred in the vertical gap [bottom, top], centred on cx. */
function inGap(cx: number, bottom: number, top: number, size: { w: number; h: number; aspect?: number }): Rect {
  let { w, h } = size;
  const gap = top - bottom;
  if (size.aspect !== undefined) {
    h = Math.max(24, Math.min(gap, 72));
    w = h * size.aspect;
    if (w > 200) {
      w = 200;
      h = w / size.aspect;
    }
  }
  const cy = gap >= h ? (top + bottom) / 2 : bottom + h / 2;
  return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
}

/** Draws an image contained (aspect kept) and centred in the stamp box. */
function imagePainter(png: DecodedPng): Painter {
  return (res, w, h) => {
    const f = fitImage({ width: png.width, height: png.height }, { x: 0, y: 0, width: w, height: h });
    return `${res.image(png, f.x, f.y, f.width, f.height)}\n`;
  };
}

/** Lines of text centred in the box. */
function textPainter(lines: string[], size: number, colour: Rgb): Painter {
  return (res, w, h) => {
    const block = res.text(lines, { size, colour, x: 0, top: h, width: w, align: 'center' });
    // Centre vertically.
    const dy = (h - block.box.height) / 2;
    return `q 1 0 0 1 0 ${num(-dy)} cm\n${block.ops}Q\n`;
  };
}

function textBlockSize(
  c: Ctx,
  lines: readonly string[],
  size: number,
  face: 'regular' | 'bold' = 'regular',
): { w: number; h: number } {
  const font = c.fonts.font(face);
  for (const l of lines) font.use(l);
  const w = Math.max(...lines.map((l) => font.measure(l, size)));
  const h = (ASCENT + DESCENT) * size + (lines.length - 1) * 1.15 * size;
  return { w, h };
}

// ---------------------------------------------------------------- approval

async function planApproval(c: Ctx): Promise<Planned> {
  const img = c.req.signatureImage ? loadSignatureImage(c.req.signatureImage, c.warnings) : null;
  const fallback = [`Người ký: ${c.facts.commonName}`, `Thời gian ký: ${c.iso}`];
  const textSize = textBlockSize(c, fallback, 9);
  const paint = img ? imagePainter(img.png) : textPainter(fallback, 9, INK.black);
  const size = img ? { w: 0, h: 0, aspect: img.aspect } : { w: textSize.w + 4, h: textSize.h + 4 };

  const explicit = await explicitRect(c);
  if (explicit)
    return {
      widget: { pageIndex: explicit.view.pageIndex, rect: explicit.rect, paint, checkCover: true, label: 'signature' },
      annotations: [],
    };

  const pages = pagesToSearch(c);
  // --anchor, else the signer's name: the stamp goes above it, below the line above (the title).
  const byName = await bestMatch(c, c.req.anchor ? [c.req.anchor] : [c.facts.commonName], pages);
  if (byName) {
    const view = await c.view.page(byName.pageIndex);
    const above = lineAbove(view, byName.rect);
    const bottom = byName.rect[3] + 1;
    const top = above ? above.rect[1] - 1 : bottom + 75;
    const cx = (byName.rect[0] + byName.rect[2]) / 2;
    return {
      widget: {
        pageIndex: view.pageIndex,
        rect: inGap(cx, bottom, top, size),
        paint,
        checkCover: true,
        label: 'signature',
      },
      annotations: [],
    };
  }
  // The title alone ("THỨ TRƯỞNG" is not on the certificate, "Chánh Văn phòng" may be): below it.
  const byTitle = !c.req.anchor && c.facts.title ? await bestMatch(c, [c.facts.title], pages) : null;
  if (byTitle) {
    const view = await c.view.page(byTitle.pageIndex);
    const top = byTitle.rect[1] - 1;
    const below = view.lines
      .filter(
        (l) =>
          l.rect[3] < top && rectW(l.rect) > 0 && l.rect[2] > byTitle.rect[0] - 40 && l.rect[0] < byTitle.rect[2] + 40,
      )
      .sort((a, b) => b.rect[3] - a.rect[3])[0];
    const bottom = below && top - below.rect[3] < 150 ? below.rect[3] + 1 : top - 75;
    const cx = (byTitle.rect[0] + byTitle.rect[2]) / 2;
    return {
      widget: {
        pageIndex: view.pageIndex,
        rect: inGap(cx, bottom, top, size),
        paint,
        checkCover: true,
        label: 'signature',
      },
      annotations: [],
    };
  }
  throw new KysoError('USAGE', 'roles.anchorNotFound', {
    text: c.req.anchor ?? [c.facts.commonName, c.facts.title].filter(Boolean).join(' / '),
  });
}

// ---------------------------------------------------------------- initials

const INITIALS_W = 40;
const INITIALS_H = 20;

async function planInitials(c: Ctx): Promise<Planned> {
  const img = c.req.signatureImage ? loadSignatureImage(c.req.signatureImage, c.warnings) : null;
  let paint: Painter;
  if (img) paint = imagePainter(img.png);
  else {
    const text = (c.req.initials ?? initialsOf(c.facts.commonName)) || '?';
    const font = c.fonts.font('regular');
    font.use(text);
    const fit = Math.max(
      6,
      Math.min(14, (INITIALS_W - 4) / (font.measure(text, 1) || 1), (INITIALS_H - 2) / (ASCENT + DESCENT)),
    );
    paint = textPainter([text], fit, INK.blue);
  }
  const explicit = await explicitRect(c);
  if (explicit)
    return {
      widget: { pageIndex: explicit.view.pageIndex, rect: explicit.rect, paint, checkCover: true, label: 'initials' },
      annotations: [],
    };

  if (c.req.anchor) {
    const m = await bestMatch(c, [c.req.anchor], pagesToSearch(c));
    if (!m) throw new KysoError('USAGE', 'roles.anchorNotFound', { text: c.req.anchor });
    const cy = (m.rect[1] + m.rect[3]) / 2;
    const rect: Rect = [m.rect[2] + 4, cy - INITIALS_H / 2, m.rect[2] + 4 + INITIALS_W, cy + INITIALS_H / 2];
    return { widget: { pageIndex: m.pageIndex, rect, paint, checkCover: true, label: 'initials' }, annotations: [] };
  }
  const pageIndex = c.req.pageIndex ?? c.view.pageCount - 1;
  checkPage(c, pageIndex);
  const view = await c.view.page(pageIndex);
  const last = lastLine(view);
  let rect: Rect;
  if (!last) {
    // No text (a scan): the bottom right corner.
    rect = [
      view.frame.width - 2 * MARGIN - INITIALS_W,
      2 * MARGIN,
      view.frame.width - 2 * MARGIN,
      2 * MARGIN + INITIALS_H,
    ];
  } else {
    const cy = (last.rect[1] + last.rect[3]) / 2;
    const right: Rect = [last.rect[2] + 6, cy - INITIALS_H / 2, last.rect[2] + 6 + INITIALS_W, cy + INITIALS_H / 2];
    rect =
      right[2] <= view.frame.width - MARGIN
        ? right
        : [last.rect[0], last.rect[1] - 4 - INITIALS_H, last.rect[0] + INITIALS_W, last.rect[1] - 4];
  }
  return { widget: { pageIndex, rect, paint, checkCover: true, label: 'initials' }, annotations: [] };
}

// ---------------------------------------------------------------- issue

/** "123/QĐ-BTC" given for a layout that already prints "/QĐ-BTC" (or "/QD-BTC"): only "123" is written. */
function numberPart(docNumber: string, lineText: string): string {
  const slash = docNumber.indexOf('/');
  if (slash <= 0) return docNumber;
  const fold = (x: string): string =>
    x.normalize('NFD').replace(/\p{M}/gu, '').replace(/[đĐ]/g, 'd').replace(/\s+/g, '').toLowerCase();
  return fold(lineText).includes(fold(docNumber.slice(slash))) ? docNumber.slice(0, slash) : docNumber;
}

interface SlotText {
  rect: Rect;
  text: string;
  size: number;
  /** 'right': against the printed notation ("123/QĐ-BTC"); else centred. */
  align?: 'center' | 'right';
}

/** White box over a placeholder slot and the text in it, on the line's baseline. */
function slotPainter(slots: SlotText[], origin: Rect): Painter {
  return (res) => {
    let ops = '';
    for (const s of slots) {
      const x = s.rect[0] - origin[0];
      const y = s.rect[1] - origin[1];
      const w = rectW(s.rect);
      const h = rectH(s.rect);
      ops += filledRect(x + 0.3, y, Math.max(0, w - 0.6), h, WHITE);
      const baseline = y + h * (DESCENT / (ASCENT + DESCENT));
      const block = res.text([s.text], {
        size: s.size,
        x,
        top: baseline + ASCENT * s.size,
        // Right-aligned text keeps a hair's breadth (0.6 pt) from the "/" of the notation.
        width: s.align === 'right' ? w - 0.6 : w,
        align: s.align ?? 'center',
      });
      ops += block.ops;
    }
    return ops;
  };
}

/**
 * Font size for `text` in a slot: 13 pt (VGCA's size for the number and date) when it fits with a
 * little air on both sides, smaller down to 9 pt when the slot is short ("ngày ... tháng").
 */
function slotSize(c: Ctx, text: string, slot: Rect): number {
  const font = c.fonts.font('regular');
  font.use(text);
  const w1 = font.measure(text, 1) || 1;
  const air = 0.3 * NUMBER_SIZE;
  return Math.max(9, Math.min(NUMBER_SIZE, (rectW(slot) - air) / w1));
}

async function planIssue(c: Ctx): Promise<Planned> {
  if (!c.req.sealImage) throw usage('roles.needOption', { option: '--seal-image', profile: 'issue' });
  const seal = loadSealImage(c.req.sealImage, c.req.sealSizeMm, c.warnings);
  const leader = await requireCompetentSignature(c.reader, c.req.input);
  const annotations: PlacedAnnotation[] = [];

  // 1. Number and date at their placeholders on page 1, as annotations of this revision.
  const ph = await c.view.index.placeholders(0);
  const page0 = await c.view.page(0);
  if (ph.number) {
    if (!c.req.docNumber) {
      throw usage('roles.needOption', { option: '--doc-number', profile: 'issue' });
    }
    const given = c.req.docNumber.trim();
    const text = numberPart(given, ph.number.lineText);
    // The layout prints the notation after the slot: the number goes against it, "123/QĐ-BTC".
    const align = text !== given || ph.number.lineText.includes('/') ? 'right' : 'center';
    const slot = toReadingRect(page0.frame, ph.number.slot.rect);
    const size = slotSize(c, text, slot);
    const tw = c.fonts.font('regular').measure(text, size);
    const left = align === 'right' ? slot[2] - 0.6 - tw : (slot[0] + slot[2]) / 2 - tw / 2;
    const rect: Rect = [Math.min(slot[0], left - 1), slot[1], Math.max(slot[2], left + tw + 1), slot[3]];
    annotations.push({
      kind: 'number',
      text: `Số: ${text}`,
      pageIndex: 0,
      rect,
      paint: slotPainter([{ rect: slot, text, size, align }], rect),
      checkCover: false,
      label: 'number',
    });
  } else if (c.req.docNumber) {
    c.warnings.push({
      code: 'no-placeholder',
      key: 'roles.warn.noNumberPlaceholder',
      params: { number: c.req.docNumber },
    });
  }
  const date: CalendarDate = c.req.docDate ? parseCalendarDate(c.req.docDate) : calendarDateOf(c.time, c.offset);
  if (ph.date) {
    const parts = decreeDateParts(date);
    const slots: SlotText[] = [];
    const add = (s: { rect: Rect; text: string }, text: string): void => {
      const r = toReadingRect(page0.frame, s.rect);
      slots.push({ rect: r, text, size: slotSize(c, text, r) });
    };
    add(ph.date.day, parts.day);
    add(ph.date.month, parts.month);
    const printedYear = ph.date.year.text;
    if (!/^\d{4}$/.test(printedYear)) add(ph.date.year, parts.year);
    else if (printedYear !== parts.year) {
      c.warnings.push({
        code: 'year-differs',
        key: 'roles.warn.yearDiffers',
        params: { printed: printedYear, year: parts.year },
      });
      add(ph.date.year, parts.year);
    }
    let rect = toReadingRect(page0.frame, ph.date.rect);
    for (const s of slots) {
      const tw = c.fonts.font('regular').measure(s.text, s.size);
      const cx = (s.rect[0] + s.rect[2]) / 2;
      rect = union(rect, [cx - tw / 2 - 1, s.rect[1], cx + tw / 2 + 1, s.rect[3]]);
    }
    annotations.push({
      kind: 'date',
      text: decreeDateText(date),
      pageIndex: 0,
      rect,
      paint: slotPainter(slots, rect),
      checkCover: false,
      label: 'date',
    });
  } else if (c.req.docDate) {
    c.warnings.push({ code: 'no-placeholder', key: 'roles.warn.noDatePlaceholder', params: { date: c.req.docDate } });
  }

  // 2. The seal: real size, its right edge a third of the way into the leader's signature.
  const sealLines = c.req.sealText ? [organisationName(c.facts), c.iso] : [];
  const sealTextSize = sealLines.length ? textBlockSize(c, sealLines, 8) : { w: 0, h: 0 };
  const paintSeal: Painter = (res, w, h) => {
    const textH = sealLines.length ? sealTextSize.h + 3 : 0;
    const f = fitImage({ width: seal.width, height: seal.height }, { x: 0, y: textH, width: w, height: h - textH });
    let ops = `${res.image(seal.png, f.x, f.y, f.width, f.height)}\n`;
    if (sealLines.length)
      ops += res.text(sealLines, { size: 8, colour: INK.red, x: 0, top: textH, width: w, align: 'center' }).ops;
    return ops;
  };
  const withText = (r: Rect): Rect => {
    if (!sealLines.length) return r;
    const w = Math.max(rectW(r), sealTextSize.w + 2);
    const cx = (r[0] + r[2]) / 2;
    return [cx - w / 2, r[1] - sealTextSize.h - 3, cx + w / 2, r[3]];
  };

  const explicit = await explicitRect(c);
  if (explicit) {
    return {
      widget: {
        pageIndex: explicit.view.pageIndex,
        rect: explicit.rect,
        paint: paintSeal,
        checkCover: true,
        label: 'seal',
      },
      annotations,
    };
  }
  let target: { pageIndex: number; rect: Rect } | null = null;
  if (c.req.anchor) {
    target = await bestMatch(c, [c.req.anchor], pagesToSearch(c));
    if (!target) throw new KysoError('USAGE', 'roles.anchorNotFound', { text: c.req.anchor });
  } else if (leader.rect && leader.pageIndex !== null) {
    const view = await c.view.page(leader.pageIndex);
    target = { pageIndex: leader.pageIndex, rect: toReadingRect(view.frame, leader.rect) };
  } else {
    // The leader signed invisibly: the seal goes where the leader's signature would be.
    const m = await bestMatch(c, [leader.commonName], [...Array(c.view.pageCount).keys()].reverse());
    if (!m) throw new KysoError('USAGE', 'roles.issue.leaderNotVisible', { name: leader.commonName });
    const view = await c.view.page(m.pageIndex);
    const above = lineAbove(view, m.rect);
    const bottom = m.rect[3] + 1;
    const top = above ? above.rect[1] - 1 : bottom + 75;
    target = {
      pageIndex: m.pageIndex,
      rect: inGap((m.rect[0] + m.rect[2]) / 2, bottom, top, { w: 0, h: 0, aspect: 3 }),
    };
  }
  const L = target.rect;
  const right = L[0] + rectW(L) / 3;
  const cy = (L[1] + L[3]) / 2;
  const sealRect: Rect = [right - seal.width, cy - seal.height / 2, right, cy + seal.height / 2];
  return {
    widget: {
      pageIndex: target.pageIndex,
      rect: withText(sealRect),
      paint: paintSeal,
      checkCover: true,
      label: 'seal',
    },
    annotations,
  };
}

// ---------------------------------------------------------------- appendix and copy

/** Right-aligned 10 pt black lines at the top right of page 1 (Decree 30, box 14 for copies). */
async function topRight(c: Ctx, lines: string[], label: string): Promise<Planned> {
  const size = textBlockSize(c, lines, INFO_SIZE);
  const w = size.w + 2;
  const h = size.h + 2;
  const paint: Painter = (res, bw, bh) =>
    res.text(lines, { size: INFO_SIZE, colour: INK.black, x: 0, top: bh - 1, width: bw - 1, align: 'right' }).ops;
  const explicit = await explicitRect(c);
  if (explicit)
    return {
      widget: { pageIndex: explicit.view.pageIndex, rect: explicit.rect, paint, checkCover: true, label },
      annotations: [],
    };
  if (c.req.anchor) {
    const m = await bestMatch(c, [c.req.anchor], pagesToSearch(c));
    if (!m) throw new KysoError('USAGE', 'roles.anchorNotFound', { text: c.req.anchor });
    const rect: Rect = [m.rect[2] - w, m.rect[1] - 3 - h, m.rect[2], m.rect[1] - 3];
    return { widget: { pageIndex: m.pageIndex, rect, paint, checkCover: true, label }, annotations: [] };
  }
  const pageIndex = c.req.pageIndex ?? 0;
  checkPage(c, pageIndex);
  const view = await c.view.page(pageIndex);
  const right = view.frame.width - 15 * MM; // the right margin of a Decree 30 page: 15–20 mm
  // 6 mm from the top edge, inside the 20–25 mm top margin; higher if text is in the way.
  const f = view.frame;
  let rect: Rect = [right - w, f.height - 6 * MM - h, right, f.height - 6 * MM];
  const blocked = (r: Rect): boolean =>
    coveredLines(view, r).length > 0 || view.annotations.some((a) => overlaps(a, r));
  if (blocked(rect)) {
    // Text or an earlier stamp in the corner (a tight CropBox, an appendix that is also a copy):
    // the nearest free place in the top right quarter, from the top and from the right.
    const spot = freeSpot(view, w, h, [f.width / 2, f.height / 2, right, f.height - MARGIN], {
      fromRight: true,
      step: 2,
    });
    if (spot) rect = spot;
  }
  return { widget: { pageIndex, rect, paint, checkCover: true, label }, annotations: [] };
}

async function planAppendix(c: Ctx): Promise<Planned> {
  if (!c.req.docNumber?.trim()) throw usage('roles.needOption', { option: '--doc-number', profile: 'appendix' });
  return topRight(c, [c.req.docNumber.trim(), c.iso], 'appendix');
}

async function planCopy(c: Ctx): Promise<Planned> {
  const type = parseCopyType(c.req.copyType ?? 'SAO Y');
  return topRight(c, [type, organisationName(c.facts), c.iso], 'copy');
}

// ---------------------------------------------------------------- received

/** A paper "ĐẾN" stamp is about 50 × 30 mm; ours grows with its text up to that width. */
const RECEIVED_W = 150;
const RECEIVED_MIN_W = 110;

async function planReceived(c: Ctx): Promise<Planned> {
  if (!c.req.docNumber?.trim()) throw usage('roles.needOption', { option: '--doc-number', profile: 'received' });
  const org = organisationName(c.facts).toLocaleUpperCase('vi');
  const date = c.req.docDate ? parseCalendarDate(c.req.docDate) : calendarDateOf(c.time, c.offset);
  const t = localFields(c.time, c.offset);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const right = [
    `Số: ${c.req.docNumber.trim()}`,
    `Ngày: ${shortDate(date)}`,
    `Giờ: ${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`,
  ];
  const bold = c.fonts.font('bold');
  bold.use(org);
  bold.use('ĐẾN');
  const orgSize = 8;
  const rightSize = textBlockSize(c, right, 9);
  const denW = bold.measure('ĐẾN', 14);
  const w = Math.max(RECEIVED_MIN_W, denW + rightSize.w + 22, Math.min(RECEIVED_W, bold.measure(org, orgSize) + 10));
  const orgLines = wrapCount(c, org, orgSize, w - 8);
  const orgH = orgLines * 1.15 * orgSize + (ASCENT + DESCENT - 1.15) * orgSize;
  const h = 4 + orgH + 3 + Math.max(rightSize.h, 14) + 5;
  const paint: Painter = (res, bw, bh) => {
    let ops = border(0, 0, bw, bh, INK.red, 1);
    const orgBlock = res.text(org, {
      face: 'bold',
      size: orgSize,
      colour: INK.red,
      x: 4,
      top: bh - 4,
      width: bw - 8,
      align: 'center',
    });
    ops += orgBlock.ops;
    const rowTop = orgBlock.box.y - 3;
    const rowH = Math.max(rightSize.h, 14);
    ops += res.text('ĐẾN', {
      face: 'bold',
      size: 14,
      colour: INK.red,
      x: 6,
      top: rowTop - (rowH - (ASCENT + DESCENT) * 14) / 2,
    }).ops;
    ops += res.text(right, { size: 9, colour: INK.red, x: 6 + denW + 10, top: rowTop }).ops;
    return ops;
  };
  const explicit = await explicitRect(c);
  if (explicit)
    return {
      widget: { pageIndex: explicit.view.pageIndex, rect: explicit.rect, paint, checkCover: true, label: 'received' },
      annotations: [],
    };
  const pageIndex = c.req.pageIndex ?? 0;
  checkPage(c, pageIndex);
  const view = await c.view.page(pageIndex);
  const f = view.frame;
  const spot =
    freeSpot(view, w, h, [MARGIN, f.height / 2, f.width / 2, f.height - MARGIN]) ??
    freeSpot(view, w, h, [MARGIN, f.height / 2, f.width - MARGIN, f.height - MARGIN]) ??
    freeSpot(view, w, h, pageRegion(view));
  const rect: Rect = spot ?? [MARGIN + 20, f.height - MARGIN - 20 - h, MARGIN + 20 + w, f.height - MARGIN - 20];
  return { widget: { pageIndex, rect, paint, checkCover: true, label: 'received' }, annotations: [] };
}

function wrapCount(c: Ctx, text: string, size: number, width: number): number {
  const font = c.fonts.font('bold');
  const words = text.split(/\s+/).filter(Boolean);
  let lines = 1;
  let line = '';
  for (const word of words) {
    const cand = line ? `${line} ${word}` : word;
    if (line && font.measure(cand, size) > width) {
      lines++;
      line = word;
    } else line = cand;
  }
  return lines;
}

// ---------------------------------------------------------------- comment (bút phê)

const DIRECTIVE_W = 200;
const DIRECTIVE_SIZE = 11;

async function planComment(c: Ctx): Promise<Planned> {
  const text = c.req.comment?.trim();
  if (!text) throw usage('roles.needOption', { option: '--comment', profile: 'comment' });
  const img = c.req.signatureImage ? loadSignatureImage(c.req.signatureImage, c.warnings) : null;
  const font = c.fonts.font('regular');
  font.use(text);
  const sigLines = [c.facts.commonName, c.iso];
  const sigText = textBlockSize(c, sigLines, 8);

  // Directive text wrapped to the block width; the signature below it.
  const lineCount = (width: number): number => {
    let n = 0;
    for (const para of text.split(/\r\n|\r|\n/)) {
      let line = '';
      n++;
      for (const word of para.split(/ +/).filter(Boolean)) {
        const cand = line ? `${line} ${word}` : word;
        if (line && font.measure(cand, DIRECTIVE_SIZE) > width) {
          n++;
          line = word;
        } else line = cand;
      }
    }
    return n;
  };
  const sigH = (img ? 26 : 0) + sigText.h + 4;
  const textH = (n: number): number => (ASCENT + DESCENT) * DIRECTIVE_SIZE + (n - 1) * 1.15 * DIRECTIVE_SIZE + 4;

  let pageIndex: number;
  let block: Rect;
  const explicit = await explicitRect(c);
  if (explicit) {
    pageIndex = explicit.view.pageIndex;
    block = explicit.rect;
  } else {
    const n = lineCount(DIRECTIVE_W - 4);
    const h = textH(n) + sigH;
    if (c.req.anchor) {
      const m = await bestMatch(c, [c.req.anchor], pagesToSearch(c));
      if (!m) throw new KysoError('USAGE', 'roles.anchorNotFound', { text: c.req.anchor });
      pageIndex = m.pageIndex;
      block = [m.rect[0], m.rect[1] - 4 - h, m.rect[0] + DIRECTIVE_W, m.rect[1] - 4];
    } else {
      pageIndex = c.req.pageIndex ?? 0;
      checkPage(c, pageIndex);
      const view = await c.view.page(pageIndex);
      const spot = freeSpot(view, DIRECTIVE_W, h, pageRegion(view));
      const f = view.frame;
      block = spot ?? [MARGIN + 20, f.height - MARGIN - 20 - h, MARGIN + 20 + DIRECTIVE_W, f.height - MARGIN - 20];
    }
  }
  const directiveH = Math.max(rectH(block) - sigH, textH(1));
  const directiveRect: Rect = [block[0], block[3] - directiveH, block[2], block[3]];
  const sigRect: Rect = [block[0], block[1], block[2], block[3] - directiveH];
  const paintDirective: Painter = (res, w, h) =>
    res.text(text, { size: DIRECTIVE_SIZE, colour: INK.blue, x: 2, top: h - 2, width: w - 4 }).ops;
  const paintSignature: Painter = (res, w, h) => {
    let ops = '';
    if (img) {
      const f = fitImage(
        { width: img.png.width, height: img.png.height },
        { x: 2, y: h - 26, width: Math.min(w - 4, 90), height: 24 },
      );
      ops += `${res.image(img.png, f.x, f.y, f.width, f.height)}\n`;
    }
    ops += res.text(sigLines, { size: 8, colour: INK.blue, x: 2, top: h - (img ? 27 : 1), width: w - 4 }).ops;
    return ops;
  };
  const planned: Planned = {
    widget: { pageIndex, rect: sigRect, paint: paintSignature, checkCover: true, label: 'signature' },
    annotations: [
      {
        kind: 'directive',
        text,
        pageIndex,
        rect: directiveRect,
        paint: paintDirective,
        checkCover: true,
        label: 'directive',
      },
    ],
  };
  if (c.req.ink && c.req.ink.length > 0) planned.ink = { pageIndex, lines: c.req.ink };
  return planned;
}

// ---------------------------------------------------------------- the plan

const PLANNERS: Record<RoleProfile, (c: Ctx) => Promise<Planned>> = {
  approval: planApproval,
  initials: planInitials,
  issue: planIssue,
  appendix: planAppendix,
  copy: planCopy,
  received: planReceived,
  comment: planComment,
};

/** Checks the profile's certificate kind, finds where everything goes and prepares the drawing. */
export async function planRole(req: RoleRequest): Promise<RolePlan> {
  const facts = signerFacts(req.signerCertDer);
  requireKind(req.profile, facts);
  const time = req.signingTime ?? new Date();
  const offset = req.offsetMinutes ?? VIETNAM_OFFSET_MINUTES;
  const warnings: RoleWarning[] = [];
  const fonts = new StampFonts();
  const reader = openForSigning(req.input);
  let view: DocumentView | null = null;
  let planned: Planned;
  const frames = new Map<number, ReadingFrame>();
  const finals: Array<{ placed: Placed; visible: Rect }> = [];
  try {
    view = await DocumentView.open(reader, req.input);
    const c: Ctx = { req, facts, time, offset, iso: isoWithOffset(time, offset), fonts, warnings, view, reader };
    planned = await PLANNERS[req.profile](c);
    // Final rects: inside the page, in visible coordinates; report text a stamp covers.
    for (const placed of [planned.widget, ...planned.annotations]) {
      const pv = await view.page(placed.pageIndex);
      frames.set(placed.pageIndex, pv.frame);
      const clamped = clampReading(pv.frame, placed.rect);
      if (clamped.moved) {
        warnings.push({
          code: 'moved-inside-page',
          key: 'roles.warn.movedInsidePage',
          params: { what: placed.label, page: placed.pageIndex + 1 },
        });
      }
      placed.rect = clamped.rect;
      const visible = clampToPage(pv.page, toVisibleRect(pv.frame, placed.rect)).rect;
      finals.push({ placed, visible });
      if (placed.checkCover) {
        // The toolkit's own test, on the final visible rectangle.
        const covered = coveredText(visible, await view.index.textBoxes(placed.pageIndex));
        if (covered.length > 0) {
          warnings.push({
            code: 'covers-text',
            key: 'roles.warn.coversText',
            params: {
              what: placed.label,
              page: placed.pageIndex + 1,
              text: covered
                .slice(0, 3)
                .map((l) => `"${l.text.length > 40 ? `${l.text.slice(0, 40)}…` : l.text}"`)
                .join(', '),
            },
          });
        }
      }
    }
    if (planned.ink) {
      const pv = await view.page(planned.ink.pageIndex);
      frames.set(planned.ink.pageIndex, pv.frame);
    }
  } finally {
    await view?.close();
    reader.close();
  }
  await fonts.finalize();

  const imageRefs = new WeakMap<DecodedPng, PdfRef>();
  const author = facts.commonName;
  const widgetFinal = finals[0]!;
  const annotationFinals = finals.slice(1) as Array<{ placed: PlacedAnnotation; visible: Rect }>;
  const ink = planned.ink;
  const added: AddedAnnotation[] = annotationFinals.map(({ placed, visible }) => ({
    kind: placed.kind,
    subtype: 'FreeText',
    pageIndex: placed.pageIndex,
    rect: visible,
    text: placed.text,
  }));
  let inkRect: Rect | null = null;
  if (ink) {
    const pts = ink.lines.flat();
    inkRect = [
      Math.min(...pts.map((p) => p[0])) - 2,
      Math.min(...pts.map((p) => p[1])) - 2,
      Math.max(...pts.map((p) => p[0])) + 2,
      Math.max(...pts.map((p) => p[1])) + 2,
    ];
    added.push({ kind: 'ink', subtype: 'Ink', pageIndex: ink.pageIndex, rect: inkRect });
  }

  const done = new WeakSet<IncrementalUpdate>();
  const stamp = Date.now().toString(36);
  const prepare =
    annotationFinals.length > 0 || ink
      ? (rdr: PdfReader, update: IncrementalUpdate): void => {
          if (done.has(update)) return;
          done.add(update);
          const pages = rdr.pages();
          annotationFinals.forEach(({ placed, visible }, i) => {
            const frame = frames.get(placed.pageIndex)!;
            const res = new StampResources(update, fonts, imageRefs);
            const w = rectW(placed.rect);
            const h = rectH(placed.rect);
            addAnnotation(rdr, update, {
              subtype: 'FreeText',
              page: pages[placed.pageIndex]!,
              rect: visible,
              content: appearanceContent(frame.angle, w, h, placed.paint(res, w, h)),
              resources: res.dict(),
              text: placed.text,
              author,
              time,
              id: `kyso-${req.profile}-${placed.kind}-${stamp}-${i}`,
            });
          });
          if (ink && inkRect) {
            const page = pages[ink.pageIndex]!;
            const r = inkRect;
            const local = ink.lines.map((l) => l.map(([x, y]) => [x - r[0], y - r[1]] as const));
            addAnnotation(rdr, update, {
              subtype: 'Ink',
              page,
              rect: r,
              content: strokePolylines(local, INK.blue, 1.5),
              resources: new PdfDict(),
              text: req.comment ?? '',
              author,
              time,
              id: `kyso-${req.profile}-ink-${stamp}`,
              extra: (d) => {
                d.set(
                  'InkList',
                  ink.lines.map((l) => l.flatMap(([x, y]) => visiblePointToUser(page, x, y))),
                );
                d.set('C', [...INK.blue]);
                d.set('BS', new PdfDict().set('W', 1.5).set('S', PdfName.of('S')));
              },
            });
          }
        }
      : undefined;

  const wFrame = frames.get(widgetFinal.placed.pageIndex)!;
  const wPlaced = widgetFinal.placed;
  const plan: RolePlan = {
    profile: req.profile,
    placement: {
      pageIndex: wPlaced.pageIndex,
      rect: widgetFinal.visible,
      appearance: (_w, _h, update) => {
        // The annotations belong to this revision whether or not the caller passed `prepare`.
        prepare?.(update.reader, update);
        const res = new StampResources(update, fonts, imageRefs);
        const w = rectW(wPlaced.rect);
        const h = rectH(wPlaced.rect);
        const ops = appearanceContent(wFrame.angle, w, h, wPlaced.paint(res, w, h));
        return { content: Buffer.from(ops, 'latin1'), resources: res.dict() };
      },
      signingTime: time,
      name: facts.commonName,
      reason: req.reason ?? (req.profile === 'copy' ? parseCopyType(req.copyType ?? 'SAO Y') : REASONS[req.profile]),
      ...(req.location ? { location: req.location } : {}),
    },
    annotations: added,
    warnings,
    signer: { commonName: facts.commonName, organisation: facts.organisation, kind: facts.kind },
  };
  if (prepare) plan.prepare = prepare;
  return plan;
}
