/**
 * A lazy, strict PDF reader: finds the last startxref, follows the /Prev chain of xref tables and
 * xref streams (newest first), and parses only the objects it is asked for (with object streams
 * and encryption). It refuses what a viewer might read differently from us — a broken or
 * reconstructed xref, a hybrid-reference file — instead of guessing.
 */
import { BufferSource, FileSource, type ByteSource } from './byte-source.js';
import { decodeStream } from './filters.js';
import { LIMITS } from './limits.js';
import type { PdfDict } from './objects.js';
import { PdfRef, PdfStream, PdfString, isArray, isDict, isName, isNumber, isRef, type PdfObject } from './objects.js';
import { Lexer, PdfSyntaxError, expectInt, expectKeyword, isWhite, parseObject } from './parser.js';
import type { SecurityHandler } from './security-handler.js';
import { StandardSecurityHandler } from './standard-security.js';

export type XrefEntry =
  { type: 0; gen: number } | { type: 1; offset: number; gen: number } | { type: 2; stream: number; index: number };

export interface XrefSection {
  /** Byte offset of the `xref` keyword or of the xref stream object. */
  offset: number;
  kind: 'table' | 'stream';
  trailer: PdfDict;
  entries: Map<number, XrefEntry>;
  /** Object number of the xref stream itself. */
  streamNum?: number;
  /** Where the section's bytes end (after the trailer dict or `endobj`). */
  end: number;
}

export type PdfErrorKind = 'not-pdf' | 'broken-xref' | 'hybrid' | 'syntax' | 'encrypted-unsupported' | 'limit';

export class PdfReadError extends Error {
  constructor(
    readonly kind: PdfErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'PdfReadError';
  }
}

export interface PageInfo {
  index: number;
  ref: PdfRef;
  dict: PdfDict;
  mediaBox: [number, number, number, number];
  cropBox: [number, number, number, number];
  rotate: number;
}

export class PdfReader {
  readonly sections: XrefSection[] = [];
  /** Merged view: newest entry wins. */
  readonly xref = new Map<number, XrefEntry>();
  readonly startxref: number;
  readonly headerOffset: number;
  readonly version: string;
  security: SecurityHandler | null = null;
  private readonly cache = new Map<string, PdfObject>();
  private readonly objStreams = new Map<number, { objects: Map<number, PdfObject> }>();
  private resolving = 0;

  private constructor(readonly src: ByteSource) {
    const head = src.read(0, 1024).toString('latin1');
    const h = head.indexOf('%PDF-');
    if (h < 0) throw new PdfReadError('not-pdf', 'no %PDF- header in the first 1024 bytes');
    this.headerOffset = h;
    this.version = /^%PDF-(\d\.\d)/.exec(head.slice(h))?.[1] ?? '1.4';
    this.startxref = this.findStartxref();
    this.readXrefChain(this.startxref);
    const enc = this.trailer.get('Encrypt');
    if (enc !== undefined) {
      const dict = this.dictOf(enc);
      if (!dict) throw new PdfReadError('syntax', 'bad /Encrypt entry');
      const id = this.fileId();
      this.security = StandardSecurityHandler.open(dict, id ? id[0] : Buffer.alloc(0), isRef(enc) ? enc : null);
    }
  }

  static open(path: string): PdfReader {
    const src = new FileSource(path);
    try {
      return new PdfReader(src);
    } catch (e) {
      src.close();
      throw wrap(e);
    }
  }

