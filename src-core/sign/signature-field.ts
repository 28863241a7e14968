/**
 * Adds a signature field (merged field + widget), its appearance and the signature dictionary
 * to an incremental update: page /Annots and /AcroForm /Fields updated wherever they live
 * (direct, indirect, inside an object stream), /SigFlags 3, /NeedAppearances removed, and the
 * ESIC extension declared for PDF < 2.0 (PAdES, ETSI EN 319 142-1 §5.3).
 */
import { KysoError } from '../../src-shared/errors.js';
import type { IncrementalUpdate } from '../pdf/incremental-writer.js';
import type { PdfRef } from '../pdf/objects.js';
import {
  PdfDict,
  PdfName,
  PdfRaw,
  PdfStream,
  PdfString,
  isArray,
  isDict,
  isName,
  isNumber,
  isRef,
  type PdfObject,
} from '../pdf/objects.js';
import type { PageInfo, PdfReader } from '../pdf/reader.js';
import { fieldMdpReference, lockDict, type FieldLock } from './field-lock.js';
import { appearanceMatrix, visibleRectToUser, type Rect } from './placement.js';

export const BYTE_RANGE_PLACEHOLDER = '[0 ********** ********** **********]';

export interface AppearanceContent {
  /** Content stream drawn in visible orientation, BBox [0 0 width height]. */
  content: Buffer;
  /** Extra /Resources for the appearance (fonts, images as refs already in the update). */
  resources?: PdfDict;
}

export interface FieldOptions {
  /** Signature dictionary /Type: /Sig (default) or /DocTimeStamp. */
  kind: 'sig' | 'doc-timestamp';
  /** 0-based page; default last page for invisible signatures. */
  pageIndex?: number;
  /** Visible rectangle in visible-page coordinates; absent = invisible. */
  rect?: Rect;
  /** Draws the stamp; may embed fonts and images into the same update. */
  appearance?: (width: number, height: number, update: IncrementalUpdate, page: PageInfo) => AppearanceContent;
  fieldName?: string;
  reason?: string;
  location?: string;
  name?: string;
  contactInfo?: string;
  signingTime?: Date;
  /** Hex digits reserved for /Contents (2 per byte of CMS). */
  contentsHexLength: number;
  /**
   * Makes this a certification signature with DocMDP permission P (1: no changes, 2: form
   * filling and signing, 3: also annotations). Only the first signature may certify.
   */
  certify?: 1 | 2 | 3;
  /** FieldMDP: form fields this signature locks (changing them later breaks the signature). */
  lockFields?: FieldLock;
}

export interface FieldRefs {
  sigRef: PdfRef;
  fieldRef: PdfRef;
  fieldName: string;
  page: PageInfo;
}

/** PDF date with the signer's UTC offset, e.g. D:20261204101530+07'00'. */
export function pdfDate(d: Date, offsetMinutes = -d.getTimezoneOffset()): string {
  const local = new Date(d.getTime() + offsetMinutes * 60000);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const off = Math.abs(offsetMinutes);
  return (
    `D:${p(local.getUTCFullYear(), 4)}${p(local.getUTCMonth() + 1)}${p(local.getUTCDate())}` +
    `${p(local.getUTCHours())}${p(local.getUTCMinutes())}${p(local.getUTCSeconds())}${sign}${p(Math.floor(off / 60))}'${p(off % 60)}'`
  );
}

/** Every fully qualified field name in the form (bounded walk through /Kids). */
export function existingFieldNames(reader: PdfReader, fields: PdfObject | undefined): Set<string> {
  const names = new Set<string>();
  const seen = new Set<string>();
  const walk = (list: PdfObject | undefined, prefix: string, depth: number): void => {
    const arr = reader.resolveValue(list);
    if (!isArray(arr) || depth > 32) return;
    for (const item of arr) {
      if (isRef(item)) {
        if (seen.has(item.key)) continue;
        seen.add(item.key);
      }
      const d = reader.dictOf(item);
      if (!d) continue;
      const t = reader.resolveValue(d.get('T'));
      const full = t instanceof PdfString ? (prefix ? `${prefix}.${t.text()}` : t.text()) : prefix;
      if (t instanceof PdfString) names.add(full);
      walk(d.get('Kids'), full, depth + 1);
    }
  };
  walk(fields, '', 0);
  return names;
}

function hasSignatures(reader: PdfReader, fields: PdfObject | undefined): boolean {
  const arr = reader.resolveValue(fields);
  if (!isArray(arr)) return false;
  return arr.some((f) => {
    const d = reader.dictOf(f);
    return d !== null && isName(reader.resolveValue(d.get('FT')), 'Sig') && d.has('V');
  });
}

