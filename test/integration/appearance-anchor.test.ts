// Anchor search on real PDFs: the signer's name and title, the "Số:" and "ngày … tháng … năm"
// placeholders and the text-line boxes, in visible coordinates. Each position is cross-checked
// against a poppler rendering (the rect must hold the glyphs' dark pixels), and the /Rotate 90 and
// CropBox variants must give the geometrically transformed rects of the plain page.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KysoError } from '../../src-shared/errors.js';
import {
  PdfTextIndex,
  coveredText,
  findPlaceholders,
  findText,
  textBoxes,
} from '../../src-core/appearance/anchor-search.js';
import type { Rect } from '../../src-core/sign/placement.js';
import { openTextSource } from '../../src-core/appearance/pdfjs-adapter.js';
import { makeChromiumPdf, makeFixtures, type PdfFixtures } from '../helpers/pdf-fixtures.js';
import { countIn, isDark, keepForReview, renderPage, visiblePageSize } from '../helpers/appearance.js';

let fx: PdfFixtures;
before(async () => {
  fx = await makeFixtures(['chromium', 'rotated', 'cropbox', 'qpdf-aes256', 'qpdf-objstm']);
});
after(async () => {
  await fx?.cleanup();
});

const centre = (r: Rect): [number, number] => [(r[0] + r[2]) / 2, (r[1] + r[3]) / 2];
const close = (a: Rect, b: Rect, tol = 0.5): boolean => a.every((v, i) => Math.abs(v - b[i]!) <= tol);

/** Dark pixels of the rendered page inside a rect (the glyphs are really there). */
async function darkIn(pdf: string, rect: Rect, tag: string): Promise<number> {
  const r = await renderPage(pdf, join(fx.dir, `anchor-${tag}`), { dpi: 72 });
  return countIn(r, rect, isDark);
}