  /**
   * The document as it was at an earlier revision: the same bytes, but only the xref sections
   * from `sectionIndex` (0 = newest) back to the first. Used to compare revisions.
   */
  atSection(sectionIndex: number): PdfReader {
    const view = Object.create(PdfReader.prototype) as PdfReader;
    const mutable = view as unknown as {
      src: ByteSource;
      sections: XrefSection[];
      xref: Map<number, XrefEntry>;
      startxref: number;
      headerOffset: number;
      version: string;
      security: SecurityHandler | null;
      cache: Map<string, PdfObject>;
      objStreams: Map<number, { objects: Map<number, PdfObject> }>;
      resolving: number;
    };
    mutable.src = this.src;
    mutable.sections = this.sections.slice(sectionIndex);
    mutable.xref = new Map();
    for (const sec of mutable.sections)
      for (const [n, e] of sec.entries) if (!mutable.xref.has(n)) mutable.xref.set(n, e);
    mutable.startxref = this.sections[sectionIndex]!.offset;
    mutable.headerOffset = this.headerOffset;
    mutable.version = this.version;
    mutable.security = this.security;
    mutable.cache = new Map();
    mutable.objStreams = new Map();
    mutable.resolving = 0;
    return view;
  }

  static fromSource(src: ByteSource): PdfReader {
    try {
      return new PdfReader(src);
    } catch (e) {
      throw wrap(e);
    }
  }

  close(): void {
    this.src.close();
  }

  get length(): number {
    return this.src.length;
  }

  /** The newest trailer (for xref streams: the stream dictionary). */
  get trailer(): PdfDict {
    return this.sections[0]!.trailer;
  }

  get lastSection(): XrefSection {
    return this.sections[0]!;
  }

  /** Highest object number + 1 over all sections (the next free number for an update). */
  get size(): number {
    let size = 0;
    for (const s of this.sections) {
      const v = s.trailer.get('Size');
      if (isNumber(v)) size = Math.max(size, v);
    }
    for (const k of this.xref.keys()) size = Math.max(size, k + 1);
    return size;
  }

  private findStartxref(): number {
    const tailLen = Math.min(this.src.length, 4096);
    const tail = this.src.read(this.src.length - tailLen, tailLen).toString('latin1');
    const i = tail.lastIndexOf('startxref');
    if (i < 0) throw new PdfReadError('broken-xref', 'no startxref near the end of the file (truncated?)');
    const m = /^startxref\s+(\d+)\s+%%EOF/.exec(tail.slice(i));
    if (!m) throw new PdfReadError('broken-xref', 'malformed startxref / %%EOF at the end of the file');
    return Number(m[1]);
  }

  private readXrefChain(first: number): void {
    const seen = new Set<number>();
    let offset: number | null = first;
    while (offset !== null) {
      if (seen.has(offset)) throw new PdfReadError('broken-xref', `xref /Prev chain loops back to byte ${offset}`);
      if (seen.size >= LIMITS.maxXrefSections) throw new PdfReadError('limit', 'too many xref sections');
      seen.add(offset);
      const section = this.readSection(offset);
      this.sections.push(section);
      for (const [num, e] of section.entries) if (!this.xref.has(num)) this.xref.set(num, e);
      if (section.kind === 'table' && section.trailer.has('XRefStm')) {
        throw new PdfReadError(
          'hybrid',
          'hybrid-reference file (xref table plus /XRefStm): viewers may read it differently; refusing to sign it',
        );
      }
      const prev = section.trailer.get('Prev');
      offset =
        prev === undefined ? null : isNumber(prev) && Number.isInteger(prev) && prev >= 0 ? prev : bad('bad /Prev');
    }
    const root = this.trailer.get('Root');
    if (!isRef(root)) throw new PdfReadError('broken-xref', 'the trailer has no /Root');
  }

  private readSection(offset: number): XrefSection {
    if (offset <= 0 || offset >= this.src.length) {
      throw new PdfReadError(
        'broken-xref',
        `startxref/Prev points outside the file (${offset}); the xref would need reconstruction`,
      );
    }
    const lx = new Lexer(this.src, offset);
    const t = lx.next();
    if (t.t === 'kw' && t.v === 'xref') return this.readTable(offset, lx);
    if (t.t === 'num') {
      lx.pos = offset;
      return this.readXrefStream(offset, lx);
    }
    throw new PdfReadError('broken-xref', `no xref section at byte ${offset}; the xref would need reconstruction`);
  }

