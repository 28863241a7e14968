/**
 * Difference analysis after a signature (validator checklist 8), reject by default: every object
 * that a later revision adds, changes or frees must be explained by an allowed kind of change —
 * DSS/VRI and document timestamps (LTA updates), new signature fields and their filling or form
 * values (form filling), annotations — otherwise it is a modification of the signed document
 * (page content, page tree, catalog entries, freed objects, references re-pointed at objects
 * planted earlier). The levels follow pyHanko's ordering.
 */
import {
  PdfDict,
  PdfName,
  PdfRaw,
  PdfRef,
  PdfStream,
  PdfString,
  isArray,
  isDict,
  isName,
  isRef,
  type PdfObject,
} from '../pdf/objects.js';
import { PdfFilterError } from '../pdf/filters.js';
import { PdfSyntaxError } from '../pdf/parser.js';
import { PdfReadError, type PdfReader } from '../pdf/reader.js';

export type ModificationLevel = 'NONE' | 'LTA_UPDATES' | 'FORM_FILLING' | 'ANNOTATIONS' | 'OTHER';
const ORDER: ModificationLevel[] = ['NONE', 'LTA_UPDATES', 'FORM_FILLING', 'ANNOTATIONS', 'OTHER'];
export const maxLevel = (a: ModificationLevel, b: ModificationLevel): ModificationLevel =>
  ORDER.indexOf(a) >= ORDER.indexOf(b) ? a : b;

export interface Change {
  /** "num gen" of the object. */
  object: string;
  level: ModificationLevel;
  /** Stable code: 'dss', 'new-signature-field', 'page-content-changed', … */
  what: string;
  /** 0 = newest revision. */
  section: number;
}

export interface DiffResult {
  level: ModificationLevel;
  changes: Change[];
  /** New signature widgets with a visible rectangle (matters under certification). */
  visibleSignatureWidgetsAdded: number;
  /** Names of form fields whose values changed, signature fields signed included (for FieldMDP). */
  changedFieldNames: string[];
}

const ALLOWED_CATALOG_CHANGES = new Set(['DSS', 'AcroForm', 'Extensions', 'Metadata', 'Version']);
const ALLOWED_ACROFORM_CHANGES = new Set(['Fields', 'SigFlags', 'NeedAppearances', 'DR', 'DA']);

