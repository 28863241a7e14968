// The pieces of the Decree 30 roles that need no PDF: what stamps say (ISO 8601 time at +07:00,
// "ngày 04 tháng 12 năm 2026" with the Decree's leading zeros, initials, copy types), the reading
// frame of rotated pages, seal and signature image checks, and the kind of certificate each
// profile requires.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KysoError } from '../../src-shared/errors.js';
import { t } from '../../src-shared/i18n/translate.js';
import {
  calendarDateOf,
  decreeDateParts,
  decreeDateText,
  initialsOf,
  isoWithOffset,
  parseCalendarDate,
  parseCopyType,
  sameText,
} from '../../src-core/appearance/roles/format.js';
import {
  clampReading,
  readingFrame,
  readingToAppearanceMatrix,
  toReadingPoint,
  toReadingRect,
  toVisiblePoint,
  toVisibleRect,
  type Angle,
} from '../../src-core/appearance/roles/frame.js';
import { DEFAULT_SEAL_MM, loadSealImage, loadSignatureImage, MM } from '../../src-core/appearance/roles/images.js';
import { REQUIRED_KIND, requireKind } from '../../src-core/appearance/roles/signer.js';
import { ROLE_PROFILES, type RoleWarning } from '../../src-core/appearance/roles/types.js';
import { warningText } from '../../src-core/appearance/roles/index.js';
import { userRectToVisible } from '../../src-core/appearance/roles/annotations.js';
import { visibleRectToUser, type Rect } from '../../src-core/sign/placement.js';
import type { PageInfo } from '../../src-core/pdf/reader.js';
import { PdfDict, PdfRef } from '../../src-core/pdf/objects.js';
import { rgbaPng } from '../helpers/appearance.js';

function throwsKey(fn: () => unknown, key: string, code = 'USAGE'): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof KysoError, `expected KysoError ${key}, got ${String(caught)}`);
  assert.equal(caught.messageKey, key);
  assert.equal(caught.code, code);
}

describe('stamp text', () => {
  test('signing time in ISO 8601 at the Vietnam offset, whatever the machine zone', () => {
    const d = new Date('2026-12-04T03:15:30.789Z');
    assert.equal(isoWithOffset(d), '2026-12-04T10:15:30+07:00');
    // Across midnight UTC: already the next day in Hà Nội.
    assert.equal(isoWithOffset(new Date('2026-12-31T17:00:00Z')), '2027-01-01T00:00:00+07:00');
    assert.equal(isoWithOffset(d, -90), '2026-12-04T01:45:30-01:30');
    assert.deepEqual(calendarDateOf(new Date('2026-12-31T17:00:00Z')), { year: 2027, month: 1, day: 1 });
  });

  test('Decree 30 date parts: a leading zero for days below 10 and for months 1 and 2 only', () => {
    assert.equal(decreeDateText({ year: 2026, month: 12, day: 4 }), 'ngày 04 tháng 12 năm 2026');
    assert.deepEqual(decreeDateParts({ year: 2026, month: 2, day: 15 }), { day: '15', month: '02', year: '2026' });
    assert.deepEqual(decreeDateParts({ year: 2020, month: 3, day: 5 }), { day: '05', month: '3', year: '2020' });
    assert.deepEqual(decreeDateParts({ year: 2026, month: 1, day: 31 }), { day: '31', month: '01', year: '2026' });
  });

  test('--doc-date must be a real calendar date', () => {
    assert.deepEqual(parseCalendarDate('2026-12-04'), { year: 2026, month: 12, day: 4 });
    assert.deepEqual(parseCalendarDate('2028-02-29'), { year: 2028, month: 2, day: 29 });
    for (const bad of ['2026-02-29', '2026-13-01', '04/12/2026', '2026-1-4', '', 'hôm nay']) {
      throwsKey(() => parseCalendarDate(bad), 'roles.badDate');
    }
  });

  test('initials of Vietnamese names keep Đ and drop tone marks', () => {
    assert.equal(initialsOf('Nguyễn Văn Đức'), 'NVĐ');
    assert.equal(initialsOf('Lê Thị Ánh Tuyết'), 'LTAT');
    assert.equal(initialsOf('đỗ  ÉN'), 'ĐE');
    // Decomposed input (some keyboards) gives the same.
    assert.equal(initialsOf('Nguyễn Văn Đức'.normalize('NFD')), 'NVĐ');
  });

  test('copy types are accepted with or without diacritics and refused otherwise', () => {
    assert.equal(parseCopyType('sao y'), 'SAO Y');
    assert.equal(parseCopyType('SAO LUC'), 'SAO LỤC');
    assert.equal(parseCopyType('Sao lục'), 'SAO LỤC');
    assert.equal(parseCopyType('trich-sao'), 'TRÍCH SAO');
    throwsKey(() => parseCopyType('BẢN CHÍNH'), 'roles.badCopyType');
    assert.ok(sameText('Nguyen Van Duc', 'Nguyễn Văn Đức'));
  });
});