  private readTable(offset: number, lx: Lexer): XrefSection {
    const entries = new Map<number, XrefEntry>();
    for (;;) {
      lx.skipWhite();
      const save = lx.pos;
      const t = lx.next();
      if (t.t === 'kw' && t.v === 'trailer') break;
      lx.pos = save;
      const start = expectInt(lx, 'xref subsection start');
      const count = expectInt(lx, 'xref subsection count');
      if (start + count > LIMITS.maxObjects) throw new PdfReadError('limit', 'xref subsection too large');
      lx.skipWhite();
      // Fast path: standard 20-byte entries read as one block (a 600-page report has thousands).
      const block = count > 0 ? this.src.read(lx.pos, count * 20) : Buffer.alloc(0);
      if (count > 0 && block.length === count * 20 && standardEntries(block, count)) {
        for (let i = 0; i < count; i++) {
          const num = start + i;
          if (entries.has(num)) continue;
          const o = i * 20;
          const off = digits(block, o, 10);
          const gen = digits(block, o + 11, 5);
          if (block[o + 17] === 0x6e /* n */ && !(off === 0 && num !== 0))
            entries.set(num, { type: 1, offset: off, gen });
          else entries.set(num, { type: 0, gen });
        }
        lx.pos += count * 20;
        continue;
      }
      // Entries are 20 bytes by the standard; parse by tokens to accept 19/21-byte variants.
      for (let i = 0; i < count; i++) {
        const off = expectInt(lx, 'xref entry offset');
        const gen = expectInt(lx, 'xref entry generation');
        const p = lx.pos;
        const kind = lx.next();
        if (kind.t !== 'kw' || (kind.v !== 'n' && kind.v !== 'f')) throw new PdfSyntaxError('bad xref entry type', p);
        const num = start + i;
        if (entries.has(num)) continue;
        if (kind.v === 'n') {
          if (off === 0 && num !== 0) entries.set(num, { type: 0, gen });
          else entries.set(num, { type: 1, offset: off, gen });
        } else entries.set(num, { type: 0, gen });
      }
    }
    const trailer = parseObject(lx);
    if (!isDict(trailer)) throw new PdfSyntaxError('trailer is not a dictionary', lx.pos);
    return { offset, kind: 'table', trailer, entries, end: lx.pos };
  }

  private readXrefStream(offset: number, lx: Lexer): XrefSection {
    const { num, obj, end } = this.parseIndirectAt(offset, null);
    if (!(obj instanceof PdfStream) || !isName(obj.dict.get('Type'), 'XRef')) {
      throw new PdfReadError('broken-xref', `object at byte ${offset} is not an xref stream`);
    }
    void lx;
    const d = obj.dict;
    const w = d.get('W');
    if (!isArray(w) || w.length !== 3 || !w.every((x) => isNumber(x) && x >= 0 && x <= 8)) bad('bad xref stream /W');
    const [w0, w1, w2] = (w as number[]).map(Number) as [number, number, number];
    const size = d.get('Size');
    if (!isNumber(size) || size < 0 || size > LIMITS.maxObjects) bad('bad xref stream /Size');
    const idx = d.get('Index') ?? [0, size as number];
    if (!isArray(idx) || idx.length % 2 !== 0 || !idx.every(isNumber)) bad('bad xref stream /Index');
    const data = decodeStream(d, this.rawStreamBytes(obj), (o) => o);
    const rowLen = w0 + w1 + w2;
    const entries = new Map<number, XrefEntry>();
    let pos = 0;
    const field = (width: number, def: number): number => {
      if (width === 0) return def;
      let v = 0;
      for (let i = 0; i < width; i++) v = v * 256 + data[pos++]!;
      return v;
    };
    const pairs = idx as number[];
    for (let p = 0; p < pairs.length; p += 2) {
      const start = pairs[p]!;
      const count = pairs[p + 1]!;
      if (start + count > LIMITS.maxObjects) throw new PdfReadError('limit', 'xref stream too large');
      for (let i = 0; i < count; i++) {
        if (pos + rowLen > data.length)
          throw new PdfReadError('broken-xref', 'xref stream shorter than its /Index says');
        const type = field(w0, 1);
        const f1 = field(w1, 0);
        const f2 = field(w2, 0);
        const n = start + i;
        if (type === 0) entries.set(n, { type: 0, gen: f2 });
        else if (type === 1) entries.set(n, { type: 1, offset: f1, gen: f2 });
        else if (type === 2) entries.set(n, { type: 2, stream: f1, index: f2 });
        // Other types are reserved: treated as null objects (ISO 32000-1 §7.5.8.3).
      }
    }
    return { offset, kind: 'stream', trailer: d, entries, streamNum: num, end };
  }

