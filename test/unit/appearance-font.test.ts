// The font subset for stamp text: Vietnamese precomposed characters map to real glyphs (never
// .notdef), uncovered characters fail with a clear error, the subset file is a valid TrueType
// holding just the used glyphs, and the PDF objects (Type0 / CIDFontType2 / descriptor / W /
// ToUnicode) are what ISO 32000 asks for. Rendering and extraction by real tools: integration.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { KysoError } from '../../src-shared/errors.js';
import { FontSubsetter, normaliseText } from '../../src-core/appearance/font-subset.js';
import { createFont } from '../../src-core/appearance/fontkit-adapter.js';
import { toUnicodeCMap } from '../../src-core/appearance/to-unicode.js';
import { BufferSource } from '../../src-core/pdf/byte-source.js';
import { IncrementalUpdate } from '../../src-core/pdf/incremental-writer.js';
import type { PdfName } from '../../src-core/pdf/objects.js';
import { PdfDict, PdfRef, PdfStream, isArray } from '../../src-core/pdf/objects.js';
import { PdfReader } from '../../src-core/pdf/reader.js';

const VIETNAMESE = 'Nguyễn Văn Đức — Đà Nẵng, ngày 04 tháng 12 năm 2026 — Ặ ỹ ự';

/** A one-page PDF written by hand, just enough for an IncrementalUpdate. */
function tinyPdf(): PdfReader {
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>',
  ];
  let body = '%PDF-1.7\n';
  const offsets: number[] = [];
  objs.forEach((o, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objs.length + 1}\n0000000000 65535 f\r\n`;
  for (const off of offsets) body += `${String(off).padStart(10, '0')} 00000 n\r\n`;
  body += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return PdfReader.fromSource(new BufferSource(Buffer.from(body, 'latin1')));
}

/** Text back from glyph hex through the subset's ToUnicode map. */
function decode(font: FontSubsetter, glyphHex: string): string {
  const map = font.unicodeMap();
  let out = '';
  for (let i = 0; i < glyphHex.length; i += 4) out += map.get(parseInt(glyphHex.slice(i, i + 4), 16)) ?? '\uFFFD';
  return out;
}

describe('font subset: glyphs', () => {
  test('Vietnamese precomposed letters use real glyphs and decode back exactly', () => {
    const f = FontSubsetter.bundled('regular');
    const run = f.layout(VIETNAMESE, 12);
    assert.equal(run.text, VIETNAMESE);
    assert.equal(run.glyphHex.length, [...VIETNAMESE].length * 4);
    for (let i = 0; i < run.glyphHex.length; i += 4) assert.notEqual(run.glyphHex.slice(i, i + 4), '0000');
    assert.equal(decode(f, run.glyphHex), VIETNAMESE);
    // Each precomposed letter is one glyph of its own (not a base letter plus a floating mark).
    for (const ch of ['ễ', 'Đ', 'ẵ', 'Ặ', 'ỹ', 'ự', 'ă', 'ứ']) {
      const g = f.layout(ch, 10);
      assert.equal(g.glyphHex.length, 4, ch);
      assert.equal(decode(f, g.glyphHex), ch);
    }
  });

  test('decomposed input (NFD, as some keyboards type it) lays out like NFC; invisible characters dropped', () => {
    const f = FontSubsetter.bundled('regular');
    const nfc = f.layout('Nguyễn Đà Nẵng', 11);
    const nfd = f.layout('Nguyễn Đà Nẵng'.normalize('NFD'), 11);
    assert.equal(nfd.glyphHex, nfc.glyphHex);
    assert.equal(nfd.text, nfc.text);
    const zw = f.layout('Nguy\u200Bễn\u00AD', 11);
    assert.equal(zw.text, 'Nguyễn');
    assert.equal(normaliseText('a\tb\u200Dc'), 'a bc');
  });

  test('a character the font lacks fails clearly, naming it (no silent .notdef box)', () => {
    const f = FontSubsetter.bundled('bold');
    for (const [text, cp] of [
      ['Trần 中文', 'U+4E2D'],
      ['Ký 😀', 'U+1F600'],
    ] as const) {
      let caught: unknown;
      try {
        f.use(text);
      } catch (e) {
        caught = e;
      }
      assert.ok(caught instanceof KysoError);
      assert.equal(caught.code, 'INPUT_MALFORMED');
      assert.equal(caught.messageKey, 'appearance.font.missingGlyph');
      assert.match(String(caught.params.chars), new RegExp(cp.replace('+', '\\+')));
      assert.equal(caught.params.font, 'LiberationSerif-Bold');
    }
    assert.deepEqual(f.missingCharacters('Đức 中 中 ☃ ự'), ['中', '☃']);
  });

  test('widths follow the font: advance sum with kerning, scaled to the size', () => {
    const f = FontSubsetter.bundled('regular');
    const raw = f.font.layout('AVAWAY Văn');
    const run = f.layout('AVAWAY Văn', 20);
    assert.ok(Math.abs(run.width - (raw.advanceWidth / f.font.unitsPerEm) * 20) < 1e-9);
    // Kerning pairs move glyphs: the run is shown with a TJ array, not a plain Tj.
    assert.match(run.show, /^\[<[0-9a-f]+> [\d.]+ <[0-9a-f]+>.*\] TJ$/);
    const plain = f.layout('Nguyễn', 20);
    assert.equal(plain.show, `<${plain.glyphHex}> Tj`);
    // Metric-compatible with Times New Roman: N 722 + g u y 500 each + ễ 444 + n 500 (1/1000 em).
    assert.ok(Math.abs(f.measure('Nguyễn', 1000) - 3166.016) < 0.01);
  });

  test('after finalize(): used text still lays out, new glyphs are a programming error', async () => {
    const f = FontSubsetter.bundled('regular');
    f.use('THỨ TRƯỞNG');
    await f.finalize();
    assert.equal(f.finalized, true);
    assert.ok(f.layout('TRƯỞNG THỨ', 13).width > 0);
    assert.throws(() => f.layout('Z', 13), /not in the finalized subset/);
  });

  test('the subset tag is six letters derived from the glyph set', async () => {
    const a = FontSubsetter.bundled('regular');
    const b = FontSubsetter.bundled('regular');
    const c = FontSubsetter.bundled('regular');
    a.use('Đà Nẵng');
    b.use('Đà Nẵng');
    c.use('Hà Nội');
    await Promise.all([a.finalize(), b.finalize(), c.finalize()]);
    assert.match(a.baseFont, /^[A-Z]{6}\+LiberationSerif$/);
    assert.equal(a.baseFont, b.baseFont);
    assert.notEqual(a.baseFont, c.baseFont);
  });
});

describe('font subset: PDF objects', () => {
  test('Type0 / CIDFontType2 / FontDescriptor / FontFile2 / ToUnicode in the update', async () => {
    const reader = tinyPdf();
    const update = new IncrementalUpdate(reader);
    const f = FontSubsetter.bundled('regular');
    f.use(VIETNAMESE);
    await f.finalize();
    const ref = f.embed(update);
    assert.equal(f.embed(update), ref, 'one font object per update');

    const get = (r: unknown): PdfDict | PdfStream => {
      assert.ok(r instanceof PdfRef);
      const o = update.get(r);
      assert.ok(o instanceof PdfDict || o instanceof PdfStream);
      return o;
    };
    const type0 = get(ref) as PdfDict;
    assert.equal((type0.get('Subtype') as PdfName).name, 'Type0');
    assert.equal((type0.get('Encoding') as PdfName).name, 'Identity-H');
    assert.equal((type0.get('BaseFont') as PdfName).name, f.baseFont);
    const kids = type0.get('DescendantFonts');
    assert.ok(isArray(kids) && kids.length === 1);
    const cid = get(kids[0]) as PdfDict;
    assert.equal((cid.get('Subtype') as PdfName).name, 'CIDFontType2');
    assert.equal((cid.get('CIDToGIDMap') as PdfName).name, 'Identity');
    const w = cid.get('W');
    assert.ok(isArray(w));
    // CIDs 1…n in one run (0 is .notdef), widths in 1/1000 em.
    assert.equal(w[0], 1);
    const widths = w[1] as number[];
    const n = f.unicodeMap().size;
    assert.equal(widths.length, n);
    assert.ok(widths.every((x) => x > 0 && x <= 1000));

    const desc = get(cid.get('FontDescriptor')) as PdfDict;
    assert.equal((desc.get('FontName') as PdfName).name, f.baseFont);
    // Serif (2) + symbolic (4): the glyphs are addressed by id, not by a Latin encoding.
    assert.equal(desc.get('Flags'), 6);
    assert.deepEqual(
      ['Ascent', 'Descent', 'CapHeight', 'ItalicAngle'].map((k) => desc.get(k)),
      [891, -216, 655, 0],
    );
    assert.ok(isArray(desc.get('FontBBox')));
    assert.ok(typeof desc.get('StemV') === 'number');

    const file = get(desc.get('FontFile2'));
    assert.ok(file instanceof PdfStream && file.source.kind === 'bytes');
    const ttf = inflateSync(file.source.data);
    assert.equal(file.dict.get('Length1'), ttf.length);
    assert.ok(ttf.length < 40_000, `subset is ${ttf.length} bytes (the full font is ~400 KB)`);
    const parsed = createFont(ttf);
    assert.ok(parsed.numGlyphs >= n + 1);
    // Glyph 1 of the subset is the first glyph laid out ("N") with the same advance.
    assert.equal(parsed.getGlyph(1).advanceWidth, f.font.glyphForCodePoint(0x4e).advanceWidth);

    const toUni = get(type0.get('ToUnicode'));
    assert.ok(toUni instanceof PdfStream && toUni.source.kind === 'bytes');
    const cmap = inflateSync(toUni.source.data).toString('latin1');
    assert.match(cmap, /begincodespacerange\n<0000> <FFFF>\nendcodespacerange/);
    // "ễ" (U+1EC5) and "Đ" (U+0110) are mapped.
    assert.match(cmap, /<[0-9A-F]{4}> <1EC5>/);
    assert.match(cmap, /<[0-9A-F]{4}> <0110>/);
    reader.close();
  });

  test('ToUnicode: blocks of at most 100, surrogate pairs for astral characters', () => {
    const map = new Map<number, string>();
    for (let i = 1; i <= 150; i++) map.set(i, String.fromCharCode(0x41 + (i % 26)));
    map.set(151, '𝐀');
    map.set(152, '');
    const cmap = toUnicodeCMap(map);
    assert.deepEqual(
      [...cmap.matchAll(/(\d+) beginbfchar/g)].map((m) => Number(m[1])),
      [100, 51],
    );
    assert.match(cmap, /<0097> <D835DC00>/);
    assert.doesNotMatch(cmap, /<0098>/);
  });
});
