// PNG decoding and validation for signature and seal images, against PNGs written by an
// independent encoder in the test helper (own CRC-32, every filter type and colour type): pixel
// values round-trip, transparency is required where it must be, and each refusal carries its code.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 as zlibCrc32, deflateSync } from 'node:zlib';
import { KysoError } from '../../src-shared/errors.js';
import {
  IMAGE_LIMITS,
  assertTransparentBackground,
  dominantInkColour,
  fitImage,
  imageSizeInPoints,
  loadPng,
  pixelAt,
  transparentShare,
} from '../../src-core/appearance/image-xobject.js';
import { decodePng } from '../../src-core/appearance/png-decoder.js';
import { BLUE_INK, crc32, encodePng, rgbaPng, signaturePng } from '../helpers/appearance.js';

function rejects(fn: () => unknown, messageKey: string, code = 'INPUT_MALFORMED'): KysoError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof KysoError, `expected a KysoError ${messageKey}, got ${String(caught)}`);
  assert.equal(caught.code, code);
  assert.equal(caught.messageKey, messageKey);
  return caught;
}

describe('PNG decoding', () => {
  test('the helper CRC-32 agrees with zlib (and the PNG spec vector for IEND)', () => {
    assert.equal(crc32(Buffer.from('IEND')), 0xae426082);
    const data = Buffer.from('Nguyễn Văn Đức');
    assert.equal(crc32(data), zlibCrc32(data));
  });

  test('RGBA 8-bit round-trips with every filter type', () => {
    const px = (x: number, y: number): [number, number, number, number] => [
      (x * 37) & 255,
      (y * 53) & 255,
      (x * y) & 255,
      (x + y) % 3 === 0 ? 0 : 200,
    ];
    for (const filter of [0, 1, 2, 3, 4]) {
      const png = decodePng(
        encodePng({ width: 23, height: 11, colourType: 6, bitDepth: 8, sample: px, filter: () => filter }),
      );
      assert.equal(png.channels, 3);
      assert.ok(png.alpha);
      for (let y = 0; y < 11; y++) for (let x = 0; x < 23; x++) assert.deepEqual(pixelAt(png, x, y), px(x, y));
    }
  });

  test('RGB 16-bit keeps the high byte; gray 1/2/4-bit scales to 0–255', () => {
    const rgb16 = decodePng(
      encodePng({
        width: 5,
        height: 4,
        colourType: 2,
        bitDepth: 16,
        sample: (x, y) => [x * 0x3300 + 0x12, y * 0x4000, 0xffff],
      }),
    );
    assert.equal(rgb16.alpha, null);
    assert.deepEqual(pixelAt(rgb16, 3, 2), [0x99, 0x80, 0xff, 255]);
    for (const bitDepth of [1, 2, 4] as const) {
      const max = (1 << bitDepth) - 1;
      const png = decodePng(
        encodePng({ width: 13, height: 3, colourType: 0, bitDepth, sample: (x) => [x % (max + 1)] }),
      );
      assert.equal(png.channels, 1);
      for (let x = 0; x < 13; x++) assert.equal(pixelAt(png, x, 1)[0], Math.round(((x % (max + 1)) * 255) / max));
    }
  });

  test('gray + alpha, palette with tRNS, RGB with a tRNS colour key', () => {
    const ga = decodePng(
      encodePng({ width: 4, height: 2, colourType: 4, bitDepth: 8, sample: (x) => [x * 60, x * 80] }),
    );
    assert.equal(ga.channels, 1);
    assert.deepEqual(pixelAt(ga, 3, 1), [180, 180, 180, 240]);

    const pal = decodePng(
      encodePng({
        width: 9,
        height: 2,
        colourType: 3,
        bitDepth: 4,
        palette: [
          [255, 255, 255],
          [200, 20, 30],
          [0, 0, 0],
        ],
        trns: Buffer.from([0, 255]),
        sample: (x) => [x % 3],
      }),
    );
    assert.equal(pal.channels, 3);
    assert.deepEqual(pixelAt(pal, 0, 0), [255, 255, 255, 0]);
    assert.deepEqual(pixelAt(pal, 1, 0), [200, 20, 30, 255]);
    // Entries past the end of tRNS are opaque.
    assert.deepEqual(pixelAt(pal, 2, 1), [0, 0, 0, 255]);

    const key = Buffer.alloc(6);
    key.writeUInt16BE(255, 0);
    key.writeUInt16BE(255, 2);
    key.writeUInt16BE(255, 4);
    const keyed = decodePng(
      encodePng({
        width: 2,
        height: 1,
        colourType: 2,
        bitDepth: 8,
        trns: key,
        sample: (x) => (x ? [255, 255, 255] : [1, 2, 3]),
      }),
    );
    assert.deepEqual(pixelAt(keyed, 0, 0), [1, 2, 3, 255]);
    assert.deepEqual(pixelAt(keyed, 1, 0), [255, 255, 255, 0]);
  });

  test('pHYs gives the resolution, used for the real size of a seal', () => {
    const png = loadPng(rgbaPng(300, 150, () => [200, 0, 0, 255], 11811)); // 300 dpi
    assert.deepEqual(png.dpi, { x: 300, y: 300 });
    const size = imageSizeInPoints(png);
    assert.ok(Math.abs(size.width - 72) < 0.01 && Math.abs(size.height - 36) < 0.01);
    const noDpi = loadPng(rgbaPng(150, 150, () => [0, 0, 0, 0]));
    assert.equal(noDpi.dpi, null);
    assert.equal(imageSizeInPoints(noDpi, 150).width, 72);
    assert.deepEqual(fitImage({ width: 200, height: 100 }, { x: 10, y: 20, width: 100, height: 100 }), {
      x: 10,
      y: 45,
      width: 100,
      height: 50,
    });
  });
});