describe('findText', () => {
  test('Chromium letter: signer name and title in the right half, title above the name, glyphs inside', async () => {
    const pdf = fx.files.chromium!;
    const [w, h] = visiblePageSize(pdf);
    const hits = await findText(pdf, 0, ['Nguyễn Văn Đức', 'THỨ TRƯỞNG']);
    const name = hits.find((m) => m.needle === 'Nguyễn Văn Đức');
    const title = hits.find((m) => m.needle === 'THỨ TRƯỞNG');
    assert.ok(name && title, JSON.stringify(hits));
    assert.equal(hits.filter((m) => m.needle === 'Nguyễn Văn Đức').length, 1, '"Nguyễn Thị Ánh Tuyết" is not a match');
    for (const m of [name, title]) {
      assert.ok(centre(m.rect)[0] > w / 2, `${m.needle} in the right half: ${m.rect}`);
      // The letter is short: its signature block sits just above the middle of an A4 page.
      assert.ok(m.rect[3] < h * 0.7 && m.rect[1] > h * 0.4, `${m.needle} height: ${m.rect}`);
      assert.ok(Math.abs(m.fontSize - 13) < 0.01);
      // About as tall as 13 pt text, about as wide as the words.
      assert.ok(m.rect[3] - m.rect[1] > 10 && m.rect[3] - m.rect[1] < 20);
      assert.ok(await darkIn(pdf, m.rect, 'chromium'), `${m.needle}: glyphs inside the rect`);
    }
    assert.ok(title.rect[1] > name.rect[3], 'the title is above the name (room for the signature between)');
    assert.ok(Math.abs(name.rect[2] - name.rect[0] - 94.93) < 0.5, 'width = the run width from the PDF');
  });

  test('case-insensitive, NFC/NFD-insensitive, spaces collapsed, optional diacritics folding', async () => {
    const pdf = fx.files.chromium!;
    const [exact] = await findText(pdf, 0, ['Nguyễn Văn Đức']);
    const [lower] = await findText(pdf, 0, ['nguyễn  văn  đức'.normalize('NFD')]);
    assert.ok(exact && lower && close(exact.rect, lower.rect, 0.01));
    assert.deepEqual(await findText(pdf, 0, ['Nguyen Van Duc']), []);
    const [folded] = await findText(pdf, 0, ['Nguyen Van Duc'], { ignoreDiacritics: true });
    assert.ok(folded && close(folded.rect, exact.rect, 0.01));
    // A substring: its rect is inside the line's and starts right of the line start.
    const [part] = await findText(pdf, 0, ['Văn Đức']);
    assert.ok(part && part.rect[0] > exact.rect[0] + 20 && Math.abs(part.rect[2] - exact.rect[2]) < 0.5);
    // Across pages: 'all' searches every page (one here).
    assert.equal((await findText(pdf, 'all', ['Đà Nẵng'])).length, 1);
  });

  test('a name split over several runs (style changes mid-word) and over two pages', async () => {
    const html =
      `<!doctype html><html lang="vi"><head><meta charset="utf-8"><style>body{font-family:'Liberation Serif';font-size:13pt}` +
      `.p{page-break-after:always}</style></head><body><p class="p">Người ký: <b>Ngu</b>yễn <i>V</i>ăn Đ<b>ức</b> (ký)</p>` +
      `<p>Trang 2: NGUYỄN VĂN ĐỨC</p></body></html>`;
    const pdf = await makeChromiumPdf(fx.dir, html, 'split-runs.pdf');
    // The premise: pdf.js reports the name in pieces.
    const src = await openTextSource(pdf);
    const items = (await src.page(0)).items.map((i) => i.str).filter((s) => s.trim());
    await src.close();
    assert.ok(items.length >= 4 && !items.some((s) => s.includes('Nguyễn')), JSON.stringify(items));
    const hits = await findText(pdf, 'all', ['Nguyễn Văn Đức']);
    assert.deepEqual(
      hits.map((m) => [m.pageIndex, m.lineText]),
      [
        [0, 'Người ký: Nguyễn Văn Đức (ký)'],
        [1, 'Trang 2: NGUYỄN VĂN ĐỨC'],
      ],
    );
    const first = hits[0]!;
    assert.ok(await darkIn(pdf, first.rect, 'split'));
    // The rect starts at "N", not at "Người ký:".
    const [line] = await findText(pdf, 0, ['Người ký']);
    assert.ok(first.rect[0] > line!.rect[2] + 3, `${first.rect} vs ${line!.rect}`);
    assert.ok(first.rect[2] - first.rect[0] > 80 && first.rect[2] - first.rect[0] < 110, `${first.rect}`);
  });

  test('/Rotate 90: visible rects are the plain page rects rotated (name in the visible right, lower half)', async () => {
    const plain = await findText(fx.files.chromium!, 0, ['Nguyễn Văn Đức', 'THỨ TRƯỞNG', 'Số:']);
    const rotated = await findText(fx.files.rotated!, 0, ['Nguyễn Văn Đức', 'THỨ TRƯỞNG', 'Số:']);
    const [w, h] = visiblePageSize(fx.files.rotated!);
    assert.ok(w > h, 'landscape once rotated');
    const W = h; // the unrotated page width
    for (const p of plain) {
      const r = rotated.find((m) => m.needle === p.needle);
      assert.ok(r, p.needle);
      // Rotate 90 (clockwise on screen): visible (x, y) = (user y, W − user x).
      const expected: Rect = [p.rect[1], W - p.rect[2], p.rect[3], W - p.rect[0]];
      assert.ok(close(r.rect, expected), `${p.needle}: ${r.rect} vs ${expected}`);
      assert.ok(await darkIn(fx.files.rotated!, r.rect, 'rotated'), `${p.needle}: glyphs inside (rotated render)`);
    }
    const name = rotated.find((m) => m.needle === 'Nguyễn Văn Đức')!;
    assert.ok(centre(name.rect)[0] > w / 2 && centre(name.rect)[1] < h / 2, `${name.rect}`);
    // The text runs downwards on screen: the rect is tall and narrow.
    assert.ok(name.rect[3] - name.rect[1] > 3 * (name.rect[2] - name.rect[0]));
  });

  test('CropBox offset: coordinates start at the visible corner', async () => {
    const pdf = fx.files.cropbox!;
    const [m] = await findText(pdf, 0, ['CONG VAN so 123']);
    assert.ok(m);
    // Drawn at user (72, 760) with CropBox [60 80 540 800]: visible baseline origin (12, 680).
    assert.ok(Math.abs(m.rect[0] - 12) < 0.5, `${m.rect}`);
    assert.ok(m.rect[1] < 680 && m.rect[1] > 675 && m.rect[3] > 688 && m.rect[3] < 692, `${m.rect}`);
    assert.ok(await darkIn(pdf, m.rect, 'cropbox'));
    const [w, h] = visiblePageSize(pdf);
    assert.deepEqual([w, h], [480, 720]);
  });

  test('encrypted (owner password only) and object-stream files read the same', async () => {
    const plain = await findText(fx.files.chromium!, 0, ['Nguyễn Văn Đức']);
    for (const v of ['qpdf-aes256', 'qpdf-objstm'] as const) {
      const hits = await findText(fx.files[v]!, 0, ['Nguyễn Văn Đức']);
      assert.equal(hits.length, 1, v);
      assert.ok(close(hits[0]!.rect, plain[0]!.rect, 0.01), v);
    }
  });

  test('errors: not a PDF, missing file, page out of range', async () => {
    const junk = join(fx.dir, 'junk.pdf');
    await writeFile(junk, 'this is not a PDF at all');
    await assert.rejects(findText(junk, 0, ['x']), (e: unknown) => {
      assert.ok(e instanceof KysoError);
      assert.equal(e.code, 'INPUT_MALFORMED');
      assert.equal(e.messageKey, 'appearance.anchor.unreadable');
      return true;
    });
    await assert.rejects(findText(join(fx.dir, 'missing.pdf'), 0, ['x']), (e: unknown) => {
      assert.ok(e instanceof KysoError);
      assert.equal(e.code, 'INPUT_UNREADABLE');
      return true;
    });
    await assert.rejects(findText(fx.files.chromium!, 3, ['x']), (e: unknown) => {
      assert.ok(e instanceof KysoError);
      assert.equal(e.code, 'USAGE');
      assert.match(String(e.params.detail), /page 4: the document has 1 page/);
      return true;
    });
  });
});

