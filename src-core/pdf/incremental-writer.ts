/**
 * Builds one incremental update (ISO 32000-1 §7.5.6): new and changed objects appended after
 * the original bytes, which are never touched, then an xref section in the same form as the
 * file's last one (table or stream) and a trailer carrying /Prev, /Size, /Root, /Info,
 * /Encrypt and /ID (first element kept, second new).
 */
import { createHash, randomBytes } from 'node:crypto';
import { PdfDict, PdfName, PdfRef, PdfStream, PdfString, type PdfObject } from './objects.js';
import type { PdfReader } from './reader.js';
import { serialize } from './serialize.js';

export interface BuiltUpdate {
  /** The bytes to append to the original file. */
  bytes: Buffer;
  /** Absolute offset of each written object, by object number. */
  offsets: Map<number, number>;
  /** Offset of the new xref section (the new startxref). */
  startxref: number;
}

export class IncrementalUpdate {
  private readonly objects = new Map<number, { ref: PdfRef; obj: PdfObject }>();
  private next: number;

  constructor(readonly reader: PdfReader) {
    this.next = reader.size;
  }

  allocate(): PdfRef {
    return new PdfRef(this.next++, 0);
  }

  /** Adds or replaces an object in this update. */
  set(ref: PdfRef, obj: PdfObject): void {
    this.objects.set(ref.num, { ref, obj });
  }

  has(ref: PdfRef): boolean {
    return this.objects.has(ref.num);
  }

  get(ref: PdfRef): PdfObject | undefined {
    return this.objects.get(ref.num)?.obj;
  }

  build(): BuiltUpdate {
    const r = this.reader;
    const base = r.length;
    const sec = r.security;
    const chunks: Buffer[] = [];
    let pos = base;
    const push = (b: Buffer): void => {
      chunks.push(b);
      pos += b.length;
    };
    // A file not ending in an EOL gets one, so our first object starts on its own line.
    const tail = r.src.read(base - 1, 1)[0];
    push(Buffer.from(tail === 0x0a || tail === 0x0d ? '' : '\n', 'latin1'));

    const offsets = new Map<number, number>();
    const sorted = [...this.objects.values()].sort((a, b) => a.ref.num - b.ref.num);
    for (const { ref, obj } of sorted) {
      offsets.set(ref.num, pos);
      push(
        writeIndirect(
          ref,
          obj,
          sec ? (b) => sec.encryptString(ref, b) : undefined,
          sec ? (b) => sec.encryptStream(ref, b) : undefined,
        ),
      );
    }

    const last = r.lastSection;
    const trailer = new PdfDict();
    let size = Math.max(this.next, r.size);
    const xrefStreamRef = last.kind === 'stream' ? new PdfRef(size++, 0) : null;
    trailer.set('Size', size);
    trailer.set('Root', r.trailer.get('Root') ?? null);
    for (const k of ['Info', 'Encrypt']) {
      const v = r.trailer.get(k);
      if (v !== undefined) trailer.set(k, v);
    }
    trailer.set('ID', newId(r));
    trailer.set('Prev', r.startxref);

    const startxref = pos;
    if (xrefStreamRef) {
      offsets.set(xrefStreamRef.num, pos);
      push(xrefStream(xrefStreamRef, trailer, offsets));
    } else {
      push(xrefTable(offsets));
      push(Buffer.concat([Buffer.from('trailer\n', 'latin1'), serialize(trailer), Buffer.from('\n', 'latin1')]));
    }
    push(Buffer.from(`startxref\n${startxref}\n%%EOF\n`, 'latin1'));
    return { bytes: Buffer.concat(chunks), offsets, startxref };
  }
}

/** Keeps /ID[0] (the document's permanent identifier), makes a new /ID[1] for this revision. */
function newId(r: PdfReader): PdfObject {
  const id = r.fileId();
  const fresh = createHash('md5').update(randomBytes(16)).update(String(Date.now())).digest();
  // Encrypted files derive their key from /ID[0]: it must stay byte-identical.
  return [new PdfString(id ? id[0] : fresh, true), new PdfString(fresh, true)];
}

export function writeIndirect(
  ref: PdfRef,
  obj: PdfObject,
  encryptString?: (b: Buffer) => Buffer,
  encryptStream?: (b: Buffer) => Buffer,
): Buffer {
  const head = Buffer.from(`${ref.num} ${ref.gen} obj\n`, 'latin1');
  if (obj instanceof PdfStream) {
    if (obj.source.kind !== 'bytes') throw new Error('only in-memory streams can be written');
    const data = encryptStream ? encryptStream(obj.source.data) : obj.source.data;
    const dict = obj.dict.clone().set('Length', data.length);
    return Buffer.concat([
      head,
      serialize(dict, encryptString),
      Buffer.from('\nstream\n', 'latin1'),
      data,
      Buffer.from('\nendstream\nendobj\n', 'latin1'),
    ]);
  }
  return Buffer.concat([head, serialize(obj, encryptString), Buffer.from('\nendobj\n', 'latin1')]);
}

/** Groups object numbers into consecutive runs for xref subsections. */
function runs(nums: number[]): Array<[number, number[]]> {
  const out: Array<[number, number[]]> = [];
  for (const n of nums.sort((a, b) => a - b)) {
    const cur = out[out.length - 1];
    if (cur && cur[0] + cur[1].length === n) cur[1].push(n);
    else out.push([n, [n]]);
  }
  return out;
}

function xrefTable(offsets: Map<number, number>): Buffer {
  let s = 'xref\n';
  for (const [start, nums] of runs([...offsets.keys()])) {
    s += `${start} ${nums.length}\n`;
    for (const n of nums) s += `${String(offsets.get(n)).padStart(10, '0')} 00000 n\r\n`;
  }
  return Buffer.from(s, 'latin1');
}

function xrefStream(ref: PdfRef, trailer: PdfDict, offsets: Map<number, number>): Buffer {
  const nums = [...offsets.keys()];
  const maxOff = Math.max(...offsets.values());
  const w1 = maxOff > 0xffffffff ? 6 : 4;
  const index: number[] = [];
  const rows: Buffer[] = [];
  for (const [start, run] of runs(nums)) {
    index.push(start, run.length);
    for (const n of run) {
      const row = Buffer.alloc(1 + w1 + 2);
      row[0] = 1;
      row.writeUIntBE(offsets.get(n)!, 1, w1);
      rows.push(row);
    }
  }
  const dict = trailer.clone();
  dict.set('Type', PdfName.of('XRef'));
  dict.set('W', [1, w1, 2]);
  dict.set('Index', index);
  // Xref streams are never encrypted (ISO 32000-1 §7.6.1).
  return writeIndirect(ref, new PdfStream(dict, { kind: 'bytes', data: Buffer.concat(rows) }));
}
