/**
 * A small ASN.1 reader (BER, so CMS from other producers parses) and DER writer.
 *
 * Why our own instead of asn1js/pkijs: the CMS work needs exact bytes — the signed attributes
 * are signed as encoded, certificates and names must be copied verbatim, and SET OF must be
 * sorted the DER way. Working on raw TLVs keeps every byte under our control, and a reader that
 * only ever throws DerError makes "never throw on garbage" easy to keep in the verifier.
 */

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

export const CLASS = { universal: 0, application: 1, context: 2, private: 3 } as const;

export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  enumerated: 0x0a,
  utf8String: 0x0c,
  sequence: 0x30,
  set: 0x31,
  printableString: 0x13,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
} as const;

/** One TLV inside `buf`. Offsets are absolute; `contentEnd` excludes an indefinite form's end-of-contents. */
export interface Node {
  readonly buf: Buffer;
  readonly cls: number;
  readonly constructed: boolean;
  readonly num: number;
  /** First identifier octet, the usual way to compare tags (0x30, 0xa0, …). */
  readonly tagByte: number;
  readonly start: number;
  readonly contentStart: number;
  readonly contentEnd: number;
  readonly end: number;
  readonly indefinite: boolean;
}

// Deeper than any structure we read; stops crafted input from exhausting the stack.
const MAX_DEPTH = 64;

export function readNode(buf: Buffer, offset = 0, limit = buf.length, depth = 0): Node {
  if (depth > MAX_DEPTH) throw new DerError('nesting too deep');
  let p = offset;
  if (p >= limit) throw new DerError('unexpected end of data');
  const tagByte = buf[p++]!;
  const cls = tagByte >> 6;
  const constructed = (tagByte & 0x20) !== 0;
  let num = tagByte & 0x1f;
  if (num === 0x1f) {
    num = 0;
    let b: number;
    let count = 0;
    do {
      if (p >= limit) throw new DerError('truncated tag');
      b = buf[p++]!;
      num = num * 128 + (b & 0x7f);
      if (++count > 4) throw new DerError('tag number too large');
    } while (b & 0x80);
  }
  if (p >= limit) throw new DerError('truncated length');
  const first = buf[p++]!;
  if (first === 0x80) {
    if (!constructed) throw new DerError('indefinite length on a primitive');
    const contentStart = p;
    for (;;) {
      if (p + 2 <= limit && buf[p] === 0 && buf[p + 1] === 0) {
        return {
          buf,
          cls,
          constructed,
          num,
          tagByte,
          start: offset,
          contentStart,
          contentEnd: p,
          end: p + 2,
          indefinite: true,
        };
      }
      p = readNode(buf, p, limit, depth + 1).end;
    }
  }
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const n = first & 0x7f;
    if (n > 4) throw new DerError('length too large');
    if (p + n > limit) throw new DerError('truncated length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[p++]!;
  }
  if (p + length > limit) throw new DerError('length beyond end of data');
  return {
    buf,
    cls,
    constructed,
    num,
    tagByte,
    start: offset,
    contentStart: p,
    contentEnd: p + length,
    end: p + length,
    indefinite: false,
  };
}

/** Parses `buf` as exactly one TLV (trailing bytes are an error). */
export function parse(buf: Buffer): Node {
  const n = readNode(buf, 0);
  if (n.end !== buf.length) throw new DerError('trailing data after the structure');
  return n;
}

export function children(n: Node, depth = 0): Node[] {
  if (!n.constructed) throw new DerError('expected a constructed value');
  const out: Node[] = [];
  let p = n.contentStart;
  while (p < n.contentEnd) {
    const c = readNode(n.buf, p, n.contentEnd, depth + 1);
    out.push(c);
    p = c.end;
  }
  return out;
}

export const raw = (n: Node): Buffer => n.buf.subarray(n.start, n.end);
export const content = (n: Node): Buffer => n.buf.subarray(n.contentStart, n.contentEnd);

