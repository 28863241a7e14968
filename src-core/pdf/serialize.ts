/**
 * Object → bytes for the incremental writer. Output is deterministic and conservative: names
 * escaped, strings as literals with escapes (hex for binary), numbers without exponent.
 */
import { PdfDict, PdfName, PdfRaw, PdfRef, PdfStream, PdfString, type PdfObject } from './objects.js';

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Error('cannot write a non-finite number');
  if (Number.isInteger(n)) return String(n);
  // PDF has no exponent notation; 6 decimals is below any device resolution.
  return n.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
}

function escapeName(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'latin1')) {
    const regular = b > 0x20 && b < 0x7f && !'()<>[]{}/%#'.includes(String.fromCharCode(b));
    out += regular ? String.fromCharCode(b) : `#${b.toString(16).padStart(2, '0')}`;
  }
  return `/${out}`;
}

function literal(bytes: Buffer): string {
  let out = '(';
  for (const b of bytes) {
    if (b === 0x28 || b === 0x29 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b < 0x20 || b > 0x7e) out += `\\${b.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(b);
  }
  return `${out})`;
}

/** Serialises a direct object. `encryptString` is applied to every string (encrypted files). */
export function serialize(o: PdfObject, encryptString?: (b: Buffer) => Buffer): Buffer {
  const parts: Buffer[] = [];
  const emit = (s: string): void => void parts.push(Buffer.from(s, 'latin1'));
  const walk = (v: PdfObject): void => {
    if (v === null) emit('null');
    else if (typeof v === 'boolean') emit(v ? 'true' : 'false');
    else if (typeof v === 'number') emit(formatNumber(v));
    else if (v instanceof PdfName) emit(escapeName(v.name));
    else if (v instanceof PdfString) {
      const bytes = encryptString ? encryptString(v.bytes) : v.bytes;
      emit(v.hex || encryptString ? `<${bytes.toString('hex')}>` : literal(bytes));
    } else if (v instanceof PdfRef) emit(`${v.num} ${v.gen} R`);
    else if (v instanceof PdfRaw) parts.push(v.bytes);
    else if (Array.isArray(v)) {
      emit('[');
      v.forEach((x, i) => {
        if (i) emit(' ');
        walk(x);
      });
      emit(']');
    } else if (v instanceof PdfDict) {
      emit('<<');
      for (const [k, x] of v.map) {
        emit(`${escapeName(k)} `);
        walk(x);
        emit('\n');
      }
      emit('>>');
    } else if (v instanceof PdfStream) {
      throw new Error('streams are written by writeIndirect');
    }
  };
  walk(o);
  return Buffer.concat(parts);
}