describe('reading frame', () => {
  const angles: Angle[] = [0, 90, 180, 270];
  test('reading ↔ visible points and rects round-trip for every quarter turn', () => {
    for (const a of angles) {
      const f = readingFrame(a, 842, 595);
      for (const [u, v] of [
        [0, 0],
        [10, 20],
        [f.width, f.height],
        [123.4, 56.7],
      ] as Array<[number, number]>) {
        const [x, y] = toVisiblePoint(f, u, v);
        assert.ok(
          x >= -1e-9 && x <= 842 + 1e-9 && y >= -1e-9 && y <= 595 + 1e-9,
          `angle ${a}: (${x}, ${y}) on the page`,
        );
        const [u2, v2] = toReadingPoint(f, x, y);
        assert.ok(Math.abs(u2 - u) < 1e-9 && Math.abs(v2 - v) < 1e-9);
      }
      const r: Rect = [10, 20, 110, 60];
      const back = toReadingRect(f, toVisibleRect(f, r));
      back.forEach((n, i) => assert.ok(Math.abs(n - r[i]!) < 1e-9));
    }
  });

  test('"up" in the reading frame is the direction across the text lines', () => {
    // Text running down the visible page (a /Rotate 90 page of upright text): θ = 270, up = +x.
    const f = readingFrame(270, 842, 595);
    const [x0] = toVisiblePoint(f, 0, 0);
    const [x1] = toVisiblePoint(f, 0, 100);
    assert.ok(x1 > x0);
  });

  test('the appearance matrix maps the reading box onto the visible box', () => {
    for (const a of angles) {
      const [w, h] = [120, 40];
      const [ma, mb, mc, md, me, mf] = readingToAppearanceMatrix(a, w, h);
      const vw = a % 180 === 0 ? w : h;
      const vh = a % 180 === 0 ? h : w;
      const f = readingFrame(a, vw, vh);
      for (const [u, v] of [
        [0, 0],
        [w, 0],
        [0, h],
        [w, h],
        [30, 10],
      ] as Array<[number, number]>) {
        const x = ma * u + mc * v + me;
        const y = mb * u + md * v + mf;
        const [ex, ey] = toVisiblePoint(f, u, v);
        assert.ok(Math.abs(x - ex) < 1e-9 && Math.abs(y - ey) < 1e-9, `angle ${a} point ${u},${v}`);
      }
    }
  });

  test('clamping keeps a stamp on the page and says when it moved', () => {
    const f = readingFrame(0, 595, 842);
    assert.deepEqual(clampReading(f, [-20, 800, 80, 860]), { rect: [0, 782, 100, 842], moved: true });
    assert.equal(clampReading(f, [10, 10, 50, 50]).moved, false);
  });

  test('user /Rect → visible is the inverse of visibleRectToUser (rotation and CropBox offset)', () => {
    for (const rotate of [0, 90, 180, 270]) {
      const page: PageInfo = {
        index: 0,
        ref: new PdfRef(3, 0),
        dict: new PdfDict(),
        mediaBox: [0, 0, 612, 792],
        cropBox: [40, 60, 560, 770],
        rotate,
      };
      const r: Rect = [15, 25, 140, 90];
      const back = userRectToVisible(page, visibleRectToUser(page, r));
      back.forEach((n, i) => assert.ok(Math.abs(n - r[i]!) < 1e-9, `rotate ${rotate}: ${back.join(',')}`));
    }
  });
});