describe('PNG refusals', () => {
  test('not a PNG: JPEG, PDF, empty', () => {
    rejects(
      () => loadPng(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46])),
      'appearance.image.notPng',
    );
    rejects(() => loadPng(Buffer.from('%PDF-1.7\n')), 'appearance.image.notPng');
    rejects(() => loadPng(Buffer.alloc(0)), 'appearance.image.notPng');
  });

  test('interlaced (Adam7) is refused with its own message', () => {
    const png = encodePng({
      width: 8,
      height: 8,
      colourType: 6,
      bitDepth: 8,
      interlace: true,
      sample: () => [0, 0, 255, 0],
    });
    rejects(() => loadPng(png), 'appearance.image.interlaced');
  });

  test('too many pixels is refused from the header, before inflating', () => {
    // The size is checked from IHDR, before any image data is inflated.
    const png = Buffer.from(encodePng({ width: 5000, height: 1, colourType: 0, bitDepth: 1, sample: () => [0] }));
    const e = rejects(() => loadPng(png), 'appearance.image.tooManyPixels');
    assert.deepEqual(e.params, {
      width: 5000,
      height: 1,
      maxWidth: IMAGE_LIMITS.maxWidth,
      maxHeight: IMAGE_LIMITS.maxHeight,
    });
    // Exactly at the limit is fine.
    assert.equal(
      loadPng(encodePng({ width: 4000, height: 1, colourType: 0, bitDepth: 1, sample: () => [1] })).width,
      4000,
    );
  });

  test('a file over 20 MB is refused before decoding', () => {
    const big = Buffer.alloc(IMAGE_LIMITS.maxBytes + 1);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(big);
    rejects(() => loadPng(big), 'appearance.image.fileTooLarge');
  });

  test('damaged files: bad CRC, truncated, wrong data length, bad filter byte', () => {
    const good = signaturePng();
    const badCrc = Buffer.from(good);
    badCrc[30]! ^= 0xff; // inside IHDR's CRC or data
    assert.match(String(rejects(() => loadPng(badCrc), 'appearance.image.corrupt').params.detail), /CRC in chunk IHDR/);
    assert.match(
      String(rejects(() => loadPng(good.subarray(0, good.length - 20)), 'appearance.image.corrupt').params.detail),
      /past the end|before the IEND/,
    );
    // IDAT that inflates to fewer bytes than the header promises.
    const short = encodePng({ width: 4, height: 4, colourType: 0, bitDepth: 8, sample: () => [0] });
    const ihdrEnd = 8 + 25;
    const idat = deflateSync(Buffer.alloc(5));
    const chunkOf = (type: string, data: Buffer): Buffer => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(data.length);
      const body = Buffer.concat([Buffer.from(type), data]);
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(crc32(body));
      return Buffer.concat([len, body, crc]);
    };
    const truncatedData = Buffer.concat([
      short.subarray(0, ihdrEnd),
      chunkOf('IDAT', idat),
      chunkOf('IEND', Buffer.alloc(0)),
    ]);
    assert.match(
      String(rejects(() => loadPng(truncatedData), 'appearance.image.corrupt').params.detail),
      /5 bytes, expected 20/,
    );
    const badFilter = Buffer.concat([
      short.subarray(0, ihdrEnd),
      chunkOf('IDAT', deflateSync(Buffer.from([7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))),
      chunkOf('IEND', Buffer.alloc(0)),
    ]);
    assert.match(String(rejects(() => loadPng(badFilter), 'appearance.image.corrupt').params.detail), /filter type 7/);
  });

  test('unsupported combination (RGB at 4 bits) is named', () => {
    const png = Buffer.from(encodePng({ width: 1, height: 1, colourType: 2, bitDepth: 8, sample: () => [0, 0, 0] }));
    png[8 + 8 + 8] = 4; // IHDR bit depth
    png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
    const e = rejects(() => loadPng(png), 'appearance.image.unsupported');
    assert.match(String(e.params.detail), /colour type 2 with bit depth 4/);
  });
});

