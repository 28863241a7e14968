// Stamp text with the embedded Liberation Serif subset, judged by tools that are not ours: a
// /Stamp annotation whose appearance draws Vietnamese text is appended as an incremental update
// to a Chromium PDF (and to an AES-256 encrypted copy), then `qpdf --check` must be clean,
// `pdffonts` must list the subsets as embedded CID TrueType with ToUnicode, `pdftotext` must give
// the exact Vietnamese back, and poppler and MuPDF must both paint the glyphs inside the rect.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { INK } from '../../src-core/appearance/content-ops.js';
import { FontSubsetter } from '../../src-core/appearance/font-subset.js';
import { layoutText } from '../../src-core/appearance/text-layout.js';
import { PdfDict } from '../../src-core/pdf/objects.js';
import type { Rect } from '../../src-core/sign/placement.js';
import { makeFixtures, type PdfFixtures } from '../helpers/pdf-fixtures.js';
import { countIn, isDark, keepForReview, renderPage, writeStampRevision } from '../helpers/appearance.js';
import { run, runOk } from '../helpers/run.js';

const VIETNAMESE = 'Nguyễn Văn Đức — Đà Nẵng, ngày 04 tháng 12 năm 2026 — Ặ ỹ ự';
const BOLD_LINE = 'THỨ TRƯỞNG — Nguyễn Văn Đức';
/** Visible-page rect below the letter's signature block, blank in the original. */
const RECT: Rect = [70, 330, 530, 410];

let fx: PdfFixtures;
before(async () => {
  fx = await makeFixtures(['chromium', 'qpdf-aes256']);
});
after(async () => {
  await fx?.cleanup();
});

async function stampWithText(input: string, output: string): Promise<{ regular: string; bold: string }> {
  const regular = FontSubsetter.bundled('regular');
  const bold = FontSubsetter.bundled('bold');
  regular.use(VIETNAMESE);
  bold.use(BOLD_LINE);
  await Promise.all([regular.finalize(), bold.finalize()]);
  const w = RECT[2] - RECT[0];
  const h = RECT[3] - RECT[1];
  const top = layoutText(VIETNAMESE, { font: regular, fontName: 'F1', size: 13 }, { x: 6, top: h - 6, width: w - 12 });
  const second = layoutText(
    BOLD_LINE,
    { font: bold, fontName: 'F2', size: 14, colour: INK.red },
    { x: 0, top: top.box.y - 8, width: w, align: 'center' },
  );
  await writeStampRevision(input, output, (_reader, update) => ({
    pageIndex: 0,
    rect: RECT,
    content: top.ops + second.ops,
    resources: new PdfDict().set('Font', new PdfDict().set('F1', regular.embed(update)).set('F2', bold.embed(update))),
  }));
  return { regular: regular.baseFont, bold: bold.baseFont };
}

describe('embedded font subset in a real PDF', () => {
  for (const variant of ['chromium', 'qpdf-aes256'] as const) {
    test(`${variant}: qpdf clean, pdffonts embedded subset with ToUnicode, pdftotext exact, glyphs painted`, async () => {
      const input = fx.files[variant]!;
      const out = join(fx.dir, `font-${variant}.pdf`);
      const names = await stampWithText(input, out);

      const check = await run('qpdf', ['--check', out]);
      assert.equal(check.status, 0, check.stdout + check.stderr);
      assert.match(check.stdout, /No syntax or stream encoding errors found/);
      assert.doesNotMatch(check.stdout + check.stderr, /WARNING/i);

      const fonts = (await runOk('pdffonts', [out])).stdout;
      for (const name of [names.regular, names.bold]) {
        const row = fonts.split('\n').find((l) => l.startsWith(`${name} `));
        assert.ok(row, `pdffonts lists ${name}:\n${fonts}`);
        assert.match(row, /CID TrueType\s+Identity-H\s+yes\s+yes\s+yes/, row);
      }

      const text = (await runOk('pdftotext', ['-enc', 'UTF-8', out, '-'])).stdout.normalize('NFC');
      assert.ok(text.includes(VIETNAMESE), `pdftotext output lacks the exact string:\n${text}`);
      assert.ok(text.includes(BOLD_LINE), text);

      for (const engine of ['poppler', 'mupdf'] as const) {
        const before = await renderPage(input, join(fx.dir, `font-${variant}-orig-${engine}`), { engine });
        const after = await renderPage(out, join(fx.dir, `font-${variant}-${engine}`), { engine });
        assert.equal(countIn(before, RECT, isDark), 0, 'the stamp area is blank in the original');
        const dark = countIn(after, RECT, isDark);
        // Two lines of 13–14 pt text over ~430 pt: several hundred dark pixels at 72 dpi.
        assert.ok(dark > 400, `${engine}: only ${dark} dark pixels in the stamp`);
        const red = countIn(after, RECT, ([r, g, b]) => r > 150 && g < 90 && b < 90);
        assert.ok(red > 100, `${engine}: the bold line is red (${red} red pixels)`);
        await keepForReview(after.path, `font-${variant}-${engine}.png`);
      }
      await keepForReview(out, `font-${variant}.pdf`);
    });
  }
});