export function expect(n: Node | undefined, tagByte: number, what: string): Node {
  if (!n) throw new DerError(`${what}: missing`);
  if (n.tagByte !== tagByte) {
    throw new DerError(`${what}: expected tag 0x${tagByte.toString(16)}, found 0x${n.tagByte.toString(16)}`);
  }
  return n;
}

/** Children of a SEQUENCE/SET with the given tag. */
export function seqOf(n: Node | undefined, tagByte: number, what: string): Node[] {
  return children(expect(n, tagByte, what));
}

/** Context-specific [num] child, constructed or not. */
export const isCtx = (n: Node | undefined, num: number): boolean =>
  n !== undefined && n.cls === CLASS.context && n.num === num;

export function readOid(n: Node | undefined, what = 'OBJECT IDENTIFIER'): string {
  const c = content(expect(n, TAG.oid, what));
  if (c.length === 0) throw new DerError(`${what}: empty`);
  const parts: number[] = [];
  let v = 0;
  let started = false;
  for (const b of c) {
    if (!started && b === 0x80) throw new DerError(`${what}: non-minimal`);
    started = (b & 0x80) !== 0;
    v = v * 128 + (b & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 256) throw new DerError(`${what}: arc too large`);
    if ((b & 0x80) === 0) {
      parts.push(v);
      v = 0;
    }
  }
  if (started) throw new DerError(`${what}: truncated`);
  const first = parts.shift()!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...parts].join('.');
}

/** INTEGER contents as unsigned hex (upper case, leading zero bytes dropped): how serials are shown and compared. */
export function readIntegerHex(n: Node | undefined, what = 'INTEGER'): string {
  return intHex(content(expect(n, TAG.integer, what)));
}

export function intHex(bytes: Buffer): string {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i).toString('hex').toUpperCase();
}

export function readSmallInt(n: Node | undefined, what = 'INTEGER', tagByte: number = TAG.integer): number {
  const c = content(expect(n, tagByte, what));
  if (c.length === 0 || c.length > 6) throw new DerError(`${what}: out of range`);
  let v = 0;
  for (const b of c) v = v * 256 + b;
  // Two's complement: a set high bit means negative.
  if (c[0]! & 0x80) v -= 256 ** c.length;
  return v;
}

export function readBoolean(n: Node | undefined, what = 'BOOLEAN'): boolean {
  const c = content(expect(n, TAG.boolean, what));
  if (c.length !== 1) throw new DerError(`${what}: bad length`);
  return c[0] !== 0;
}

/** OCTET STRING contents; a BER constructed string is joined. */
export function readOctets(n: Node | undefined, what = 'OCTET STRING'): Buffer {
  if (!n) throw new DerError(`${what}: missing`);
  if (n.tagByte === TAG.octetString) return content(n);
  if (n.tagByte === (TAG.octetString | 0x20)) return Buffer.concat(children(n).map((c) => readOctets(c, what)));
  throw new DerError(`${what}: expected an OCTET STRING`);
}

/** BIT STRING contents without the unused-bits octet (for signatures and keys, always 0). */
export function readBitStringBytes(n: Node | undefined, what = 'BIT STRING'): Buffer {
  const c = content(expect(n, TAG.bitString, what));
  if (c.length === 0) throw new DerError(`${what}: empty`);
  return c.subarray(1);
}

export function readTime(n: Node | undefined, what = 'time'): Date {
  if (!n) throw new DerError(`${what}: missing`);
  const s = content(n).toString('latin1');
  let m: RegExpExecArray | null;
  if (n.tagByte === TAG.utcTime) {
    m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
    if (!m) throw new DerError(`${what}: bad UTCTime`);
    const yy = Number(m[1]);
    // RFC 5280 4.1.2.5.1: 50–99 are 19xx.
    return utc(yy >= 50 ? 1900 + yy : 2000 + yy, m, 0);
  }
  if (n.tagByte === TAG.generalizedTime) {
    m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:[.,](\d{1,9}))?Z$/.exec(s);
    if (!m) throw new DerError(`${what}: bad GeneralizedTime`);
    const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
    return utc(Number(m[1]), m, ms);
  }
  throw new DerError(`${what}: expected UTCTime or GeneralizedTime`);
}