describe('transparency required for signature and seal images', () => {
  test('RGB without alpha: noAlpha', () => {
    const rgb = encodePng({ width: 10, height: 10, colourType: 2, bitDepth: 8, sample: () => [255, 255, 255] });
    rejects(() => loadPng(rgb, { requireTransparency: true }), 'appearance.image.noAlpha');
    assert.equal(loadPng(rgb).width, 10); // fine when not required
  });

  test('RGBA but fully opaque (a white box around the signature): noTransparency with the share', () => {
    const opaque = rgbaPng(20, 20, () => [255, 255, 255, 255]);
    const e = rejects(() => loadPng(opaque, { requireTransparency: true }), 'appearance.image.noTransparency');
    assert.equal(e.params.percent, 0);
    // 5% transparent is still too little by default, enough with a lower bar.
    const few = loadPng(rgbaPng(20, 20, (x, y) => [0, 0, 0, y === 0 ? 0 : 255]));
    assert.equal(transparentShare(few), 0.05);
    rejects(() => assertTransparentBackground(few), 'appearance.image.noTransparency');
    assertTransparentBackground(few, 0.05);
  });

  test('a real signature-like image passes', () => {
    const png = loadPng(signaturePng(), { requireTransparency: true });
    assert.ok(transparentShare(png) > 0.8);
  });
});

describe('dominant ink colour', () => {
  test('blue signature, red seal, black ink, green, empty', () => {
    assert.equal(dominantInkColour(loadPng(signaturePng())).dominant, 'blue');
    const seal = loadPng(
      rgbaPng(60, 60, (x, y) => {
        const r = Math.hypot(x - 30, y - 30);
        return [205, 25, 35, r > 22 && r < 28 ? 255 : 0];
      }),
    );
    const report = dominantInkColour(seal);
    assert.equal(report.dominant, 'red');
    assert.ok(report.shares.red > 0.99);
    assert.equal(dominantInkColour(loadPng(rgbaPng(10, 10, (x) => [10, 10, 10, x < 5 ? 255 : 0]))).dominant, 'black');
    assert.equal(dominantInkColour(loadPng(rgbaPng(10, 10, () => [20, 160, 40, 255]))).dominant, 'other');
    const empty = dominantInkColour(loadPng(rgbaPng(10, 10, () => [0, 0, 255, 0])));
    assert.equal(empty.dominant, 'none');
    assert.equal(empty.inkPixels, 0);
  });

  test('a scan without alpha: white paper is ignored, the blue ink decides', () => {
    const scan = loadPng(
      encodePng({
        width: 50,
        height: 20,
        colourType: 2,
        bitDepth: 8,
        sample: (x, y) => (y > 8 && y < 12 ? [...BLUE_INK] : [250, 250, 248]),
      }),
    );
    const r = dominantInkColour(scan);
    assert.equal(r.dominant, 'blue');
    assert.equal(r.inkPixels, 150);
  });

  test('half blue, half black is not "mostly" anything', () => {
    const mixed = loadPng(rgbaPng(10, 10, (x) => (x < 5 ? [0, 0, 0, 255] : [...BLUE_INK, 255])));
    const r = dominantInkColour(mixed);
    assert.equal(r.dominant, 'other');
    assert.equal(r.shares.blue, 0.5);
    assert.equal(dominantInkColour(mixed, { threshold: 0.5 }).dominant !== 'other', true);
  });
});
