/**
 * The Document Security Store (ISO 32000-2 §12.8.4.3, PAdES B-LT): certificates, OCSP responses
 * and CRLs needed to validate the signatures later, added in an update of their own. Existing
 * entries are kept; identical blobs are not added twice.
 */
import { createHash } from 'node:crypto';
import type { IncrementalUpdate } from '../pdf/incremental-writer.js';
import type { PdfRef } from '../pdf/objects.js';
import { PdfDict, PdfName, PdfStream, isArray, isDict, isRef, type PdfObject } from '../pdf/objects.js';
import type { PdfReader } from '../pdf/reader.js';

export interface ValidationData {
  certs: Buffer[];
  ocsps: Buffer[];
  crls: Buffer[];
}

export function addDss(reader: PdfReader, update: IncrementalUpdate, data: ValidationData): void {
  const rootRef = reader.rootRef;
  const catalog = (update.get(rootRef) as PdfDict | undefined) ?? reader.catalog().clone();
  update.set(rootRef, catalog);
  const existing = catalog.get('DSS');
  const dssRef = isRef(existing) ? existing : null;
  const old = dssRef ? reader.dictOf(dssRef) : isDict(existing) ? existing : null;
  const dss = old ? old.clone() : new PdfDict().set('Type', PdfName.of('DSS'));

  const add = (key: 'Certs' | 'OCSPs' | 'CRLs', blobs: Buffer[]): void => {
    const current = reader.resolveValue(dss.get(key));
    const list: PdfObject[] = isArray(current) ? [...current] : [];
    const known = new Set<string>();
    for (const item of list) {
      const s = reader.resolveValue(item);
      if (s instanceof PdfStream) {
        try {
          known.add(sha(reader.streamData(s, isRef(item) ? item : undefined)));
        } catch {
          // An unreadable old entry is kept as it is and simply not compared.
        }
      }
    }
    for (const b of blobs) {
      const h = sha(b);
      if (known.has(h)) continue;
      known.add(h);
      const ref: PdfRef = update.allocate();
      update.set(ref, new PdfStream(new PdfDict(), { kind: 'bytes', data: b }));
      list.push(ref);
    }
    if (list.length > 0) dss.set(key, list);
  };
  add('Certs', data.certs);
  add('OCSPs', data.ocsps);
  add('CRLs', data.crls);

  if (dssRef) update.set(dssRef, dss);
  else {
    const ref = update.allocate();
    update.set(ref, dss);
    catalog.set('DSS', ref);
  }
}

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
