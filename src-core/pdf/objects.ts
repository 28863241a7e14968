/**
 * The PDF object model (ISO 32000-1 §7.3). Plain classes: the reader builds them lazily, the
 * incremental writer serialises the few it changes. Strings are bytes (PDF strings are not
 * text until a text-string decoding is applied).
 */
export class PdfName {
  private static readonly interned = new Map<string, PdfName>();
  private constructor(readonly name: string) {}
  static of(name: string): PdfName {
    let n = PdfName.interned.get(name);
    if (!n) {
      n = new PdfName(name);
      PdfName.interned.set(name, n);
    }
    return n;
  }
}

export class PdfString {
  constructor(
    readonly bytes: Buffer,
    readonly hex = false,
  ) {}
  /** PDF text string: UTF-16BE with BOM, UTF-8 with BOM (PDF 2.0), else PDFDocEncoding (≈ Latin-1 here). */
  text(): string {
    const b = this.bytes;
    if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return utf16be(b.subarray(2));
    if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return b.subarray(3).toString('utf8');
    return b.toString('latin1');
  }
  /** Encodes text for a PDF text string: ASCII stays as is, anything else becomes UTF-16BE with BOM. */
  static fromText(s: string): PdfString {
    if (/^[\x20-\x7e]*$/.test(s)) return new PdfString(Buffer.from(s, 'latin1'));
    const le = Buffer.from(s, 'utf16le');
    const be = Buffer.alloc(le.length + 2);
    be[0] = 0xfe;
    be[1] = 0xff;
    for (let i = 0; i < le.length; i += 2) {
      be[i + 2] = le[i + 1]!;
      be[i + 3] = le[i]!;
    }
    return new PdfString(be);
  }
}

function utf16be(b: Buffer): string {
  const c = Buffer.from(b.subarray(0, b.length - (b.length % 2)));
  c.swap16();
  return c.toString('utf16le');
}

export class PdfRef {
  constructor(
    readonly num: number,
    readonly gen: number,
  ) {}
  get key(): string {
    return `${this.num} ${this.gen}`;
  }
  equals(o: PdfRef): boolean {
    return o.num === this.num && o.gen === this.gen;
  }
}

export class PdfDict {
  readonly map: Map<string, PdfObject>;
  constructor(entries?: Iterable<[string, PdfObject]>) {
    this.map = new Map(entries);
  }
  get(key: string): PdfObject | undefined {
    return this.map.get(key);
  }
  set(key: string, value: PdfObject): this {
    this.map.set(key, value);
    return this;
  }
  delete(key: string): void {
    this.map.delete(key);
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
  clone(): PdfDict {
    return new PdfDict(this.map);
  }
  /** The value of /Type as a name, if any. */
  get type(): string | undefined {
    const t = this.map.get('Type');
    return t instanceof PdfName ? t.name : undefined;
  }
}

/** Where a stream's raw (still encoded, maybe encrypted) bytes are. */
export type StreamSource = { kind: 'file'; offset: number; length: number } | { kind: 'bytes'; data: Buffer };

export class PdfStream {
  constructor(
    readonly dict: PdfDict,
    readonly source: StreamSource,
  ) {}
}

/** Bytes written verbatim by the serialiser (placeholders patched later). */
export class PdfRaw {
  constructor(readonly bytes: Buffer) {}
}

export type PdfArray = PdfObject[];

export type PdfObject =
  null | boolean | number | PdfName | PdfString | PdfRef | PdfDict | PdfArray | PdfStream | PdfRaw;

export const isDict = (o: PdfObject | undefined): o is PdfDict => o instanceof PdfDict;
export const isName = (o: PdfObject | undefined, name?: string): o is PdfName =>
  o instanceof PdfName && (name === undefined || o.name === name);
export const isRef = (o: PdfObject | undefined): o is PdfRef => o instanceof PdfRef;
export const isArray = (o: PdfObject | undefined): o is PdfArray => Array.isArray(o);
export const isNumber = (o: PdfObject | undefined): o is number => typeof o === 'number';
export const name = PdfName.of;
