// Text lines as content-stream operators: alignment, wrapping, colour, line height, the measured
// box, and numbers written without exponents (PDF has no exponent notation).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { INK, drawImage, fillColour, hexColour, num } from '../../src-core/appearance/content-ops.js';
import { FontSubsetter } from '../../src-core/appearance/font-subset.js';
import { fitFontSize, layoutText, wrapParagraph } from '../../src-core/appearance/text-layout.js';

const font = FontSubsetter.bundled('regular');
const EXPONENT = /\d[eE][+-]?\d/;

describe('numbers and colours', () => {
  test('num: no exponent, no -0, bounded decimals', () => {
    assert.equal(num(1e-7), '0');
    assert.equal(num(-1e-7), '0');
    assert.equal(num(0.1 + 0.2), '0.3');
    assert.equal(num(12), '12');
    assert.equal(num(-3.14159, 4), '-3.1416');
    assert.equal(num(123456789.5), '123456789.5');
    assert.equal(num(1.5e-5, 6), '0.000015');
    assert.throws(() => num(Number.NaN));
    assert.throws(() => num(1e21));
  });

  test('colours', () => {
    assert.equal(fillColour(INK.blue), '0 0.2 0.6 rg');
    assert.deepEqual(hexColour('#CC0000'), [0.8, 0, 0]);
    assert.equal(fillColour([1.5, -1, 1e-9]), '1 0 0 rg');
    assert.equal(drawImage('Im1', 10, 20, 1e-7, 50), 'q 0 0 0 50 10 20 cm /Im1 Do Q');
    assert.throws(() => drawImage('Im 1', 0, 0, 1, 1));
  });
});

describe('layoutText', () => {
  const style = { font, fontName: 'F1', size: 10, colour: INK.black };

  test('left / centre / right in a box; first line hangs from the top by the ascent', () => {
    for (const align of ['left', 'center', 'right'] as const) {
      const b = layoutText('Đà Nẵng', style, { x: 100, top: 50, width: 200, align });
      const line = b.lines[0]!;
      const w = line.run.width;
      const expected = align === 'left' ? 100 : align === 'center' ? 100 + (200 - w) / 2 : 300 - w;
      assert.ok(Math.abs(line.x - expected) < 1e-9, align);
      assert.ok(Math.abs(line.baseline - (50 - 8.9111328125)) < 1e-9);
      assert.ok(Math.abs(b.box.height - (8.9111328125 + 2.1630859375)) < 1e-9);
      assert.ok(Math.abs(b.box.width - w) < 1e-9);
    }
  });

  test('wrapping to the width, paragraphs on \\n, line height', () => {
    const text =
      'Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư;\nĐà Nẵng';
    const b = layoutText(text, { ...style, lineHeight: 1.5 }, { x: 0, top: 100, width: 150 });
    assert.ok(b.lines.length >= 4);
    assert.equal(b.lines[b.lines.length - 1]!.run.text, 'Đà Nẵng');
    for (const l of b.lines) assert.ok(l.run.width <= 150 + 1e-9, l.run.text);
    for (let i = 1; i < b.lines.length; i++) {
      assert.ok(Math.abs(b.lines[i - 1]!.baseline - b.lines[i]!.baseline - 15) < 1e-9);
    }
    // No words lost or split.
    assert.equal(
      b.lines
        .slice(0, -1)
        .map((l) => l.run.text)
        .join(' '),
      text.split('\n')[0],
    );
  });

  test('a word wider than the box is cut by characters', () => {
    const lines = wrapParagraph(font, 'Số 1234567890/QĐ-BTC-VP', 12, 40);
    assert.ok(lines.length > 2);
    assert.equal(lines.join('').replace(/ /g, ''), 'Số1234567890/QĐ-BTC-VP');
    for (const l of lines) assert.ok(font.measure(l, 12) <= 40 + 1e-9 || [...l].length === 1);
    assert.deepEqual(wrapParagraph(font, '   ', 12, 40), ['']);
  });

  test('operators: one BT…ET in q…Q, Tf, colour, a Tm per line, hex glyphs; never an exponent', () => {
    const b = layoutText(
      ['THỨ TRƯỞNG', '', 'Nguyễn Văn Đức'],
      { ...style, size: 0.0000001 + 13, colour: INK.blue },
      {
        x: 1e-9,
        top: 123.456789,
        width: 180,
        align: 'center',
      },
    );
    const ops = b.ops;
    assert.match(ops, /^q BT \/F1 13 Tf 0 0\.2 0\.6 rg\n/);
    assert.match(ops, /ET Q\n$/);
    assert.equal((ops.match(/ Tm /g) ?? []).length, 2, 'the empty line draws nothing');
    assert.doesNotMatch(ops.replace(/<[0-9a-f]*>/g, '<>'), EXPONENT);
    // " T" and " V" are kerned pairs in Liberation Serif (as in Times New Roman): TJ arrays.
    assert.match(ops, /Tm \[<[0-9a-f]+> [\d.]+ <[0-9a-f]+>\] TJ/);
    assert.throws(() => layoutText('x', { ...style, fontName: 'F 1' }, { x: 0, top: 0 }));
  });

  test('fitFontSize picks the largest size that fits', () => {
    const text = 'BỘ TÀI CHÍNH — VĂN PHÒNG BỘ';
    const box = { width: 120, height: 30 };
    const size = fitFontSize(text, { font, fontName: 'F1' }, box, { min: 6, max: 14 });
    const fits = layoutText(text, { font, fontName: 'F1', size }, { x: 0, top: 30, width: 120 });
    assert.ok(fits.box.height <= 30 && fits.box.width <= 120);
    const bigger = layoutText(text, { font, fontName: 'F1', size: size + 0.5 }, { x: 0, top: 30, width: 120 });
    assert.ok(bigger.box.height > 30 || bigger.box.width > 120);
  });
});