const ppm = (dpi: number): number => Math.round(dpi / 0.0254);
const ring = (rgb: [number, number, number], size: number, dpi?: number): Buffer =>
  rgbaPng(
    size,
    size,
    (x, y) => {
      const d = Math.hypot(x - size / 2, y - size / 2);
      return [...rgb, d > size * 0.4 && d < size * 0.48 ? 255 : 0];
    },
    dpi ? ppm(dpi) : undefined,
  );

describe('signature and seal images', () => {
  test('a blue signature passes quietly; a black one is loaded with a colour warning', () => {
    const w: RoleWarning[] = [];
    loadSignatureImage(ring([20, 50, 170], 200), w);
    assert.equal(w.length, 0);
    loadSignatureImage(ring([10, 10, 10], 200), w);
    assert.equal(w.length, 1);
    assert.equal(w[0]!.key, 'roles.warn.signatureNotBlue');
    assert.match(warningText('vi', w[0]!), /màu xanh/);
    assert.match(warningText('en', w[0]!), /black/);
  });

  test('the seal comes out at its real size: --seal-size, else the PNG resolution, else 36 mm', () => {
    const w: RoleWarning[] = [];
    // 425 px at 300 dpi = 36 mm.
    const fromPng = loadSealImage(ring([200, 20, 30], 425, 300), undefined, w);
    assert.equal(fromPng.sizeFrom, 'png');
    assert.ok(Math.abs(fromPng.width / MM - 35.98) < 0.1, `${fromPng.width / MM} mm`);
    const opt = loadSealImage(ring([200, 20, 30], 425, 300), 40, w);
    assert.equal(opt.sizeFrom, 'option');
    assert.ok(Math.abs(opt.width - 40 * MM) < 1e-9);
    const noDpi = loadSealImage(ring([200, 20, 30], 425), undefined, w);
    assert.equal(noDpi.sizeFrom, 'default');
    assert.ok(Math.abs(noDpi.width - DEFAULT_SEAL_MM * MM) < 1e-9);
    assert.equal(w.length, 0);
    // 425 px at 72 dpi would be a 150 mm seal: not believed.
    const silly = loadSealImage(ring([200, 20, 30], 425, 72), undefined, w);
    assert.equal(silly.sizeFrom, 'default');
    assert.equal(w[0]?.key, 'roles.warn.sealSizeUnbelievable');
  });

  test('a blue seal is warned about; a seal without transparency is refused', () => {
    const w: RoleWarning[] = [];
    loadSealImage(ring([20, 50, 170], 425, 300), undefined, w);
    assert.equal(w[0]?.key, 'roles.warn.sealNotRed');
    const opaque = rgbaPng(300, 300, () => [200, 20, 30, 255]);
    throwsKey(() => loadSealImage(opaque, undefined, []), 'appearance.image.noTransparency', 'INPUT_MALFORMED');
    throwsKey(() => loadSignatureImage(Buffer.from('GIF89a'), []), 'appearance.image.notPng', 'INPUT_MALFORMED');
  });
});

describe('certificate kinds per profile', () => {
  test("leaders and initials need a personal certificate, the clerk's profiles an organisation one", () => {
    assert.deepEqual(
      ROLE_PROFILES.filter((p) => REQUIRED_KIND[p] === 'personal'),
      ['approval', 'initials', 'comment'],
    );
    const person = {
      commonName: 'Nguyễn Văn Đức',
      organisation: 'Bộ Tài chính',
      title: undefined,
      kind: 'personal' as const,
    };
    const org = {
      commonName: 'Bộ Tài chính',
      organisation: 'Bộ Tài chính',
      title: undefined,
      kind: 'organisation' as const,
    };
    requireKind('approval', person);
    requireKind('issue', org);
    throwsKey(() => requireKind('issue', person), 'roles.needOrganisationCert');
    throwsKey(() => requireKind('comment', org), 'roles.needPersonalCert');
    const text = t('vi', 'roles.needOrganisationCert', { profile: 'issue', subject: 'Nguyễn Văn Đức' });
    assert.match(text, /cơ quan, tổ chức/);
  });
});
