/**
 * FieldMDP (ISO 32000-1 §12.8.2.4, §12.7.4.5 /Lock): a signature may lock form fields so that
 * changing their values later breaks it. Written in two places, as Acrobat does: the /Lock
 * dictionary on the signature field and a FieldMDP signature reference inside the signature
 * dictionary. The validator reads the reference first — it lives in the signed bytes — and the
 * /Lock of the field as it was in the signed revision otherwise.
 */
import { PdfDict, PdfName, PdfString, isArray, isName, type PdfRef } from '../pdf/objects.js';
import type { PdfReader } from '../pdf/reader.js';

export type FieldLock =
  | { action: 'All'; /** PDF 2.0 /P on /Lock: DocMDP-like permission for later changes. */ p?: 1 | 2 | 3 }
  | { action: 'Include' | 'Exclude'; fields: string[]; p?: 1 | 2 | 3 };

/** Is a field (fully qualified name) covered by the lock? Names cover their descendants. */
export function isLockedField(lock: FieldLock, name: string): boolean {
  if (lock.action === 'All') return true;
  const listed = lock.fields.some((f) => name === f || name.startsWith(`${f}.`));
  return lock.action === 'Include' ? listed : !listed;
}

function paramsDict(lock: FieldLock): PdfDict {
  const d = new PdfDict().set('Action', PdfName.of(lock.action));
  if (lock.action !== 'All')
    d.set(
      'Fields',
      lock.fields.map((f) => PdfString.fromText(f)),
    );
  return d;
}

/** The /Lock dictionary for the signature field. */
export function lockDict(lock: FieldLock): PdfDict {
  const d = paramsDict(lock).set('Type', PdfName.of('SigFieldLock'));
  if (lock.p !== undefined) d.set('P', lock.p);
  return d;
}

/** The FieldMDP entry of the signature dictionary's /Reference array. */
export function fieldMdpReference(lock: FieldLock, catalogRef: PdfRef): PdfDict {
  return (
    new PdfDict()
      .set('Type', PdfName.of('SigRef'))
      .set('TransformMethod', PdfName.of('FieldMDP'))
      .set('TransformParams', paramsDict(lock).set('Type', PdfName.of('TransformParams')).set('V', PdfName.of('1.2')))
      // Required for FieldMDP by PDF 1.7 (deprecated in 2.0): the object the analysis starts at.
      .set('Data', catalogRef)
  );
}

function parse(reader: PdfReader, d: PdfDict | null): FieldLock | null {
  if (!d) return null;
  const action = reader.resolveValue(d.get('Action'));
  const pRaw = reader.resolveValue(d.get('P'));
  const p: { p?: 1 | 2 | 3 } = pRaw === 1 || pRaw === 2 || pRaw === 3 ? { p: pRaw } : {};
  if (isName(action, 'All')) return { action: 'All', ...p };
  if (!isName(action, 'Include') && !isName(action, 'Exclude')) return null;
  const arr = reader.resolveValue(d.get('Fields'));
  const fields: string[] = [];
  if (isArray(arr)) {
    for (const f of arr.slice(0, 10000)) {
      const s = reader.resolveValue(f);
      if (s instanceof PdfString) fields.push(s.text());
    }
  }
  // A lock that names no field: Include locks nothing, Exclude locks everything.
  return { action: isName(action, 'Include') ? 'Include' : 'Exclude', fields, ...p };
}

/**
 * The lock a signature declares, read from a reader positioned at the signed revision (so a later
 * revision cannot weaken it). Returns null when the signature locks nothing.
 */
export function readFieldLock(reader: PdfReader, sig: PdfDict, field: PdfDict): FieldLock | null {
  const onField = parse(reader, reader.dictOf(field.get('Lock')));
  const refs = reader.resolveValue(sig.get('Reference'));
  if (isArray(refs)) {
    for (const r of refs) {
      const ref = reader.dictOf(r);
      if (ref && isName(reader.resolveValue(ref.get('TransformMethod')), 'FieldMDP')) {
        const lock = parse(reader, reader.dictOf(ref.get('TransformParams')));
        // /P exists only on /Lock (PDF 2.0); the signed reference decides which fields.
        if (lock) return onField?.p !== undefined && lock.p === undefined ? { ...lock, p: onField.p } : lock;
      }
    }
  }
  return onField;
}