describe('findPlaceholders', () => {
  test('Chromium letter: "Số:" top-left, the date line top-right, slots where the dots are', async () => {
    const pdf = fx.files.chromium!;
    const [w, h] = visiblePageSize(pdf);
    const p = await findPlaceholders(pdf);
    assert.ok(p.number && p.date, JSON.stringify(p));

    const [nx, ny] = centre(p.number.rect);
    assert.ok(nx < w / 2 && ny > h / 2, `number top-left: ${p.number.rect}`);
    assert.equal(p.number.slot.text, '......');
    assert.ok(p.number.slot.rect[0] >= p.number.label[2] - 0.01, 'the slot starts after "Số:"');
    assert.ok(p.number.slot.rect[2] - p.number.slot.rect[0] > 15, 'the slot spans the dots');
    assert.match(p.number.lineText, /^Số: \.+\/QĐ-BTC$/);

    const [dx, dy] = centre(p.date.rect);
    assert.ok(dx > w / 2 && dy > h / 2, `date top-right: ${p.date.rect}`);
    assert.equal(p.date.day.text, '...');
    assert.equal(p.date.month.text, '...');
    assert.equal(p.date.year.text, '2026');
    // Day, month and year slots run left to right on the same line as the number.
    assert.ok(p.date.day.rect[2] <= p.date.month.rect[0] && p.date.month.rect[2] <= p.date.year.rect[0]);
    assert.ok(Math.abs(p.date.day.rect[1] - p.number.slot.rect[1]) < 0.5);
    // "ngày 05 tháng 3 năm 2020" in the body is a date, not a placeholder: the top one is found.
    assert.match(p.date.lineText, /^Hà Nội, ngày/);
    for (const r of [p.number.label, p.date.rect]) assert.ok(await darkIn(pdf, r, 'placeholders'));
  });

  test('/Rotate 90: the same placeholders, rotated', async () => {
    const a = await findPlaceholders(fx.files.chromium!);
    const b = await findPlaceholders(fx.files.rotated!);
    const [, W] = visiblePageSize(fx.files.rotated!);
    const rot = (r: Rect): Rect => [r[1], W - r[2], r[3], W - r[0]];
    assert.ok(a.number && b.number && a.date && b.date);
    assert.ok(close(b.number.slot.rect, rot(a.number.slot.rect)));
    assert.ok(close(b.date.day.rect, rot(a.date.day.rect)));
  });

  test('blank slots (spaces, as Word templates leave them)', async () => {
    const sp = '&nbsp;'.repeat(8);
    const html =
      `<!doctype html><html lang="vi"><head><meta charset="utf-8"><style>body{font-family:'Liberation Serif';font-size:13pt}` +
      `td{width:50%;text-align:center}</style></head><body><table style="width:100%"><tr>` +
      `<td>Số:${sp}/QĐ-UBND</td><td><i>Đà Nẵng, ngày${sp}tháng${sp}năm 2026</i></td></tr></table>` +
      `<p>Số: …/TB-VP ngày … tháng … năm …</p></body></html>`;
    const pdf = await makeChromiumPdf(fx.dir, html, 'blank-slots.pdf');
    const p = await findPlaceholders(pdf);
    assert.ok(p.number && p.date, JSON.stringify(p));
    assert.match(p.number.lineText, /^Số: +\/QĐ-UBND$/);
    assert.equal(p.number.slot.text, '');
    // The blank is about eight spaces wide at 13 pt (≈ 26 pt), ending at the "/".
    const slotW = p.number.slot.rect[2] - p.number.slot.rect[0];
    assert.ok(slotW > 15 && slotW < 40, `${p.number.slot.rect}`);
    assert.match(p.date.lineText, /^Đà Nẵng, ngày +tháng +năm 2026$/);
    for (const s of [p.date.day, p.date.month]) {
      assert.equal(s.text, '');
      assert.ok(s.rect[2] - s.rect[0] > 15, `${s.rect}`);
    }
    // The second, ellipsis-style pair (one line) is further down; the first of each is returned.
    const ix = await PdfTextIndex.open(pdf);
    try {
      const lines = await ix.lines(0);
      const last = lines[lines.length - 1]!;
      assert.equal(last.text, 'Số: …/TB-VP ngày … tháng … năm …');
    } finally {
      await ix.close();
    }
    const [w] = visiblePageSize(pdf);
    assert.ok(centre(p.number.rect)[0] < w / 2 && centre(p.date.rect)[0] > w / 2);
  });

  test('ellipsis placeholders ("…" is folded to "...")', async () => {
    const html =
      `<!doctype html><html lang="vi"><head><meta charset="utf-8"></head><body style="font-family:'Liberation Serif'">` +
      `<p>Số: …/TB-VP</p><p>Huế, ngày … tháng … năm …</p></body></html>`;
    const pdf = await makeChromiumPdf(fx.dir, html, 'ellipsis.pdf');
    const p = await findPlaceholders(pdf);
    assert.ok(p.number && p.date, JSON.stringify(p));
    assert.equal(p.number.slot.text, '...');
    assert.deepEqual([p.date.day.text, p.date.month.text, p.date.year.text], ['...', '...', '...']);
  });

  test('a page without placeholders gives nulls', async () => {
    assert.deepEqual(await findPlaceholders(fx.files.cropbox!), { number: null, date: null });
  });
});