  /** Raw (still encoded) bytes of a stream, decrypted if the file is encrypted. */
  rawStreamBytes(s: PdfStream, ref?: PdfRef): Buffer {
    const raw = s.source.kind === 'bytes' ? s.source.data : this.src.read(s.source.offset, s.source.length);
    if (this.security && ref && !isName(s.dict.get('Type'), 'XRef'))
      return this.security.decryptStream(ref, raw, s.dict);
    return raw;
  }

  /** Decoded bytes of a stream object. */
  streamData(s: PdfStream, ref?: PdfRef): Buffer {
    return decodeStream(s.dict, this.rawStreamBytes(s, ref), (o) => this.resolveValue(o));
  }

  /**
   * Parses "num gen obj … endobj" at offset. `expect` guards against an xref entry pointing at
   * the wrong object (a classic sign of a broken or tampered xref).
   */
  parseIndirectAt(offset: number, expect: PdfRef | null): { num: number; gen: number; obj: PdfObject; end: number } {
    const lx = new Lexer(this.src, offset);
    const num = expectInt(lx, 'object number');
    const gen = expectInt(lx, 'generation');
    expectKeyword(lx, 'obj');
    if (expect && (num !== expect.num || gen !== expect.gen)) {
      throw new PdfReadError(
        'broken-xref',
        `xref says object ${expect.key} is at byte ${offset}, but ${num} ${gen} is there`,
      );
    }
    let obj = parseObject(lx);
    lx.skipWhite();
    const kwPos = lx.pos;
    const t = lx.next();
    if (t.t === 'kw' && t.v === 'stream') {
      if (!isDict(obj)) throw new PdfSyntaxError('stream without dictionary', kwPos);
      // After "stream": CRLF or LF (a lone CR is tolerated: some producers write it).
      let p = lx.pos;
      if (this.src.byteAt(p) === 0x0d) p++;
      if (this.src.byteAt(p) === 0x0a) p++;
      const lenObj = obj.get('Length');
      const length = isRef(lenObj) ? this.resolveLength(lenObj) : lenObj;
      if (!isNumber(length) || !Number.isInteger(length) || length < 0 || p + length > this.src.length) {
        throw new PdfReadError('syntax', `bad stream /Length in object ${num} ${gen}`);
      }
      const after = new Lexer(this.src, p + length);
      after.skipWhite();
      const endPos = after.pos;
      const e = after.next();
      if (e.t !== 'kw' || e.v !== 'endstream') {
        throw new PdfReadError('syntax', `object ${num} ${gen}: "endstream" not found at /Length (byte ${endPos})`);
      }
      obj = new PdfStream(obj, { kind: 'file', offset: p, length });
      const e2 = after.next();
      if (e2.t !== 'kw' || e2.v !== 'endobj') throw new PdfReadError('syntax', `object ${num} ${gen}: missing endobj`);
      return { num, gen, obj, end: after.pos };
    }
    if (t.t !== 'kw' || t.v !== 'endobj')
      throw new PdfReadError('syntax', `object ${num} ${gen}: missing endobj at byte ${kwPos}`);
    return { num, gen, obj, end: lx.pos };
  }

  private resolveLength(ref: PdfRef): number | undefined {
    const v = this.getObject(ref);
    return isNumber(v) ? v : undefined;
  }

