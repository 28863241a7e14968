/**
 * Lexer and object parser (ISO 32000-1 §7.2–7.3) over a ByteSource, strict and bounded:
 * anything that is not well-formed is a PdfSyntaxError with the byte offset, never a guess.
 */
import { LIMITS } from './limits.js';
import type { ByteSource } from './byte-source.js';
import { PdfDict, PdfName, PdfRef, PdfString, type PdfObject } from './objects.js';

export class PdfSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at byte ${offset}`);
    this.name = 'PdfSyntaxError';
  }
}

const WS = new Uint8Array(256);
for (const c of [0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]) WS[c] = 1;
const DELIM = new Uint8Array(256);
for (const c of '()<>[]{}/%') DELIM[c.charCodeAt(0)] = 1;

export const isWhite = (c: number): boolean => c >= 0 && WS[c] === 1;
const isRegular = (c: number): boolean => c >= 0 && !WS[c] && !DELIM[c];

export type Token =
  | { t: 'num'; v: number; int: boolean }
  | { t: 'name'; v: string }
  | { t: 'str'; v: Buffer; hex: boolean }
  | { t: 'kw'; v: string }
  | { t: 'punct'; v: '[' | ']' | '<<' | '>>' | '{' | '}' }
  | { t: 'eof' };

export class Lexer {
  constructor(
    readonly src: ByteSource,
    public pos: number,
  ) {}

  skipWhite(): void {
    for (;;) {
      const c = this.src.byteAt(this.pos);
      if (isWhite(c)) this.pos++;
      else if (c === 0x25 /* % */) {
        while (this.pos < this.src.length) {
          const d = this.src.byteAt(this.pos);
          if (d === 0x0a || d === 0x0d) break;
          this.pos++;
        }
      } else return;
    }
  }

  next(): Token {
    this.skipWhite();
    const start = this.pos;
    const c = this.src.byteAt(this.pos);
    if (c < 0) return { t: 'eof' };
    if (c === 0x2f /* / */) {
      this.pos++;
      return { t: 'name', v: this.readName() };
    }
    if (c === 0x28 /* ( */) {
      this.pos++;
      return { t: 'str', v: this.readLiteral(start), hex: false };
    }
    if (c === 0x3c /* < */) {
      if (this.src.byteAt(this.pos + 1) === 0x3c) {
        this.pos += 2;
        return { t: 'punct', v: '<<' };
      }
      this.pos++;
      return { t: 'str', v: this.readHex(start), hex: true };
    }
    if (c === 0x3e /* > */) {
      if (this.src.byteAt(this.pos + 1) === 0x3e) {
        this.pos += 2;
        return { t: 'punct', v: '>>' };
      }
      throw new PdfSyntaxError('unexpected ">"', start);
    }
    if (c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d) {
      this.pos++;
      return { t: 'punct', v: String.fromCharCode(c) as '[' | ']' | '{' | '}' };
    }
    if (c === 0x29) throw new PdfSyntaxError('unexpected ")"', start);
    // Number or keyword: a run of regular characters.
    let s = '';
    while (isRegular(this.src.byteAt(this.pos))) {
      s += String.fromCharCode(this.src.byteAt(this.pos++));
      if (s.length > 256) throw new PdfSyntaxError('token too long', start);
    }
    if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(s)) {
      const int = /^[+-]?\d+$/.test(s);
      return { t: 'num', v: Number(s), int };
    }
    return { t: 'kw', v: s };
  }

  private readName(): string {
    const bytes: number[] = [];
    for (;;) {
      const c = this.src.byteAt(this.pos);
      if (!isRegular(c)) break;
      if (c === 0x23 /* # */) {
        const h = String.fromCharCode(this.src.byteAt(this.pos + 1), this.src.byteAt(this.pos + 2));
        if (/^[0-9A-Fa-f]{2}$/.test(h)) {
          bytes.push(parseInt(h, 16));
          this.pos += 3;
          continue;
        }
      }
      bytes.push(c);
      this.pos++;
      if (bytes.length > 4096) throw new PdfSyntaxError('name too long', this.pos);
    }
    return Buffer.from(bytes).toString('latin1');
  }

  private readLiteral(start: number): Buffer {
    const out: number[] = [];
    let depth = 1;
    for (;;) {
      const c = this.src.byteAt(this.pos++);
      if (c < 0) throw new PdfSyntaxError('unterminated string', start);
      if (out.length > LIMITS.maxString) throw new PdfSyntaxError('string too long', start);
      if (c === 0x5c /* \ */) {
        const d = this.src.byteAt(this.pos++);
        const esc: Record<number, number> = {
          0x6e: 10,
          0x72: 13,
          0x74: 9,
          0x62: 8,
          0x66: 12,
          0x28: 0x28,
          0x29: 0x29,
          0x5c: 0x5c,
        };
        if (d in esc) out.push(esc[d]!);
        else if (d >= 0x30 && d <= 0x37) {
          let v = d - 0x30;
          for (let i = 0; i < 2; i++) {
            const e = this.src.byteAt(this.pos);
            if (e < 0x30 || e > 0x37) break;
            v = v * 8 + (e - 0x30);
            this.pos++;
          }
          out.push(v & 0xff);
        } else if (d === 0x0d) {
          if (this.src.byteAt(this.pos) === 0x0a) this.pos++;
        } else if (d === 0x0a) {
          // line continuation
        } else if (d >= 0) out.push(d);
        continue;
      }
      if (c === 0x28) depth++;
      if (c === 0x29 && --depth === 0) break;
      out.push(c);
    }
    return Buffer.from(out);
  }

  private readHex(start: number): Buffer {
    const digits: number[] = [];
    for (;;) {
      const c = this.src.byteAt(this.pos++);
      if (c < 0) throw new PdfSyntaxError('unterminated hex string', start);
      if (c === 0x3e) break;
      if (isWhite(c)) continue;
      const v = hexVal(c);
      if (v < 0) throw new PdfSyntaxError('bad hex digit', this.pos - 1);
      digits.push(v);
      if (digits.length > LIMITS.maxString * 2) throw new PdfSyntaxError('string too long', start);
    }
    if (digits.length % 2) digits.push(0);
    const out = Buffer.alloc(digits.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = (digits[2 * i]! << 4) | digits[2 * i + 1]!;
    return out;
  }
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Parses one object starting at the lexer position. `N G R` becomes a PdfRef; streams are not
 * handled here (the caller sees the `stream` keyword after a dictionary).
 */
export function parseObject(lx: Lexer, depth = 0): PdfObject {
  if (depth > LIMITS.maxDepth) throw new PdfSyntaxError('objects nested too deeply', lx.pos);
  const start = lx.pos;
  const tok = lx.next();
  switch (tok.t) {
    case 'num': {
      if (tok.int && tok.v >= 0) {
        // Look ahead for "G R".
        const save = lx.pos;
        const t2 = lx.next();
        if (t2.t === 'num' && t2.int && t2.v >= 0) {
          const t3 = lx.next();
          if (t3.t === 'kw' && t3.v === 'R') return new PdfRef(tok.v, t2.v);
        }
        lx.pos = save;
      }
      return tok.v;
    }
    case 'name':
      return PdfName.of(tok.v);
    case 'str':
      return new PdfString(tok.v, tok.hex);
    case 'kw':
      if (tok.v === 'true') return true;
      if (tok.v === 'false') return false;
      if (tok.v === 'null') return null;
      throw new PdfSyntaxError(`unexpected keyword "${tok.v}"`, start);
    case 'punct':
      if (tok.v === '[') {
        const arr: PdfObject[] = [];
        for (;;) {
          lx.skipWhite();
          if (lx.src.byteAt(lx.pos) === 0x5d) {
            lx.pos++;
            return arr;
          }
          if (lx.src.byteAt(lx.pos) < 0) throw new PdfSyntaxError('unterminated array', start);
          arr.push(parseObject(lx, depth + 1));
          if (arr.length > LIMITS.maxCollection) throw new PdfSyntaxError('array too large', start);
        }
      }
      if (tok.v === '<<') {
        const d = new PdfDict();
        for (;;) {
          const kpos = lx.pos;
          const k = lx.next();
          if (k.t === 'punct' && k.v === '>>') return d;
          if (k.t !== 'name') throw new PdfSyntaxError('dictionary key is not a name', kpos);
          d.set(k.v, parseObject(lx, depth + 1));
          if (d.map.size > LIMITS.maxCollection) throw new PdfSyntaxError('dictionary too large', start);
        }
      }
      throw new PdfSyntaxError(`unexpected "${tok.v}"`, start);
    case 'eof':
      throw new PdfSyntaxError('unexpected end of file', start);
  }
}

/** Reads an unsigned integer token; throws otherwise. */
export function expectInt(lx: Lexer, what: string): number {
  const p = lx.pos;
  const t = lx.next();
  if (t.t !== 'num' || !t.int || t.v < 0) throw new PdfSyntaxError(`expected ${what}`, p);
  return t.v;
}

export function expectKeyword(lx: Lexer, kw: string): void {
  const p = lx.pos;
  const t = lx.next();
  if (t.t !== 'kw' || t.v !== kw) throw new PdfSyntaxError(`expected "${kw}"`, p);
}
