/**
 * Finds signature dictionaries through the AcroForm fields (the way validators must), with
 * their /ByteRange and /Contents. Used to check our own output and by the validator.
 */
import type { PdfDict } from '../pdf/objects.js';
import { PdfString, isArray, isNumber, isRef, type PdfObject, type PdfRef } from '../pdf/objects.js';
import type { PdfReader } from '../pdf/reader.js';

export interface FoundSignature {
  fieldName: string;
  field: PdfDict;
  sig: PdfDict;
  /** The signature dictionary's reference; null when it is (illegally) a direct object. */
  sigRef: PdfRef | null;
  byteRange: number[];
  contents: Buffer | null;
  kind: 'sig' | 'doc-timestamp';
}

export function listSignatures(reader: PdfReader): FoundSignature[] {
  const out: FoundSignature[] = [];
  const acro = reader.dictOf(reader.catalog().get('AcroForm'));
  if (!acro) return out;
  const seen = new Set<PdfObject>();
  const walk = (list: PdfObject | undefined, prefix: string, depth: number): void => {
    const arr = reader.resolveValue(list);
    if (!isArray(arr) || depth > 32) return;
    for (const item of arr) {
      const d = reader.dictOf(item);
      if (!d || seen.has(d)) continue;
      seen.add(d);
      const t = reader.resolveValue(d.get('T'));
      const name = t instanceof PdfString ? (prefix ? `${prefix}.${t.text()}` : t.text()) : prefix;
      const ft = reader.resolveValue(d.get('FT'));
      const v = reader.dictOf(d.get('V'));
      if (ft && (ft as { name?: string }).name === 'Sig' && v) {
        const br = reader.resolveValue(v.get('ByteRange'));
        const c = reader.resolveValue(v.get('Contents'));
        out.push({
          fieldName: name,
          field: d,
          sig: v,
          sigRef: isRef(d.get('V')) ? (d.get('V') as PdfRef) : null,
          byteRange: isArray(br) && br.every(isNumber) ? (br as number[]) : [],
          contents: c instanceof PdfString ? c.bytes : null,
          kind: v.type === 'DocTimeStamp' ? 'doc-timestamp' : 'sig',
        });
      }
      walk(d.get('Kids'), name, depth + 1);
    }
  };
  walk(acro.get('Fields'), '', 0);
  return out;
}

export function findSignatureByField(reader: PdfReader, fieldName: string): FoundSignature | undefined {
  return listSignatures(reader).find((s) => s.fieldName === fieldName);
}