  /** The object a reference points to (null for free or missing objects, as the standard says). */
  getObject(ref: PdfRef): PdfObject {
    const key = ref.key;
    if (this.cache.has(key)) return this.cache.get(key)!;
    if (++this.resolving > LIMITS.maxRefChain * 4) {
      this.resolving = 0;
      throw new PdfReadError('limit', 'reference resolution too deep (loop?)');
    }
    try {
      const e = this.xref.get(ref.num);
      let obj: PdfObject = null;
      if (e?.type === 1) {
        if (e.gen !== ref.gen) obj = null;
        else {
          if (e.offset < this.headerOffset || e.offset >= this.src.length) {
            throw new PdfReadError(
              'broken-xref',
              `object ${key} is outside the file; the xref would need reconstruction`,
            );
          }
          obj = this.parseIndirectAt(e.offset, ref).obj;
          if (this.security) obj = this.security.decryptObject(ref, obj);
        }
      } else if (e?.type === 2) {
        if (ref.gen !== 0) obj = null;
        else obj = this.fromObjectStream(e.stream, ref.num);
      }
      this.cache.set(key, obj);
      return obj;
    } finally {
      this.resolving--;
    }
  }

  private fromObjectStream(streamNum: number, num: number): PdfObject {
    let os = this.objStreams.get(streamNum);
    if (!os) {
      const sref = new PdfRef(streamNum, 0);
      const s = this.getObject(sref);
      if (!(s instanceof PdfStream) || !isName(s.dict.get('Type'), 'ObjStm')) {
        throw new PdfReadError('broken-xref', `object stream ${streamNum} is missing or not an object stream`);
      }
      const n = s.dict.get('N');
      const first = s.dict.get('First');
      if (!isNumber(n) || !isNumber(first) || n < 0 || n > LIMITS.maxCollection) bad('bad object stream header');
      const data = this.streamData(s, sref);
      const src = new BufferSource(data);
      const lx = new Lexer(src, 0);
      const pairs: Array<[number, number]> = [];
      for (let i = 0; i < (n as number); i++) pairs.push([expectInt(lx, 'object number'), expectInt(lx, 'offset')]);
      const objects = new Map<number, PdfObject>();
      for (const [onum, off] of pairs) {
        const olx = new Lexer(src, (first as number) + off);
        objects.set(onum, parseObject(olx));
      }
      os = { objects };
      this.objStreams.set(streamNum, os);
    }
    return os.objects.get(num) ?? null;
  }

  /** Follows references until a direct object (bounded). */
  resolveValue(o: PdfObject | undefined): PdfObject | undefined {
    let v = o;
    for (let i = 0; isRef(v); i++) {
      if (i > LIMITS.maxRefChain) throw new PdfReadError('limit', 'reference chain too long');
      v = this.getObject(v);
    }
    return v;
  }

  dictOf(o: PdfObject | undefined): PdfDict | null {
    const v = this.resolveValue(o);
    return isDict(v) ? v : v instanceof PdfStream ? v.dict : null;
  }

  get rootRef(): PdfRef {
    const root = this.trailer.get('Root');
    // Checked here, not only when opening: an older revision's trailer (atSection) may lack it.
    if (!isRef(root)) throw new PdfReadError('syntax', 'the trailer has no /Root reference');
    return root;
  }

  catalog(): PdfDict {
    const c = this.dictOf(this.rootRef);
    if (!c) throw new PdfReadError('syntax', 'the catalog (/Root) is not a dictionary');
    return c;
  }

