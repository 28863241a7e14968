// Signature and seal images as Image XObjects with a soft mask, rendered by poppler: a blue
// signature-like PNG (transparent except a band of ink) is stamped over the signer's name found by
// anchor search. Every rendered pixel in the stamp is checked against the image: where the PNG is
// opaque the page is blue, where it is transparent the page is exactly as before (the name's text
// still shows). Also on a /Rotate 90 page (the appearance stays upright) and with a red palette
// seal over the signature, as Decree 30 lays them out.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { findText } from '../../src-core/appearance/anchor-search.js';
import { drawImage } from '../../src-core/appearance/content-ops.js';
import { dominantInkColour, embedImage, loadPng, type DecodedPng } from '../../src-core/appearance/image-xobject.js';
import { PdfDict } from '../../src-core/pdf/objects.js';
import type { Rect } from '../../src-core/sign/placement.js';
import { makeFixtures, type PdfFixtures } from '../helpers/pdf-fixtures.js';
import {
  countIn,
  encodePng,
  isBlue,
  isDark,
  keepForReview,
  renderPage,
  rgbAt,
  signaturePng,
  writeStampRevision,
  type Rendered,
} from '../helpers/appearance.js';
import { runOk } from '../helpers/run.js';

const DPI = 144;

let fx: PdfFixtures;
before(async () => {
  fx = await makeFixtures(['chromium', 'rotated']);
});
after(async () => {
  await fx?.cleanup();
});

/** Alpha of the image around (ix, iy): 'clear' if all 0 within 2 px, 'ink' if all 255, else 'edge'. */
function alphaAround(png: DecodedPng, ix: number, iy: number): 'clear' | 'ink' | 'edge' {
  let min = 255;
  let max = 0;
  for (let dy = -2; dy <= 2; dy++) {
    for (let dx = -2; dx <= 2; dx++) {
      const x = Math.min(png.width - 1, Math.max(0, Math.floor(ix) + dx));
      const y = Math.min(png.height - 1, Math.max(0, Math.floor(iy) + dy));
      const a = png.alpha ? png.alpha[y * png.width + x]! : 255;
      min = Math.min(min, a);
      max = Math.max(max, a);
    }
  }
  return max === 0 ? 'clear' : min === 255 ? 'ink' : 'edge';
}

/** Checks every pixel of the stamp against the image; returns counts for the caller's assertions. */
function compareStamp(
  before: Rendered,
  after: Rendered,
  rect: Rect,
  png: DecodedPng,
): { ink: number; inkBlue: number; clear: number; clearSame: number; clearDark: number } {
  const s = after.scale;
  const w = rect[2] - rect[0];
  const h = rect[3] - rect[1];
  const res = { ink: 0, inkBlue: 0, clear: 0, clearSame: 0, clearDark: 0 };
  const H = after.png.height;
  for (let py = Math.floor((H / s - rect[3]) * s); py < Math.ceil((H / s - rect[1]) * s); py++) {
    for (let px = Math.floor(rect[0] * s); px < Math.ceil(rect[2] * s); px++) {
      const x = (px + 0.5) / s;
      const y = (H - py - 0.5) / s;
      if (x <= rect[0] + 1 || x >= rect[2] - 1 || y <= rect[1] + 1 || y >= rect[3] - 1) continue;
      const kind = alphaAround(png, ((x - rect[0]) / w) * png.width, ((rect[3] - y) / h) * png.height);
      const now = rgbAt(after, px, py);
      if (kind === 'ink') {
        res.ink++;
        if (isBlue(now)) res.inkBlue++;
      } else if (kind === 'clear') {
        res.clear++;
        const was = rgbAt(before, px, py);
        if (now.every((v, i) => Math.abs(v - was[i]!) <= 6)) res.clearSame++;
        if (isDark(was)) res.clearDark++;
      }
    }
  }
  return res;
}

async function stampImage(input: string, out: string, rect: Rect, png: DecodedPng): Promise<void> {
  await writeStampRevision(input, out, (_r, update) => {
    const img = embedImage(update, png);
    return {
      pageIndex: 0,
      rect,
      content: drawImage('Im1', 0, 0, rect[2] - rect[0], rect[3] - rect[1]),
      resources: new PdfDict().set('XObject', new PdfDict().set('Im1', img.ref)),
    };
  });
  await runOk('qpdf', ['--check', out]);
}

