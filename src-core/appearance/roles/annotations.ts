/**
 * Annotations written in the same revision as a signature: the number and the date at issue, the
 * leader's directive and its ink strokes. An added annotation is an allowed change after a
 * signature (ISO 32000-1 §12.8.2.2, DocMDP P=3 and unrestricted documents), a change to the page
 * content would not be: the leader's earlier signature stays valid because the page is only given
 * a longer /Annots array.
 *
 * Each annotation carries its own appearance stream (/AP /N), drawn in visible orientation with
 * BBox [0 0 w h] and the same /Matrix a signature widget gets on a rotated page, so viewers show
 * exactly what was laid out with the embedded font instead of regenerating it from /DA.
 */
import type { IncrementalUpdate } from '../../pdf/incremental-writer.js';
import {
  PdfDict,
  PdfName,
  PdfStream,
  PdfString,
  isArray,
  isDict,
  isNumber,
  isRef,
  type PdfObject,
  type PdfRef,
} from '../../pdf/objects.js';
import type { PageInfo, PdfReader } from '../../pdf/reader.js';
import { appearanceMatrix, visibleRectToUser, visibleSize, type Rect } from '../../sign/placement.js';
import { pdfDate } from '../../sign/signature-field.js';

/** /Rect in user space → visible-page rectangle (inverse of visibleRectToUser). */
export function userRectToVisible(page: PageInfo, r: Rect): Rect {
  const [cx0, cy0, cx1, cy1] = page.cropBox;
  const W = cx1 - cx0;
  const H = cy1 - cy0;
  const map = (ux: number, uy: number): [number, number] => {
    const px = ux - cx0;
    const py = uy - cy0;
    switch (page.rotate) {
      case 90:
        return [py, W - px];
      case 180:
        return [W - px, H - py];
      case 270:
        return [H - py, px];
      default:
        return [px, py];
    }
  };
  const a = map(r[0], r[1]);
  const b = map(r[2], r[3]);
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[0], b[0]), Math.max(a[1], b[1])];
}

/** Visible point → user space (a degenerate rect through visibleRectToUser). */
export function visiblePointToUser(page: PageInfo, x: number, y: number): [number, number] {
  const r = visibleRectToUser(page, [x, y, x, y]);
  return [r[0], r[1]];
}

/** Rectangles (visible coordinates) of the annotations already on a page, hidden ones excepted. */
export function existingAnnotationRects(reader: PdfReader, page: PageInfo): Rect[] {
  const out: Rect[] = [];
  const annots = reader.resolveValue(page.dict.get('Annots'));
  if (!isArray(annots)) return out;
  for (const a of annots.slice(0, 5000)) {
    const d = reader.dictOf(a);
    if (!d) continue;
    const subtype = reader.resolveValue(d.get('Subtype'));
    if (subtype instanceof PdfName && (subtype.name === 'Popup' || subtype.name === 'Link')) continue;
    const f = reader.resolveValue(d.get('F'));
    if (isNumber(f) && (f & 2) !== 0) continue;
    const r = reader.rect(d.get('Rect'));
    if (!r || r[2] - r[0] <= 0 || r[3] - r[1] <= 0) continue;
    out.push(userRectToVisible(page, r));
  }
  return out;
}

/** The page dictionary as it stands in this update (a copy registered in it on first edit). */
function editablePage(reader: PdfReader, update: IncrementalUpdate, page: PageInfo): PdfDict {
  const existing = update.get(page.ref);
  if (isDict(existing)) return existing;
  const d = (reader.dictOf(page.ref) ?? page.dict).clone();
  update.set(page.ref, d);
  return d;
}

/** Appends `ref` to the page's /Annots (indirect arrays edited in place, as signature-field.ts does). */
export function appendToAnnots(reader: PdfReader, update: IncrementalUpdate, page: PageInfo, ref: PdfRef): void {
  const pageDict = editablePage(reader, update, page);
  const annots = pageDict.get('Annots');
  if (isRef(annots)) {
    const arr = reader.resolveValue(update.get(annots) ?? annots);
    update.set(annots, [...(isArray(arr) ? (arr as PdfObject[]) : []), ref]);
  } else {
    pageDict.set('Annots', [...(isArray(annots) ? annots : []), ref]);
  }
}

/** Annotation flags: Print (4) + Locked (128) + LockedContents (512). */
const FLAGS = 4 | 128 | 512;

export interface AnnotationSpec {
  subtype: 'FreeText' | 'Ink';
  page: PageInfo;
  /** Visible-page rectangle. */
  rect: Rect;
  /** Appearance drawn in visible orientation, BBox [0 0 w h]. */
  content: string;
  resources: PdfDict;
  /** /Contents: the annotation's text for search, accessibility and review panels. */
  text: string;
  /** /T: who wrote it. */
  author?: string;
  time?: Date;
  /** Unique /NM. */
  id: string;
  /** Extra entries (/InkList, /C, …). */
  extra?: (dict: PdfDict) => void;
}

export function addAnnotation(reader: PdfReader, update: IncrementalUpdate, spec: AnnotationSpec): PdfRef {
  const [vw, vh] = [spec.rect[2] - spec.rect[0], spec.rect[3] - spec.rect[1]];
  const form = new PdfDict()
    .set('Type', PdfName.of('XObject'))
    .set('Subtype', PdfName.of('Form'))
    .set('BBox', [0, 0, vw, vh])
    .set('Resources', spec.resources);
  if (spec.page.rotate !== 0) form.set('Matrix', appearanceMatrix(spec.page.rotate, vw, vh));
  const apRef = update.allocate();
  update.set(apRef, new PdfStream(form, { kind: 'bytes', data: Buffer.from(spec.content, 'latin1') }));

  const dict = new PdfDict()
    .set('Type', PdfName.of('Annot'))
    .set('Subtype', PdfName.of(spec.subtype))
    .set('Rect', [...visibleRectToUser(spec.page, spec.rect)])
    .set('Contents', PdfString.fromText(spec.text))
    .set('NM', PdfString.fromText(spec.id))
    .set('F', FLAGS)
    .set('P', spec.page.ref)
    .set('Border', [0, 0, 0])
    .set('AP', new PdfDict().set('N', apRef));
  if (spec.author) dict.set('T', PdfString.fromText(spec.author));
  if (spec.time) dict.set('M', new PdfString(Buffer.from(pdfDate(spec.time), 'latin1')));
  if (spec.subtype === 'FreeText') {
    // Required by the standard; viewers draw the /AP above, which uses the embedded font.
    dict.set('DA', PdfString.fromText('0 g /Helv 12 Tf'));
    dict.set('BS', new PdfDict().set('W', 0));
    dict.set('Q', 0);
  }
  spec.extra?.(dict);
  const ref = update.allocate();
  update.set(ref, dict);
  appendToAnnots(reader, update, spec.page, ref);
  return ref;
}

/** The visible size of a page (re-exported for the role code). */
export function pageVisibleSize(page: PageInfo): [number, number] {
  return visibleSize(page);
}