/** DocMDP P=1 (no changes allowed) found in the catalog's /Perms. */
export function docMdpLevel(reader: PdfReader): number | null {
  const perms = reader.dictOf(reader.catalog().get('Perms'));
  const sig = perms ? reader.dictOf(perms.get('DocMDP')) : null;
  if (!sig) return null;
  const refs = reader.resolveValue(sig.get('Reference'));
  if (!isArray(refs)) return 2;
  for (const r of refs) {
    const ref = reader.dictOf(r);
    const params = ref ? reader.dictOf(ref.get('TransformParams')) : null;
    const p = params ? reader.resolveValue(params.get('P')) : undefined;
    if (isNumber(p)) return p;
  }
  return 2;
}

export function addSignatureField(reader: PdfReader, update: IncrementalUpdate, opts: FieldOptions): FieldRefs {
  const pages = reader.pages();
  if (pages.length === 0) throw new KysoError('INPUT_MALFORMED', 'error.inputMalformed', { detail: 'no pages' });
  const pageIndex = opts.pageIndex ?? pages.length - 1;
  const page = pages[pageIndex];
  if (!page) {
    throw new KysoError('USAGE', 'error.usage', {
      detail: `--page ${pageIndex + 1}: the document has ${pages.length} page(s)`,
    });
  }

  const catalog = editable(reader, update, reader.rootRef);
  // AcroForm: indirect (edit that object) or direct in the catalog (edit the catalog) or absent.
  let acroRef: PdfRef | null = null;
  let acro: PdfDict;
  const acroEntry = catalog.get('AcroForm');
  if (isRef(acroEntry)) {
    acroRef = acroEntry;
    acro = editable(reader, update, acroEntry);
  } else if (isDict(acroEntry)) {
    acro = acroEntry.clone();
    catalog.set('AcroForm', acro);
  } else {
    acro = new PdfDict();
    acroRef = update.allocate();
    update.set(acroRef, acro);
    catalog.set('AcroForm', acroRef);
  }

  const fieldsEntry = acro.get('Fields');
  const names = existingFieldNames(reader, fieldsEntry);
  let fieldName = opts.fieldName ?? '';
  if (fieldName && names.has(fieldName)) {
    throw new KysoError('USAGE', 'error.usage', { detail: `a field named "${fieldName}" already exists` });
  }
  if (!fieldName) {
    const base = opts.kind === 'doc-timestamp' ? 'DocTimeStamp' : 'Signature';
    for (let i = 1; ; i++) {
      if (!names.has(`${base}${i}`)) {
        fieldName = `${base}${i}`;
        break;
      }
    }
  }

  // Signature dictionary with fixed-width placeholders patched after hashing.
  const sigRef = update.allocate();
  const sig = new PdfDict();
  if (opts.kind === 'doc-timestamp') {
    sig.set('Type', PdfName.of('DocTimeStamp'));
    sig.set('Filter', PdfName.of('Adobe.PPKLite'));
    sig.set('SubFilter', PdfName.of('ETSI.RFC3161'));
  } else {
    sig.set('Type', PdfName.of('Sig'));
    sig.set('Filter', PdfName.of('Adobe.PPKLite'));
    sig.set('SubFilter', PdfName.of('ETSI.CAdES.detached'));
    if (opts.signingTime) sig.set('M', new PdfString(Buffer.from(pdfDate(opts.signingTime), 'latin1')));
    if (opts.name) sig.set('Name', PdfString.fromText(opts.name));
    if (opts.reason) sig.set('Reason', PdfString.fromText(opts.reason));
    if (opts.location) sig.set('Location', PdfString.fromText(opts.location));
    if (opts.contactInfo) sig.set('ContactInfo', PdfString.fromText(opts.contactInfo));
  }
  if (opts.certify !== undefined) {
    if (existingFieldNames(reader, fieldsEntry).size > 0 && hasSignatures(reader, fieldsEntry)) {
      throw new KysoError('USAGE', 'error.usage', { detail: 'a certification signature must be the first signature' });
    }
  }
  const references: PdfDict[] = [];
  if (opts.certify !== undefined) {
    references.push(
      new PdfDict()
        .set('Type', PdfName.of('SigRef'))
        .set('TransformMethod', PdfName.of('DocMDP'))
        .set(
          'TransformParams',
          new PdfDict().set('Type', PdfName.of('TransformParams')).set('P', opts.certify).set('V', PdfName.of('1.2')),
        ),
    );
  }
  if (opts.lockFields) {
    if (opts.kind !== 'sig')
      throw new KysoError('USAGE', 'error.usage', { detail: 'a document timestamp locks no field' });
    references.push(fieldMdpReference(opts.lockFields, reader.rootRef));
  }
  if (references.length > 0) sig.set('Reference', references);
  sig.set('ByteRange', new PdfRaw(Buffer.from(BYTE_RANGE_PLACEHOLDER, 'latin1')));
  // /Contents last: its offset is found right after the ByteRange placeholder.
  sig.set('Contents', new PdfRaw(Buffer.from(`<${'0'.repeat(opts.contentsHexLength)}>`, 'latin1')));
  update.set(sigRef, sig);

  // Field + widget, merged.
  const fieldRef = update.allocate();
  const rect = opts.rect ? visibleRectToUser(page, opts.rect) : ([0, 0, 0, 0] as const);
  const vw = opts.rect ? opts.rect[2] - opts.rect[0] : 0;
  const vh = opts.rect ? opts.rect[3] - opts.rect[1] : 0;
  const ap = opts.rect && opts.appearance ? opts.appearance(vw, vh, update, page) : { content: Buffer.alloc(0) };
  const apRef = update.allocate();
  const apDict = new PdfDict()
    .set('Type', PdfName.of('XObject'))
    .set('Subtype', PdfName.of('Form'))
    .set('BBox', [0, 0, vw, vh])
    .set('Resources', ap.resources ?? new PdfDict());
  if (page.rotate !== 0 && opts.rect) apDict.set('Matrix', appearanceMatrix(page.rotate, vw, vh));
  update.set(apRef, new PdfStream(apDict, { kind: 'bytes', data: ap.content }));

  const field = new PdfDict()
    .set('Type', PdfName.of('Annot'))
    .set('Subtype', PdfName.of('Widget'))
    .set('FT', PdfName.of('Sig'))
    .set('T', PdfString.fromText(fieldName))
    .set('V', sigRef)
    // Print (4) + Locked (128): printed, and the widget cannot be moved or deleted.
    .set('F', 132)
    .set('P', page.ref)
    .set('Rect', [...rect])
    .set('AP', new PdfDict().set('N', apRef));
  if (opts.lockFields) field.set('Lock', lockDict(opts.lockFields));
  update.set(fieldRef, field);

  // /Fields: an indirect array is edited in place; a direct one is replaced in /AcroForm.
  if (isRef(fieldsEntry)) {
    const arr = reader.resolveValue(update.get(fieldsEntry) ?? fieldsEntry);
    update.set(fieldsEntry, [...(isArray(arr) ? arr : []), fieldRef]);
  } else {
    acro.set('Fields', [...(isArray(fieldsEntry) ? fieldsEntry : []), fieldRef]);
  }
  const flags = reader.resolveValue(acro.get('SigFlags'));
  acro.set('SigFlags', (isNumber(flags) ? flags : 0) | 3);
  acro.delete('NeedAppearances');

  // Page /Annots likewise.
  const pageDict = editable(reader, update, page.ref);
  const annots = pageDict.get('Annots');
  if (isRef(annots)) {
    const arr = reader.resolveValue(update.get(annots) ?? annots);
    update.set(annots, [...(isArray(arr) ? arr : []), fieldRef]);
  } else {
    pageDict.set('Annots', [...(isArray(annots) ? annots : []), fieldRef]);
  }

  if (opts.certify !== undefined) {
    const perms = catalog.get('Perms');
    const permsDict = isDict(perms) ? perms.clone() : new PdfDict();
    permsDict.set('DocMDP', sigRef);
    catalog.set('Perms', permsDict);
  }
  declareEsic(reader, update, catalog);
  return { sigRef, fieldRef, fieldName, page };
}