describe('image XObject with soft mask', () => {
  test('blue signature over the signer name: ink is blue, transparent parts show the page unchanged', async () => {
    const input = fx.files.chromium!;
    const [name] = await findText(input, 0, ['Nguyễn Văn Đức']);
    assert.ok(name);
    // 120×60 pt: the name falls in the image's transparent upper part, the ink band below it.
    const rect: Rect = [name.rect[0] - 13, name.rect[1] - 29.4, name.rect[0] + 107, name.rect[1] + 30.6];
    const png = loadPng(signaturePng(), { requireTransparency: true });
    assert.equal(dominantInkColour(png).dominant, 'blue');
    const out = join(fx.dir, 'image-chromium.pdf');
    await stampImage(input, out, rect, png);

    const before = await renderPage(input, join(fx.dir, 'image-chromium-orig'), { dpi: DPI });
    const after = await renderPage(out, join(fx.dir, 'image-chromium'), { dpi: DPI });
    const r = compareStamp(before, after, rect, png);
    assert.ok(r.ink > 500, `ink pixels checked: ${r.ink}`);
    assert.equal(r.inkBlue, r.ink, 'every opaque image pixel renders blue');
    assert.ok(r.clear > 5000);
    assert.equal(r.clearSame, r.clear, 'every transparent image pixel leaves the page as it was');
    assert.ok(r.clearDark > 100, `the name's text shows through the transparent part (${r.clearDark} dark pixels)`);
    await keepForReview(after.path, 'image-signature-chromium.png');
    await keepForReview(out, 'image-signature-chromium.pdf');
  });

  test('on a /Rotate 90 page the image stays upright in the visible page', async () => {
    const input = fx.files.rotated!;
    const [name] = await findText(input, 0, ['Nguyễn Văn Đức']);
    assert.ok(name);
    // The name runs vertically on the rotated page; the stamp crosses it.
    const rect: Rect = [name.rect[0] - 40, name.rect[1] + 10, name.rect[0] + 80, name.rect[1] + 70];
    const png = loadPng(signaturePng(), { requireTransparency: true });
    const out = join(fx.dir, 'image-rotated.pdf');
    await stampImage(input, out, rect, png);
    const before = await renderPage(input, join(fx.dir, 'image-rotated-orig'), { dpi: DPI });
    const after = await renderPage(out, join(fx.dir, 'image-rotated'), { dpi: DPI });
    // The visible page is landscape.
    assert.ok(after.png.width > after.png.height);
    const r = compareStamp(before, after, rect, png);
    assert.ok(r.ink > 500);
    assert.equal(r.inkBlue, r.ink, 'the horizontal ink band is horizontal in the visible page');
    assert.equal(r.clearSame, r.clear);
    assert.ok(r.clearDark > 50);
    await keepForReview(after.path, 'image-signature-rotated.png');
  });

  test('red palette seal (tRNS) over the left third of the signature, as Decree 30 lays them out', async () => {
    const input = fx.files.chromium!;
    const [name] = await findText(input, 0, ['Nguyễn Văn Đức']);
    assert.ok(name);
    const sig: Rect = [name.rect[0] - 13, name.rect[1] + 18, name.rect[0] + 107, name.rect[1] + 78];
    const sealSize = 60;
    const seal: Rect = [sig[0] - sealSize / 3, sig[1], sig[0] + (2 * sealSize) / 3, sig[1] + sealSize];
    const sealPng = loadPng(
      encodePng({
        width: 120,
        height: 120,
        colourType: 3,
        bitDepth: 2,
        palette: [
          [255, 255, 255],
          [200, 16, 46],
        ],
        trns: Buffer.from([0, 255]),
        sample: (x, y) => {
          const d = Math.hypot(x - 59.5, y - 59.5);
          return [(d > 48 && d < 58) || (d < 20 && Math.abs(x - y) < 6) ? 1 : 0];
        },
      }),
      { requireTransparency: true },
    );
    assert.equal(dominantInkColour(sealPng).dominant, 'red');
    const sigPng = loadPng(signaturePng(40, 70), { requireTransparency: true });
    const stamp: Rect = [seal[0], sig[1], sig[2], sig[3]];
    const out = join(fx.dir, 'image-seal.pdf');
    await writeStampRevision(input, out, (_r, update) => {
      const a = embedImage(update, sigPng);
      const b = embedImage(update, sealPng);
      const ox = stamp[0];
      const oy = stamp[1];
      return {
        pageIndex: 0,
        rect: stamp,
        content:
          drawImage('Sig', sig[0] - ox, sig[1] - oy, sig[2] - sig[0], sig[3] - sig[1]) +
          '\n' +
          drawImage('Seal', seal[0] - ox, seal[1] - oy, sealSize, sealSize),
        resources: new PdfDict().set('XObject', new PdfDict().set('Sig', a.ref).set('Seal', b.ref)),
      };
    });
    await runOk('qpdf', ['--check', out]);
    const before = await renderPage(input, join(fx.dir, 'image-seal-orig'), { dpi: DPI });
    const after = await renderPage(out, join(fx.dir, 'image-seal'), { dpi: DPI });
    const sealCheck = compareStamp(before, after, seal, sealPng);
    // The seal's ink is red; where the seal is clear the signature or page shows (not compared here).
    let red = 0;
    for (let py = 0; py < after.png.height; py++) {
      for (let px = 0; px < after.png.width; px++) {
        const [r, g, b] = rgbAt(after, px, py);
        if (r > 150 && g < 80 && b < 100) red++;
      }
    }
    assert.ok(red > 1000, `red seal pixels: ${red}`);
    assert.ok(sealCheck.ink > 1000);
    // Inside the ring the seal is transparent: the signature's blue band shows through it.
    const blueUnderSeal = countIn(after, seal, isBlue);
    assert.ok(blueUnderSeal > 300, `blue pixels inside the seal's rect: ${blueUnderSeal}`);
    const sigRight: Rect = [seal[2] + 2, sig[1], sig[2], sig[3]];
    const sigCheck = compareStamp(before, after, sigRight, {
      ...sigPng,
      // The part of the signature right of the seal, as its own image for the comparison.
      ...cropColumns(sigPng, (sigRight[0] - sig[0]) / (sig[2] - sig[0])),
    });
    assert.ok(sigCheck.ink > 500 && sigCheck.inkBlue === sigCheck.ink);
    await keepForReview(after.path, 'image-seal-and-signature.png');
  });
});

/** The columns of an image from `fromShare` of its width to the right edge. */
function cropColumns(png: DecodedPng, fromShare: number): DecodedPng {
  const x0 = Math.round(fromShare * png.width);
  const width = png.width - x0;
  const pixels = Buffer.alloc(width * png.height * png.channels);
  const alpha = png.alpha ? Buffer.alloc(width * png.height) : null;
  for (let y = 0; y < png.height; y++) {
    png.pixels.copy(
      pixels,
      y * width * png.channels,
      (y * png.width + x0) * png.channels,
      (y * png.width + png.width) * png.channels,
    );
    png.alpha?.copy(alpha!, y * width, y * png.width + x0, y * png.width + png.width);
  }
  return { ...png, width, pixels, alpha };
}