  /** Every page in order, with inherited attributes resolved (ISO 32000-1 §7.7.3.4). */
  pages(): PageInfo[] {
    const out: PageInfo[] = [];
    const pagesRef = this.catalog().get('Pages');
    if (!isRef(pagesRef)) throw new PdfReadError('syntax', 'catalog /Pages is not a reference');
    const seen = new Set<string>();
    const walk = (ref: PdfRef, inherited: Map<string, PdfObject>, depth: number): void => {
      if (depth > LIMITS.maxPageTreeDepth) throw new PdfReadError('limit', 'page tree too deep');
      if (seen.has(ref.key)) throw new PdfReadError('syntax', `page tree loops at ${ref.key}`);
      seen.add(ref.key);
      const node = this.dictOf(ref);
      if (!node) throw new PdfReadError('syntax', `page tree node ${ref.key} is not a dictionary`);
      const inh = new Map(inherited);
      for (const k of ['MediaBox', 'CropBox', 'Rotate', 'Resources']) {
        const v = node.get(k);
        if (v !== undefined) inh.set(k, v);
      }
      if (node.type === 'Pages' || (node.type === undefined && node.has('Kids'))) {
        const kids = this.resolveValue(node.get('Kids'));
        if (!isArray(kids)) throw new PdfReadError('syntax', `page tree node ${ref.key} has no /Kids`);
        for (const k of kids) {
          if (!isRef(k)) throw new PdfReadError('syntax', 'page tree kid is not a reference');
          walk(k, inh, depth + 1);
        }
        return;
      }
      if (out.length >= LIMITS.maxPages) throw new PdfReadError('limit', 'too many pages');
      const mediaBox = this.rect(inh.get('MediaBox')) ?? [0, 0, 595.28, 841.89];
      const cropBox = intersect(this.rect(inh.get('CropBox')) ?? mediaBox, mediaBox);
      const rot = this.resolveValue(inh.get('Rotate'));
      const rotate = isNumber(rot) ? (((Math.round(rot / 90) * 90) % 360) + 360) % 360 : 0;
      out.push({ index: out.length, ref, dict: node, mediaBox, cropBox, rotate });
    };
    walk(pagesRef, new Map(), 0);
    return out;
  }

  /** Number of pages from the root /Count (cheap), or by walking when /Count is missing. */
  pageCount(): number {
    const root = this.dictOf(this.catalog().get('Pages'));
    const c = root ? this.resolveValue(root.get('Count')) : undefined;
    return isNumber(c) && c >= 0 ? c : this.pages().length;
  }

  /**
   * One page by index, descending the tree by /Count (O(depth), not O(pages)): signing the last
   * page of a 600-page report must not read 600 page objects. Falls back to a full walk when a
   * node's /Count disagrees with its kids.
   */
  pageAt(index: number): PageInfo | null {
    const pagesRef = this.catalog().get('Pages');
    if (!isRef(pagesRef)) throw new PdfReadError('syntax', 'catalog /Pages is not a reference');
    const inherited = new Map<string, PdfObject>();
    let node: PdfRef = pagesRef;
    let remaining = index;
    for (let depth = 0; depth <= LIMITS.maxPageTreeDepth; depth++) {
      const d = this.dictOf(node);
      if (!d) return null;
      for (const k of ['MediaBox', 'CropBox', 'Rotate', 'Resources']) {
        const v = d.get(k);
        if (v !== undefined) inherited.set(k, v);
      }
      if (!(d.type === 'Pages' || (d.type === undefined && d.has('Kids')))) {
        if (remaining !== 0) return null;
        const mediaBox = this.rect(inherited.get('MediaBox')) ?? [0, 0, 595.28, 841.89];
        const cropBox = intersect(this.rect(inherited.get('CropBox')) ?? mediaBox, mediaBox);
        const rot = this.resolveValue(inherited.get('Rotate'));
        const rotate = isNumber(rot) ? (((Math.round(rot / 90) * 90) % 360) + 360) % 360 : 0;
        return { index, ref: node, dict: d, mediaBox, cropBox, rotate };
      }
      const kids = this.resolveValue(d.get('Kids'));
      if (!isArray(kids)) return null;
      const count = this.resolveValue(d.get('Count'));
      // A node whose /Count equals its number of kids has only leaves (every subtree counts ≥ 1):
      // jump straight to the page instead of reading the siblings before it.
      if (isNumber(count) && count === kids.length && remaining < kids.length) {
        const k = kids[remaining];
        if (isRef(k)) {
          const kd = this.dictOf(k);
          if (kd && !(kd.type === 'Pages' || (kd.type === undefined && kd.has('Kids')))) {
            node = k;
            remaining = 0;
            continue;
          }
        }
      }
      let next: PdfRef | null = null;
      for (const k of kids) {
        if (!isRef(k)) return null;
        const kd = this.dictOf(k);
        if (!kd) return null;
        const isNode = kd.type === 'Pages' || (kd.type === undefined && kd.has('Kids'));
        const cnt = isNode ? this.resolveValue(kd.get('Count')) : 1;
        if (!isNumber(cnt) || cnt < 0) return this.pages()[index] ?? null;
        if (remaining < cnt) {
          next = k;
          break;
        }
        remaining -= cnt;
      }
      if (!next) return null;
      node = next;
    }
    return null;
  }