/** Structural equality of two objects (references by number, streams by dictionary and bytes). */
export function sameObject(
  a: PdfObject | undefined,
  b: PdfObject | undefined,
  ra: PdfReader,
  rb: PdfReader,
  depth = 0,
): boolean {
  if (depth > 64) return false;
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return a === b;
  if (typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (a instanceof PdfName || b instanceof PdfName) return a === b;
  if (a instanceof PdfRef && b instanceof PdfRef) return a.num === b.num && a.gen === b.gen;
  if (a instanceof PdfString && b instanceof PdfString) return a.bytes.equals(b.bytes);
  if (a instanceof PdfRaw && b instanceof PdfRaw) return a.bytes.equals(b.bytes);
  if (isArray(a) && isArray(b))
    return a.length === b.length && a.every((x, i) => sameObject(x, b[i], ra, rb, depth + 1));
  if (a instanceof PdfStream && b instanceof PdfStream) {
    if (!sameObject(a.dict, b.dict, ra, rb, depth + 1)) return false;
    try {
      return ra.rawStreamBytes(a).equals(rb.rawStreamBytes(b));
    } catch {
      return false;
    }
  }
  if (a instanceof PdfDict && b instanceof PdfDict) {
    if (a.map.size !== b.map.size) return false;
    for (const [k, v] of a.map) if (!b.has(k) || !sameObject(v, b.get(k), ra, rb, depth + 1)) return false;
    return true;
  }
  return false;
}

function changedKeys(a: PdfDict, b: PdfDict, ra: PdfReader, rb: PdfReader): string[] {
  const keys = new Set([...a.map.keys(), ...b.map.keys()]);
  return [...keys].filter((k) => !sameObject(a.get(k), b.get(k), ra, rb));
}

/** An array that kept its old elements in order and only appended new ones. */
function appendedRefs(
  oldArr: PdfObject | undefined,
  newArr: PdfObject | undefined,
  ro: PdfReader,
  rn: PdfReader,
): PdfRef[] | null {
  const a = ro.resolveValue(oldArr);
  const b = rn.resolveValue(newArr);
  const av = isArray(a) ? a : [];
  if (!isArray(b) || b.length < av.length) return null;
  for (let i = 0; i < av.length; i++) if (!sameObject(av[i], b[i], ro, rn)) return null;
  const added = b.slice(av.length);
  return added.every(isRef) ? (added as PdfRef[]) : null;
}

function isSigField(d: PdfDict, r: PdfReader): boolean {
  if (isName(r.resolveValue(d.get('FT')), 'Sig')) return true;
  const parent = r.dictOf(d.get('Parent'));
  return parent !== null && isName(r.resolveValue(parent.get('FT')), 'Sig');
}

function hasVisibleRect(d: PdfDict, r: PdfReader): boolean {
  const rect = r.rect(d.get('Rect'));
  return rect !== null && rect[2] - rect[0] > 0 && rect[3] - rect[1] > 0;
}

function fieldName(d: PdfDict, r: PdfReader): string {
  const parts: string[] = [];
  let cur: PdfDict | null = d;
  for (let i = 0; cur && i < 32; i++) {
    const t = r.resolveValue(cur.get('T'));
    if (t instanceof PdfString) parts.unshift(t.text());
    cur = r.dictOf(cur.get('Parent'));
  }
  return parts.join('.');
}

/**
 * Analyses every revision newer than `signedSection` (an index into reader.sections, 0 = newest).
 */
export function analyseLaterRevisions(reader: PdfReader, signedSection: number): DiffResult {
  // Each revision is compared with the one before it once per file, not once per signature: with
  // n signatures the naive way repeats the same comparisons n(n-1)/2 times.
  let memo = revisionCache.get(reader);
  if (!memo) {
    memo = new Map();
    revisionCache.set(reader, memo);
  }
  const changes: Change[] = [];
  let visibleSignatureWidgetsAdded = 0;
  const changedFieldNames: string[] = [];
  for (let j = signedSection - 1; j >= 0; j--) {
    let d = memo.get(j);
    if (!d) {
      try {
        d = analyseRevision(reader, j);
      } catch (e) {
        if (!isPdfError(e)) throw e;
        // A revision we cannot read explains nothing: reject by default.
        d = {
          changes: [{ object: 'trailer', level: 'OTHER', what: 'revision-unreadable', section: j }],
          visibleSignatureWidgetsAdded: 0,
          changedFieldNames: [],
        };
      }
      memo.set(j, d);
    }
    changes.push(...d.changes.map((c) => ({ ...c })));
    visibleSignatureWidgetsAdded += d.visibleSignatureWidgetsAdded;
    changedFieldNames.push(...d.changedFieldNames);
  }
  const level = changes.reduce<ModificationLevel>((acc, c) => maxLevel(acc, c.level), 'NONE');
  return { level, changes, visibleSignatureWidgetsAdded, changedFieldNames };
}

type RevisionDiff = Omit<DiffResult, 'level'>;
const revisionCache = new WeakMap<PdfReader, Map<number, RevisionDiff>>();

/** What revision `j` (0 = newest) changed relative to revision j + 1. */
function analyseRevision(reader: PdfReader, j: number): RevisionDiff {
  const changes: Change[] = [];
  let visibleSignatureWidgetsAdded = 0;
  const changedFieldNames: string[] = [];
  const before = reader.atSection(j + 1);
  const after = reader.atSection(j);
  const section = reader.sections[j]!;
  const add = (num: number, gen: number, level: ModificationLevel, what: string): void => {
    changes.push({ object: `${num} ${gen}`, level, what, section: j });
  };

  const catalogRef = after.rootRef;
  const oldCatalogRef = before.rootRef;
  if (!catalogRef.equals(oldCatalogRef)) add(catalogRef.num, catalogRef.gen, 'OTHER', 'catalog-replaced');
  const newCatalog = after.catalog();
  const oldCatalog = before.catalog();
  const acroRefNew = newCatalog.get('AcroForm');
  const dssRefNew = newCatalog.get('DSS');
  const infoRef = after.trailer.get('Info');

  // Objects a new, allowed structure points at (appearance streams, fonts, DSS blobs …).
  const explained = new Set<number>();
  const explainTree = (o: PdfObject | undefined, depth = 0): void => {
    if (depth > 16) return;
    if (isRef(o)) {
      if (explained.has(o.num)) return;
      explained.add(o.num);
      // Only objects new or changed in this revision need explaining; follow only those.
      if (!section.entries.has(o.num)) return;
      explainTree(after.getObject(o), depth + 1);
    } else if (isArray(o)) o.forEach((x) => explainTree(x, depth + 1));
    else if (o instanceof PdfStream) explainTree(o.dict, depth + 1);
    else if (o instanceof PdfDict)
      for (const [k, v] of o.map) if (k !== 'P' && k !== 'Parent') explainTree(v, depth + 1);
  };

  const newRefsToCheck: Array<{ ref: PdfRef; via: 'fields' | 'annots' }> = [];

  for (const [num, e] of section.entries) {
    if (num === section.streamNum) continue; // the xref stream itself
    const existedBefore = before.xref.has(num) && before.xref.get(num)!.type !== 0;
    if (e.type === 0) {
      if (existedBefore) add(num, e.gen, 'OTHER', 'object-freed');
      continue;
    }
    const gen = e.type === 1 ? e.gen : 0;
    const ref = new PdfRef(num, gen);
    if (!existedBefore) continue; // new objects are judged by what references them (below)
    const oldObj = before.getObject(ref);
    const newObj = after.getObject(ref);
    if (sameObject(oldObj, newObj, before, after)) continue;

    if (num === catalogRef.num) {
      const keys = isDict(oldObj) && isDict(newObj) ? changedKeys(oldObj, newObj, before, after) : ['*'];
      const bad = keys.filter((k) => !ALLOWED_CATALOG_CHANGES.has(k));
      if (bad.length > 0) add(num, gen, 'OTHER', `catalog-changed:${bad.join(',')}`);
      else {
        if (keys.includes('DSS')) explainTree(newCatalog.get('DSS'));
        if (keys.includes('Extensions')) explainTree(newCatalog.get('Extensions'));
        if (keys.includes('Metadata')) explainTree(newCatalog.get('Metadata'));
        if (keys.includes('AcroForm') && !isRef(acroRefNew)) {
          const oldAcro = before.dictOf(oldCatalog.get('AcroForm'));
          const newAcro = after.dictOf(acroRefNew);
          if (newAcro) checkAcroForm(oldAcro ?? new PdfDict(), newAcro, num, gen);
        }
        add(
          num,
          gen,
          keys.every((k) => k === 'DSS' || k === 'Extensions' || k === 'Metadata' || k === 'Version')
            ? 'LTA_UPDATES'
            : 'FORM_FILLING',
          'catalog-allowed',
        );
      }
      continue;
    }
    if (isRef(acroRefNew) && num === acroRefNew.num && isDict(newObj)) {
      checkAcroForm(isDict(oldObj) ? oldObj : new PdfDict(), newObj, num, gen);
      continue;
    }
    if (isRef(dssRefNew) && num === dssRefNew.num) {
      explainTree(newObj);
      add(num, gen, 'LTA_UPDATES', 'dss');
      continue;
    }
    if (isRef(infoRef) && num === infoRef.num) {
      add(num, gen, 'LTA_UPDATES', 'info');
      continue;
    }
    if (isDict(newObj) && isName(newObj.get('Type'), 'Metadata')) {
      add(num, gen, 'LTA_UPDATES', 'metadata');
      continue;
    }
    if (newObj instanceof PdfStream && isName(newObj.dict.get('Type'), 'Metadata')) {
      add(num, gen, 'LTA_UPDATES', 'metadata');
      continue;
    }
    if (isDict(oldObj) && isDict(newObj) && isName(newObj.get('Type'), 'Page')) {
      const keys = changedKeys(oldObj, newObj, before, after);
      if (keys.some((k) => k !== 'Annots'))
        add(num, gen, 'OTHER', `page-changed:${keys.filter((k) => k !== 'Annots').join(',')}`);
      else checkAppended(oldObj.get('Annots'), newObj.get('Annots'), num, gen, 'annots');
      continue;
    }
    if (isArray(oldObj) && isArray(newObj)) {
      // An indirect /Annots or /Fields array: append-only.
      const isFields = isRef(acroRefNew)
        ? refersTo(after.dictOf(acroRefNew)?.get('Fields'), num)
        : refersTo(after.dictOf(acroRefNew)?.get('Fields'), num);
      checkAppended(oldObj, newObj, num, gen, isFields ? 'fields' : 'annots');
      continue;
    }
    if (isDict(oldObj) && isDict(newObj) && (oldObj.has('FT') || oldObj.has('Parent'))) {
      // A form field: filling an empty signature field, or changing a value.
      const keys = changedKeys(oldObj, newObj, before, after);
      const onlyValue = keys.every(
        (k) => k === 'V' || k === 'AP' || k === 'AS' || k === 'MK' || k === 'Rect' || k === 'F',
      );
      if (onlyValue && isSigField(newObj, after) && !oldObj.has('V')) {
        explainTree(newObj.get('V'));
        explainTree(newObj.get('AP'));
        if (hasVisibleRect(newObj, after)) visibleSignatureWidgetsAdded++;
        changedFieldNames.push(fieldName(newObj, after));
        add(num, gen, 'FORM_FILLING', 'signature-field-filled');
      } else if (onlyValue && !isSigField(newObj, after) && keys.every((k) => k === 'V' || k === 'AP' || k === 'AS')) {
        explainTree(newObj.get('AP'));
        changedFieldNames.push(fieldName(newObj, after));
        add(num, gen, 'FORM_FILLING', 'form-value-changed');
      } else add(num, gen, 'OTHER', `field-changed:${keys.join(',')}`);
      continue;
    }
    add(num, gen, 'OTHER', describe(oldObj, newObj));
  }

  // New objects that entered the document through /Fields or /Annots.
  for (const { ref, via } of newRefsToCheck) {
    if (before.xref.has(ref.num) && before.xref.get(ref.num)!.type !== 0) {
      // An existing object appended: re-using a planted or old object is not a new signature.
      add(ref.num, ref.gen, 'OTHER', `existing-object-${via === 'fields' ? 'added-as-field' : 'added-as-annotation'}`);
      continue;
    }
    const d = after.dictOf(ref);
    if (!d) {
      add(ref.num, ref.gen, 'OTHER', 'bad-reference');
      continue;
    }
    explained.add(ref.num);
    if (isSigField(d, after)) {
      const v = after.dictOf(d.get('V'));
      const sigType = v ? v.type : undefined;
      explainTree(d.get('V'));
      explainTree(d.get('AP'));
      explainTree(d.get('Kids'));
      if (hasVisibleRect(d, after)) visibleSignatureWidgetsAdded++;
      add(
        ref.num,
        ref.gen,
        sigType === 'DocTimeStamp' ? 'LTA_UPDATES' : 'FORM_FILLING',
        sigType === 'DocTimeStamp' ? 'document-timestamp' : 'new-signature-field',
      );
    } else if (isName(after.resolveValue(d.get('Subtype')), 'Widget') || d.has('FT')) {
      explainTree(d.get('AP'));
      add(ref.num, ref.gen, 'OTHER', 'new-form-field');
    } else if (via === 'annots') {
      explainTree(d.get('AP'));
      add(ref.num, ref.gen, 'ANNOTATIONS', `annotation:${nameOf(after.resolveValue(d.get('Subtype')))}`);
    } else add(ref.num, ref.gen, 'OTHER', 'unexpected-new-field');
  }

  // A revision that only adds document timestamps touches the form (a field for each) but is an
  // LTA update, not form filling.
  const sectionChanges = changes.filter((x) => x.section === j);
  const onlyTimestamps =
    sectionChanges.some((x) => x.what === 'document-timestamp') &&
    sectionChanges.every((x) =>
      ['document-timestamp', 'acroform-allowed', 'catalog-allowed', 'dss', 'info', 'metadata'].includes(x.what),
    );
  if (onlyTimestamps) for (const x of sectionChanges) if (x.level === 'FORM_FILLING') x.level = 'LTA_UPDATES';

  // Changed existing objects that an allowed structure points at (e.g. a DSS blob) are fine;
  // anything else new and referenced from an unexplained place was already caught above.
  for (const c of changes) {
    if (c.section === j && c.what.startsWith('object-changed') && explained.has(Number(c.object.split(' ')[0]))) {
      c.level = 'LTA_UPDATES';
      c.what = 'referenced-by-allowed-change';
    }
  }

  function checkAcroForm(oldA: PdfDict, newA: PdfDict, num: number, gen: number): void {
    const keys = changedKeys(oldA, newA, before, after);
    const bad = keys.filter((k) => !ALLOWED_ACROFORM_CHANGES.has(k));
    if (bad.length > 0) add(num, gen, 'OTHER', `acroform-changed:${bad.join(',')}`);
    else add(num, gen, 'FORM_FILLING', 'acroform-allowed');
    if (keys.includes('Fields') && !isRef(newA.get('Fields')))
      checkAppended(oldA.get('Fields'), newA.get('Fields'), num, gen, 'fields');
    if (keys.includes('DR')) explainTree(newA.get('DR'));
  }

  function checkAppended(
    oldArr: PdfObject | undefined,
    newArr: PdfObject | undefined,
    num: number,
    gen: number,
    via: 'fields' | 'annots',
  ): void {
    const added = appendedRefs(oldArr, newArr, before, after);
    if (added === null) {
      add(num, gen, 'OTHER', via === 'fields' ? 'fields-rewritten' : 'annots-rewritten');
      return;
    }
    for (const r of added) if (!newRefsToCheck.some((x) => x.ref.num === r.num)) newRefsToCheck.push({ ref: r, via });
  }
  return { changes, visibleSignatureWidgetsAdded, changedFieldNames };
}

const isPdfError = (e: unknown): boolean =>
  e instanceof PdfReadError || e instanceof PdfSyntaxError || e instanceof PdfFilterError;

function refersTo(o: PdfObject | undefined, num: number): boolean {
  return isRef(o) && o.num === num;
}

function nameOf(o: PdfObject | undefined): string {
  return o instanceof PdfName ? o.name : 'unknown';
}

function describe(oldObj: PdfObject, newObj: PdfObject): string {
  if (oldObj instanceof PdfStream || newObj instanceof PdfStream) return 'object-changed:stream';
  if (isDict(newObj) && newObj.type) return `object-changed:${newObj.type}`;
  return 'object-changed';
}
