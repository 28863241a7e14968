/**
 * Stream decoding for what the engine itself must read: object streams, xref streams and (for
 * text search) content streams. Flate with PNG/TIFF predictors, ASCIIHex, ASCII85. Output size is
 * bounded so a decompression bomb fails instead of filling memory.
 */
import { inflateSync } from 'node:zlib';
import { LIMITS } from './limits.js';
import { isArray, isDict, isName, isNumber, type PdfDict, type PdfObject } from './objects.js';

export class PdfFilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PdfFilterError';
  }
}

export function decodeStream(
  dict: PdfDict,
  raw: Buffer,
  resolve: (o: PdfObject | undefined) => PdfObject | undefined,
): Buffer {
  const f = resolve(dict.get('Filter'));
  const p = resolve(dict.get('DecodeParms'));
  const filters = f === undefined || f === null ? [] : isArray(f) ? f.map(resolve) : [f];
  const parms = p === undefined || p === null ? [] : isArray(p) ? p.map(resolve) : [p];
  let data = raw;
  filters.forEach((filter, i) => {
    if (!isName(filter)) throw new PdfFilterError('bad /Filter');
    const parm = parms[i];
    data = applyFilter(filter.name, data, isDict(parm) ? parm : undefined);
  });
  return data;
}

function applyFilter(name: string, data: Buffer, parms: PdfDict | undefined): Buffer {
  switch (name) {
    case 'FlateDecode':
    case 'Fl': {
      let out: Buffer;
      try {
        out = inflateSync(data, { maxOutputLength: LIMITS.maxDecodedStream });
      } catch (e) {
        throw new PdfFilterError(`FlateDecode failed: ${(e as Error).message}`);
      }
      return parms ? unpredict(out, parms) : out;
    }
    case 'ASCIIHexDecode':
    case 'AHx':
      return asciiHex(data);
    case 'ASCII85Decode':
    case 'A85':
      return ascii85(data);
    default:
      throw new PdfFilterError(`unsupported filter ${name}`);
  }
}

function num(d: PdfDict, k: string, def: number): number {
  const v = d.get(k);
  return isNumber(v) ? v : def;
}

function unpredict(data: Buffer, parms: PdfDict): Buffer {
  const predictor = num(parms, 'Predictor', 1);
  if (predictor === 1) return data;
  const colors = num(parms, 'Colors', 1);
  const bpc = num(parms, 'BitsPerComponent', 8);
  const columns = num(parms, 'Columns', 1);
  const bpp = Math.max(1, Math.ceil((colors * bpc) / 8));
  const rowLen = Math.ceil((colors * bpc * columns) / 8);
  if (predictor === 2) {
    if (bpc !== 8) throw new PdfFilterError('TIFF predictor with bpc != 8');
    const out = Buffer.from(data);
    for (let r = 0; r + rowLen <= out.length; r += rowLen) {
      for (let i = bpp; i < rowLen; i++) out[r + i] = (out[r + i]! + out[r + i - bpp]!) & 0xff;
    }
    return out;
  }
  if (predictor < 10) throw new PdfFilterError(`unsupported predictor ${predictor}`);
  const rows = Math.floor(data.length / (rowLen + 1));
  const out = Buffer.alloc(rows * rowLen);
  const prev = Buffer.alloc(rowLen);
  for (let r = 0; r < rows; r++) {
    const type = data[r * (rowLen + 1)]!;
    const row = data.subarray(r * (rowLen + 1) + 1, (r + 1) * (rowLen + 1));
    const cur = out.subarray(r * rowLen, (r + 1) * rowLen);
    for (let i = 0; i < rowLen; i++) {
      const a = i >= bpp ? cur[i - bpp]! : 0;
      const b = prev[i]!;
      const c = i >= bpp ? prev[i - bpp]! : 0;
      const x = row[i]!;
      let v: number;
      switch (type) {
        case 0:
          v = x;
          break;
        case 1:
          v = x + a;
          break;
        case 2:
          v = x + b;
          break;
        case 3:
          v = x + ((a + b) >> 1);
          break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
          break;
        }
        default:
          throw new PdfFilterError(`bad PNG predictor row type ${type}`);
      }
      cur[i] = v & 0xff;
    }
    cur.copy(prev);
  }
  return out;
}

function asciiHex(data: Buffer): Buffer {
  const s = data.toString('latin1').replace(/\s+/g, '');
  const end = s.indexOf('>');
  let hex = end >= 0 ? s.slice(0, end) : s;
  if (!/^[0-9A-Fa-f]*$/.test(hex)) throw new PdfFilterError('bad ASCIIHex data');
  if (hex.length % 2) hex += '0';
  return Buffer.from(hex, 'hex');
}

function ascii85(data: Buffer): Buffer {
  let s = data.toString('latin1').replace(/\s+/g, '');
  if (s.startsWith('<~')) s = s.slice(2);
  const end = s.indexOf('~>');
  if (end >= 0) s = s.slice(0, end);
  const out: number[] = [];
  let group: number[] = [];
  for (const ch of s) {
    if (ch === 'z' && group.length === 0) {
      out.push(0, 0, 0, 0);
      continue;
    }
    const v = ch.charCodeAt(0) - 33;
    if (v < 0 || v > 84) throw new PdfFilterError('bad ASCII85 data');
    group.push(v);
    if (group.length === 5) {
      let n = 0;
      for (const g of group) n = n * 85 + g;
      out.push((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
      group = [];
    }
  }
  if (group.length > 0) {
    const k = group.length;
    while (group.length < 5) group.push(84);
    let n = 0;
    for (const g of group) n = n * 85 + g;
    const bytes = [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
    out.push(...bytes.slice(0, k - 1));
  }
  return Buffer.from(out);
}