  rect(o: PdfObject | undefined): [number, number, number, number] | null {
    const v = this.resolveValue(o);
    if (!isArray(v) || v.length !== 4) return null;
    const n = v.map((x) => this.resolveValue(x));
    if (!n.every(isNumber)) return null;
    const [a, b, c, d] = n as number[];
    return [Math.min(a!, c!), Math.min(b!, d!), Math.max(a!, c!), Math.max(b!, d!)];
  }

  /** The file's /ID pair, if any. */
  fileId(): [Buffer, Buffer] | null {
    const id = this.resolveValue(this.trailer.get('ID'));
    if (isArray(id) && id.length === 2 && id[0] instanceof PdfString && id[1] instanceof PdfString) {
      return [id[0].bytes, id[1].bytes];
    }
    return null;
  }

  /** True when the bytes after the last %%EOF are only whitespace. */
  endsCleanly(): boolean {
    const tail = this.src.read(Math.max(0, this.src.length - 64), 64).toString('latin1');
    return (
      /%%EOF\s*$/.test(tail) &&
      tail
        .slice(tail.lastIndexOf('%%EOF') + 5)
        .split('')
        .every((c) => isWhite(c.charCodeAt(0)))
    );
  }
}

/** Every entry is "nnnnnnnnnn ggggg n|f" + a two-byte EOL, exactly as the standard writes them. */
function standardEntries(b: Buffer, count: number): boolean {
  for (let i = 0; i < count; i++) {
    const o = i * 20;
    for (let k = 0; k < 10; k++) if (b[o + k]! < 0x30 || b[o + k]! > 0x39) return false;
    if (b[o + 10] !== 0x20 || b[o + 16] !== 0x20) return false;
    for (let k = 11; k < 16; k++) if (b[o + k]! < 0x30 || b[o + k]! > 0x39) return false;
    const t = b[o + 17];
    if (t !== 0x6e && t !== 0x66) return false;
    const e1 = b[o + 18];
    const e2 = b[o + 19];
    if (!((e1 === 0x0d && e2 === 0x0a) || (e1 === 0x20 && (e2 === 0x0a || e2 === 0x0d)))) return false;
  }
  return true;
}

function digits(b: Buffer, at: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) v = v * 10 + (b[at + k]! - 0x30);
  return v;
}

function intersect(
  a: [number, number, number, number],
  b: [number, number, number, number],
): [number, number, number, number] {
  const r: [number, number, number, number] = [
    Math.max(a[0], b[0]),
    Math.max(a[1], b[1]),
    Math.min(a[2], b[2]),
    Math.min(a[3], b[3]),
  ];
  return r[0] < r[2] && r[1] < r[3] ? r : b;
}

function bad(msg: string): never {
  throw new PdfReadError('broken-xref', msg);
}

function wrap(e: unknown): unknown {
  if (e instanceof PdfSyntaxError) return new PdfReadError('syntax', e.message);
  if (e instanceof RangeError) return new PdfReadError('limit', e.message);
  return e;
}