/**
 * A copy of the object at ref, registered in the update so later edits land in it. Objects in
 * object streams are rewritten as plain objects with the same number, which an update allows.
 */
function editable(reader: PdfReader, update: IncrementalUpdate, ref: PdfRef): PdfDict {
  const existing = update.get(ref);
  if (isDict(existing)) return existing;
  const d = reader.dictOf(ref);
  if (!d)
    throw new KysoError('INPUT_MALFORMED', 'error.inputMalformed', { detail: `object ${ref.key} is not a dictionary` });
  const copy = d.clone();
  update.set(ref, copy);
  return copy;
}

function declareEsic(reader: PdfReader, update: IncrementalUpdate, catalog: PdfDict): void {
  if (Number(reader.version) >= 2) return;
  const ext = catalog.get('Extensions');
  const extDict = isRef(ext) ? editable(reader, update, ext) : isDict(ext) ? ext.clone() : new PdfDict();
  if (!isRef(ext)) catalog.set('Extensions', extDict);
  if (!extDict.has('ESIC')) {
    extDict.set('ESIC', new PdfDict().set('BaseVersion', PdfName.of('1.7')).set('ExtensionLevel', 2));
  }
  if (!isName(catalog.get('Type'), 'Catalog')) catalog.set('Type', PdfName.of('Catalog'));
}