describe('textBoxes', () => {
  test('one box per line, split at column gaps; a stamp over the name reports it', async () => {
    const pdf = fx.files.chromium!;
    const boxes = await textBoxes(pdf, 0);
    const texts = boxes.map((b) => b.text);
    // The two header cells share a baseline but are separate boxes.
    assert.ok(texts.includes('Số: ....../QĐ-BTC'), texts.join('\n'));
    assert.ok(texts.includes('Hà Nội, ngày ... tháng ... năm 2026'));
    assert.ok(texts.includes('Nguyễn Văn Đức'));
    assert.equal(boxes.length, 17, texts.join('\n'));
    // Reading order: top to bottom.
    for (let i = 1; i < boxes.length; i++) assert.ok(boxes[i - 1]!.rect[3] >= boxes[i]!.rect[3] - 0.01);
    const r = await renderPage(pdf, join(fx.dir, 'anchor-boxes'), { dpi: 72 });
    for (const b of boxes) assert.ok(countIn(r, b.rect, isDark) > 0, `${b.text}: dark pixels in its box`);
    // Outside every box the page is blank: the boxes cover all text.
    let darkOutside = 0;
    for (let py = 0; py < r.png.height; py++) {
      for (let px = 0; px < r.png.width; px++) {
        const x = px + 0.5;
        const y = r.png.height - py - 0.5;
        const inside = boxes.some(
          (b) => x >= b.rect[0] - 1 && x <= b.rect[2] + 1 && y >= b.rect[1] - 1 && y <= b.rect[3] + 1,
        );
        const i = (py * r.png.width + px) * 3;
        if (!inside && r.png.pixels[i]! + r.png.pixels[i + 1]! + r.png.pixels[i + 2]! < 300) darkOutside++;
      }
    }
    assert.equal(darkOutside, 0);
    await keepForReview(r.path, 'anchor-chromium-page.png');

    const [name] = await findText(pdf, 0, ['Nguyễn Văn Đức']);
    const stamp: Rect = [name!.rect[0] - 10, name!.rect[1] - 40, name!.rect[2] + 10, name!.rect[1] + 5];
    assert.deepEqual(
      coveredText(stamp, boxes).map((b) => b.text),
      ['Nguyễn Văn Đức'],
    );
    const below: Rect = [stamp[0], stamp[1] - 60, stamp[2], stamp[1] - 10];
    assert.deepEqual(coveredText(below, boxes), []);
  });

  test('PdfTextIndex reuses one open document for several queries', async () => {
    const ix = await PdfTextIndex.open(fx.files.chromium!);
    try {
      assert.equal(ix.pageCount, 1);
      const a = await ix.lines(0);
      assert.equal(await ix.lines(0), a, 'cached');
      assert.equal((await ix.find(0, ['THỨ TRƯỞNG'])).length, 1);
      assert.ok((await ix.placeholders()).number);
    } finally {
      await ix.close();
    }
  });
});