function utc(year: number, m: RegExpExecArray, ms: number): Date {
  const d = new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms));
  if (Number.isNaN(d.getTime())) throw new DerError('invalid date');
  return d;
}

/**
 * A definite-length re-encoding of a BER value. Content of primitives is kept; order is kept:
 * this is for values that were meant to be DER but came with indefinite lengths.
 */
export function toDefinite(n: Node, depth = 0): Buffer {
  if (!n.indefinite && !hasIndefinite(n, depth)) return Buffer.from(raw(n));
  const inner = n.constructed ? Buffer.concat(children(n).map((c) => toDefinite(c, depth + 1))) : content(n);
  return tlv(identifier(n), inner);
}

function hasIndefinite(n: Node, depth: number): boolean {
  if (depth > MAX_DEPTH) throw new DerError('nesting too deep');
  if (!n.constructed) return false;
  return children(n).some((c) => c.indefinite || hasIndefinite(c, depth + 1));
}

function identifier(n: Node): Buffer {
  const head = n.buf[n.start]!;
  let p = n.start + 1;
  if ((head & 0x1f) === 0x1f) while (n.buf[p++]! & 0x80);
  return n.buf.subarray(n.start, p);
}

// --- writer ------------------------------------------------------------------------------------

export function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** tag may be one identifier octet or the identifier bytes of a high tag number. */
export function tlv(tag: number | Buffer, body: Buffer): Buffer {
  const id = typeof tag === 'number' ? Buffer.from([tag]) : tag;
  return Buffer.concat([id, lengthBytes(body.length), body]);
}

export const seq = (...parts: Buffer[]): Buffer => tlv(TAG.sequence, Buffer.concat(parts));

/** DER SET OF: elements sorted by their encodings (X.690 11.6). */
export function setOf(parts: readonly Buffer[]): Buffer {
  return tlv(TAG.set, Buffer.concat([...parts].sort(Buffer.compare)));
}

/** [num] EXPLICIT, or IMPLICIT-constructed: both are a constructed context tag around the body. */
export const ctx = (num: number, body: Buffer): Buffer => tlv(0xa0 | num, body);
/** [num] IMPLICIT on a primitive type. */
export const ctxPrim = (num: number, body: Buffer): Buffer => tlv(0x80 | num, body);

export const octets = (b: Buffer): Buffer => tlv(TAG.octetString, b);
export const nul = (): Buffer => Buffer.from([0x05, 0x00]);
export const bool = (v: boolean): Buffer => Buffer.from([0x01, 0x01, v ? 0xff : 0x00]);
export const bitString = (b: Buffer): Buffer => tlv(TAG.bitString, Buffer.concat([Buffer.from([0]), b]));

export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((s) => {
    if (!/^\d+$/.test(s)) throw new DerError(`bad OID ${dotted}`);
    return Number(s);
  });
  if (arcs.length < 2) throw new DerError(`bad OID ${dotted}`);
  const out: number[] = [];
  const push = (v: number): void => {
    const stack = [v & 0x7f];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) stack.unshift((x & 0x7f) | 0x80);
    out.push(...stack);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return tlv(TAG.oid, Buffer.from(out));
}

/** Non-negative INTEGER from unsigned big-endian bytes, a bigint or a number. */
export function integer(v: Buffer | bigint | number): Buffer {
  let bytes: Buffer;
  if (Buffer.isBuffer(v)) {
    bytes = v;
  } else {
    let hex = BigInt(v).toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    bytes = Buffer.from(hex, 'hex');
  }
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  bytes = bytes.subarray(i);
  if (bytes.length === 0) bytes = Buffer.from([0]);
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(TAG.integer, bytes);
}

/** The same value with its first identifier octet replaced (e.g. [0] IMPLICIT SET ↔ SET). */
export function retag(encoded: Buffer, tagByte: number): Buffer {
  const copy = Buffer.from(encoded);
  copy[0] = tagByte;
  return copy;
}
