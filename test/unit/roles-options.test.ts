// `kyso sign --profile …` option rules, checked before the token is touched: profile names, which
// options each profile uses or needs, images decoded and validated, dates, copy types and ink
// files parsed, and the certificate kind checked on the token's listing (no PIN asked for a wrong
// certificate). Also the CLI end of it: usage errors exit 64 with one translated line.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { KysoError } from '../../src-shared/errors.js';
import type { CertificateSummary } from '../../src-shared/api/token-types.js';
import {
  checkCertificateKind,
  planFromOptions,
  readInk,
  type SigningValues,
} from '../../src-core/cli/signing-options.js';
import { runCli } from '../../src-core/cli/main.js';
import { rgbaPng, signaturePng } from '../helpers/appearance.js';

let dir: string;
let sig: string;
let seal: string;
let opaque: string;
let notPng: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kyso-roles-opts-'));
  sig = join(dir, 'sig.png');
  seal = join(dir, 'seal.png');
  opaque = join(dir, 'opaque.png');
  notPng = join(dir, 'sig.jpg');
  await writeFile(sig, signaturePng());
  await writeFile(
    seal,
    rgbaPng(200, 200, (x, y) => [
      200,
      20,
      30,
      Math.hypot(x - 100, y - 100) > 80 && Math.hypot(x - 100, y - 100) < 95 ? 255 : 0,
    ]),
  );
  await writeFile(
    opaque,
    rgbaPng(50, 50, () => [20, 50, 170, 255]),
  );
  await writeFile(notPng, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function fails(v: SigningValues, key: string, code = 'USAGE'): void {
  let caught: unknown;
  try {
    planFromOptions(v);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof KysoError, `expected ${key}, got ${String(caught)}`);
  assert.equal(caught.messageKey, key, JSON.stringify(caught.params));
  assert.equal(caught.code, code);
}

describe('planFromOptions with --profile', () => {
  test('no profile, no role option: a plain signature as before', () => {
    const p = planFromOptions({ page: '1', rect: '10,10,100,50' });
    assert.equal(p.role, undefined);
    assert.deepEqual(p.rect, [10, 10, 100, 50]);
    fails({ page: '2' }, 'error.usage');
  });

  test('every profile of the contract is accepted; an unknown one is a usage error', () => {
    for (const profile of ['approval', 'initials', 'appendix', 'copy']) {
      const p = planFromOptions({ profile, ...(profile === 'appendix' ? { 'doc-number': '12/BTC-VP' } : {}) });
      assert.equal(p.role?.profile, profile);
    }
    assert.equal(planFromOptions({ profile: 'issue', 'seal-image': seal }).role?.profile, 'issue');
    assert.equal(planFromOptions({ profile: 'received', 'doc-number': '45' }).role?.profile, 'received');
    assert.equal(planFromOptions({ profile: 'comment', comment: 'Giao Vụ Pháp chế' }).role?.profile, 'comment');
    fails({ profile: 'directive' }, 'roles.badProfile');
  });

  test('role options without --profile mean approval; options a profile does not use are refused', () => {
    const p = planFromOptions({ anchor: 'THỨ TRƯỞNG', 'signature-image': sig });
    assert.equal(p.role?.profile, 'approval');
    assert.equal(p.role?.anchor, 'THỨ TRƯỞNG');
    assert.ok(p.role?.signatureImage);
    fails({ profile: 'approval', 'seal-image': seal }, 'roles.optionNotForProfile');
    fails({ profile: 'copy', 'doc-number': '1' }, 'roles.optionNotForProfile');
    fails({ profile: 'received', anchor: 'x', 'doc-number': '1' }, 'roles.optionNotForProfile');
    fails({ 'doc-number': '12' }, 'roles.optionNotForProfile');
  });

  test('what a profile cannot do without is asked for before the PIN', () => {
    fails({ profile: 'issue' }, 'roles.needOption');
    fails({ profile: 'appendix' }, 'roles.needOption');
    fails({ profile: 'received' }, 'roles.needOption');
    fails({ profile: 'comment', comment: '   ' }, 'roles.needOption');
  });

  test('placement: --page alone narrows the automatic placement; --anchor excludes --rect; --invisible only for approval', () => {
    const p = planFromOptions({ profile: 'initials', page: '2' });
    assert.equal(p.pageIndex, 1);
    assert.equal(p.rect, undefined);
    fails({ profile: 'approval', anchor: 'x', rect: '1,1,50,50' }, 'error.usage');
    assert.equal(planFromOptions({ profile: 'approval', invisible: true }).invisible, true);
    fails({ profile: 'appendix', 'doc-number': '1', invisible: true }, 'roles.optionNotForProfile');
    fails({ profile: 'approval', anchor: '  ' }, 'error.usage');
  });

  test('images are decoded and validated up front, with the image errors of the toolkit', () => {
    fails({ profile: 'approval', 'signature-image': notPng }, 'appearance.image.notPng', 'INPUT_MALFORMED');
    fails({ profile: 'approval', 'signature-image': opaque }, 'appearance.image.noTransparency', 'INPUT_MALFORMED');
    fails(
      { profile: 'approval', 'signature-image': join(dir, 'missing.png') },
      'error.inputUnreadable',
      'INPUT_UNREADABLE',
    );
    fails({ profile: 'issue', 'seal-image': seal, 'seal-size': '300' }, 'error.usage');
    assert.equal(planFromOptions({ profile: 'issue', 'seal-image': seal, 'seal-size': '40' }).role?.sealSizeMm, 40);
  });

  test('dates and copy types are checked; the copy type is normalised', () => {
    fails({ profile: 'issue', 'seal-image': seal, 'doc-date': '2026-02-30' }, 'roles.badDate');
    assert.equal(planFromOptions({ profile: 'copy', 'copy-type': 'sao luc' }).role?.copyType, 'SAO LỤC');
    fails({ profile: 'copy', 'copy-type': 'BẢN GỐC' }, 'roles.badCopyType');
  });

  test('--ink: polylines of [x, y] points, anything else refused with the reason', async () => {
    const good = join(dir, 'ink.json');
    await writeFile(
      good,
      JSON.stringify([
        [
          [100, 200],
          [120, 210.5],
        ],
        [[130, 200]],
      ]),
    );
    assert.deepEqual(readInk(good), [
      [
        [100, 200],
        [120, 210.5],
      ],
      [[130, 200]],
    ]);
    for (const [name, body] of [
      ['not-json', '[[[1,2]'],
      ['empty', '[]'],
      ['flat', '[[1,2],[3,4]]'],
      ['nan', '[[[1,"x"]]]'],
    ] as Array<[string, string]>) {
      const f = join(dir, `${name}.json`);
      await writeFile(f, body);
      assert.throws(
        () => readInk(f),
        (e: unknown) => e instanceof KysoError && e.messageKey === 'roles.badInk',
      );
    }
    const p = planFromOptions({ profile: 'comment', comment: 'Đồng ý', ink: good });
    assert.equal(p.role?.ink?.length, 2);
  });
});

describe('certificate kind before login', () => {
  const summary = (kind: 'personal' | 'organisation'): CertificateSummary =>
    ({ kind, subject: { commonName: kind === 'personal' ? 'Nguyễn Văn Đức' : 'Bộ Tài chính' } }) as CertificateSummary;
  test('issue with a personal certificate and approval with an organisation certificate are refused', () => {
    checkCertificateKind(planFromOptions({ profile: 'approval' }), summary('personal'));
    checkCertificateKind(planFromOptions({ profile: 'copy' }), summary('organisation'));
    checkCertificateKind(planFromOptions({}), summary('organisation'));
    assert.throws(
      () => checkCertificateKind(planFromOptions({ profile: 'copy' }), summary('personal')),
      (e: unknown) => e instanceof KysoError && e.messageKey === 'roles.needOrganisationCert',
    );
    assert.throws(
      () => checkCertificateKind(planFromOptions({ profile: 'comment', comment: 'x' }), summary('organisation')),
      (e: unknown) => e instanceof KysoError && e.messageKey === 'roles.needPersonalCert',
    );
  });
});

describe('kyso sign: role usage errors', () => {
  async function run(argv: string[], locale: 'vi' | 'en' = 'en'): Promise<{ code: number; err: string }> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await runCli(argv, { locale, stdout, stderr, env: {} });
    return { code, err };
  }

  test('a bad profile, a bad date or a missing seal end with exit 64 and one line, before any token', async () => {
    const pdf = join(dir, 'in.pdf');
    await writeFile(pdf, '%PDF-1.4\n');
    for (const [args, re] of [
      [['--profile', 'stamp'], /no signing profile "stamp"/],
      [['--profile', 'issue'], /needs --seal-image/],
      [['--profile', 'issue', '--seal-image', seal, '--doc-date', '04/12/2026'], /YEAR-MONTH-DAY/],
    ] as Array<[string[], RegExp]>) {
      const r = await run(['sign', pdf, '-o', join(dir, 'out.pdf'), ...args]);
      assert.equal(r.code, 64, r.err);
      assert.match(r.err, re);
      assert.equal(r.err.trim().split('\n').length, 1);
    }
    const vi = await run(['sign', pdf, '-o', join(dir, 'out.pdf'), '--profile', 'received'], 'vi');
    assert.match(vi.err, /cần tùy chọn --doc-number/);
  });
});
