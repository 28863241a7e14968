// `kyso sign --profile …` and `kyso batch --profile …` as a user runs them (bin/kyso, built by
// `npm run build`), with a SoftHSM2 token holding a personal key (Nguyễn Văn Đức) and the
// organisation's key (Bộ Tài chính), a test TSA and OCSP responder on 127.0.0.1. Every profile
// goes through the command line at least once; outputs are checked with qpdf --check, pdfsig and
// openssl cms -verify, and each step leaves every earlier signature valid.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile, copyFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { createSoftHsmEnv, type SoftHsmEnv } from '../helpers/softhsm.js';
import { startTsa, type TestTsa } from '../helpers/tsa.js';
import { freePort, startOcsp, type TestOcsp } from '../helpers/ocsp.js';
import { makeFixtures, type PdfFixtures } from '../helpers/pdf-fixtures.js';
import { dumpSignatures, opensslCmsVerify, pdfsig, qpdfCheck, signedBytes } from '../helpers/pdf-check.js';
import { rgbaPng } from '../helpers/appearance.js';
import { kysoBuilt } from '../helpers/kyso-process.js';
import { PdfReader } from '../../src-core/pdf/reader.js';
import { existingSignatures } from '../../src-core/appearance/roles/index.js';

let pki: TestPki;
let hsm: SoftHsmEnv;
let tsa: TestTsa;
let ocsp: TestOcsp;
let fx: PdfFixtures;
let work: string;
let env: NodeJS.ProcessEnv;
let sigPng: string;
let sealPng: string;
let blackPng: string;

const PERSON = '01';
const ORG = '02';

before(async () => {
  assert.ok(kysoBuilt(), 'run "npm run build" first');
  const port = await freePort();
  pki = await createTestPki({ ocspUrl: `http://127.0.0.1:${port}/` });
  [ocsp, tsa, hsm, fx] = await Promise.all([
    startOcsp(pki),
    startTsa(pki),
    createSoftHsmEnv(),
    makeFixtures(['chromium', 'rotated']),
  ]);
  await hsm.addToken({
    label: 'VGCA Test',
    userPin: '12345678',
    objects: [
      { id: PERSON, label: 'Nguyễn Văn Đức', keyPem: pki.person.keyPem, certDer: pki.person.certDer },
      { id: ORG, label: 'Bộ Tài chính', keyPem: pki.organisation.keyPem, certDer: pki.organisation.certDer },
      { id: 'ca', label: 'CA', certDer: pki.issuing.certDer },
    ],
  });
  work = await mkdtemp(join(tmpdir(), 'kyso-roles-cli-'));
  env = { ...process.env, ...hsm.env, KYSO_PIN: '12345678', KYSO_LANG: 'en' };
  sigPng = join(work, 'chu-ky.png');
  sealPng = join(work, 'con-dau.png');
  blackPng = join(work, 'black.png');
  await writeFile(
    sigPng,
    rgbaPng(600, 200, (x, y) => {
      const yc = 100 + 50 * Math.sin((x / 600) * 12);
      return [25, 55, 175, x > 30 && x < 570 && Math.abs(y - yc) < 4 ? 255 : 0];
    }),
  );
  await writeFile(
    sealPng,
    rgbaPng(
      425,
      425,
      (x, y) => {
        const d = Math.hypot(x - 212, y - 212);
        return [200, 20, 30, (d > 196 && d < 208) || (d > 150 && d < 156) || d < 30 ? 255 : 0];
      },
      Math.round(300 / 0.0254),
    ),
  );
  await writeFile(
    blackPng,
    rgbaPng(300, 100, (x, y) => [5, 5, 5, Math.abs(y - 50) < 3 && x > 10 && x < 290 ? 255 : 0]),
  );
});

after(async () => {
  await tsa?.close();
  await ocsp?.close();
  await fx?.cleanup();
  await hsm?.cleanup();
  await pki?.cleanup();
  if (work) await rm(work, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Async: the in-process TSA and OCSP responder must keep answering while kyso runs. */
function kyso(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/kyso', ...args],
      { env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 90000 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const sign = (
  input: string,
  output: string,
  cert: string,
  more: string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<Run> =>
  kyso(
    ['sign', input, '-o', output, '--module', hsm.module, '--cert', cert, '--pin-env', 'KYSO_PIN', '--json', ...more],
    extraEnv,
  );

interface SignJson {
  profile: string | null;
  field: string;
  level: string;
  certificateKind: string;
  stamp: { page: number; rect: number[] } | null;
  annotations: Array<{ kind: string; subtype: string; page: number; text?: string }>;
  warnings: Array<{ code: string; message: string }>;
}

async function independentChecks(path: string, expected: number, lastCoversAll = true): Promise<void> {
  const q = await qpdfCheck(path);
  assert.ok(q.ok, `qpdf --check ${path}: ${q.output}`);
  const sigs = await pdfsig(path);
  assert.equal(sigs.length, expected, `pdfsig sees ${sigs.length} signatures in ${path}`);
  const blobs = await dumpSignatures(path, work);
  for (const [i, s] of sigs.entries()) {
    assert.ok(s.valid, `${path} #${s.index} (${s.fieldName}): ${s.validation}`);
    const content = await signedBytes(path, s.ranges, join(work, `content-${i}.bin`));
    const v = await opensslCmsVerify(blobs[i]!, content, pki.files.rootPem, pki.files.issuingPem, work);
    assert.ok(v.ok, `openssl cms -verify ${path} #${s.index}: ${v.output}`);
  }
  if (lastCoversAll) assert.ok(sigs[sigs.length - 1]!.totalDocument, 'the newest signature covers the whole file');
  const reader = PdfReader.open(path);
  try {
    for (const s of await existingSignatures(reader, path))
      assert.ok(s.valid, `${s.fieldName}: ${s.problems.join(', ')}`);
  } finally {
    reader.close();
  }
}

describe('kyso sign --profile: the issuing chain on the Chromium letter', () => {
  // Arguments are functions: the image paths exist only once before() has run.
  const steps: Array<{
    profile: string;
    cert: string;
    args: () => string[];
    check: (j: SignJson) => void;
    lt?: boolean;
  }> = [
    {
      profile: 'initials',
      cert: PERSON,
      args: () => [],
      check: (j) => {
        assert.equal(j.certificateKind, 'personal');
        assert.ok(j.stamp && j.stamp.rect[2]! - j.stamp.rect[0]! <= 40.01);
      },
    },
    {
      profile: 'approval',
      cert: PERSON,
      args: () => ['--signature-image', sigPng],
      check: (j) => assert.deepEqual(j.warnings, []),
    },
    {
      profile: 'issue',
      cert: ORG,
      args: () => [
        '--seal-image',
        sealPng,
        '--doc-number',
        '123/QĐ-BTC',
        '--doc-date',
        '2026-12-04',
        '--seal-text',
        '--level',
        'B-LT',
      ],
      lt: true,
      check: (j) => {
        assert.equal(j.certificateKind, 'organisation');
        assert.equal(j.level, 'B-LT');
        assert.deepEqual(
          j.annotations.map((a) => [a.kind, a.subtype, a.page, a.text]),
          [
            ['number', 'FreeText', 1, 'Số: 123'],
            ['date', 'FreeText', 1, 'ngày 04 tháng 12 năm 2026'],
          ],
        );
        // The seal reaches over the leader's title and name on paper too: reported, not refused.
        assert.ok(j.warnings.every((w) => w.code === 'covers-text'));
      },
    },
    {
      profile: 'received',
      cert: ORG,
      args: () => ['--doc-number', '45', '--level', 'B-T'],
      check: (j) => {
        assert.equal(j.stamp?.page, 1);
        assert.deepEqual(j.warnings, []);
      },
    },
  ];
  let current = '';
  before(() => {
    current = fx.files.chromium!;
  });
  steps.forEach((s, i) => {
    test(`${s.profile} (${s.cert === PERSON ? 'personal' : 'organisation'} certificate)`, async () => {
      const out = join(work, `chain-${i + 1}-${s.profile}.pdf`);
      const args = s.args();
      const extra = args.includes('--level') ? ['--tsa', tsa.url] : [];
      const r = await sign(current, out, s.cert, ['--profile', s.profile, ...args, ...extra]);
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout) as SignJson;
      assert.equal(j.profile, s.profile);
      s.check(j);
      // B-LT ends with the DSS revision, which no signature covers.
      await independentChecks(out, i + 1, !s.lt);
      current = out;
    });
  });
});

describe('kyso sign --profile: appendix, copy, comment', () => {
  test('appendix and copy on the rotated letter (organisation certificate)', async () => {
    const a = join(work, 'appendix.pdf');
    const r1 = await sign(fx.files.rotated!, a, ORG, ['--profile', 'appendix', '--doc-number', '123/QĐ-BTC']);
    assert.equal(r1.code, 0, r1.stderr);
    await independentChecks(a, 1);
    const c = join(work, 'copy.pdf');
    const r2 = await sign(a, c, ORG, ['--profile', 'copy', '--copy-type', 'trich sao', '--reason', 'Trích sao']);
    assert.equal(r2.code, 0, r2.stderr);
    const j = JSON.parse(r2.stdout) as SignJson;
    // The corner is taken by the appendix stamp: the copy stamp goes next to it, not over it.
    assert.deepEqual(j.warnings, []);
    await independentChecks(c, 2);
  });

  test("comment with --ink, then a leader's approval after it", async () => {
    const ink = join(work, 'ink.json');
    await writeFile(
      ink,
      JSON.stringify([
        [
          [100, 120],
          [140, 135],
          [180, 118],
        ],
        [
          [100, 110],
          [180, 110],
        ],
      ]),
    );
    const out = join(work, 'comment.pdf');
    const r = await sign(fx.files.chromium!, out, PERSON, [
      '--profile',
      'comment',
      '--comment',
      'Đồng ý. Giao Văn phòng phát hành.',
      '--ink',
      ink,
      '--signature-image',
      sigPng,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as SignJson;
    assert.deepEqual(
      j.annotations.map((a) => [a.kind, a.subtype]),
      [
        ['directive', 'FreeText'],
        ['ink', 'Ink'],
      ],
    );
    await independentChecks(out, 1);
    const out2 = join(work, 'comment-approved.pdf');
    const r2 = await sign(out, out2, PERSON, ['--profile', 'approval', '--signature-image', sigPng]);
    assert.equal(r2.code, 0, r2.stderr);
    await independentChecks(out2, 2);
  });
});

describe('kyso: refusals and warnings', () => {
  test('an organisation certificate for approval: exit 64 before any PIN is asked', async () => {
    const r = await kyso([
      'sign',
      fx.files.chromium!,
      '-o',
      join(work, 'no.pdf'),
      '--module',
      hsm.module,
      '--cert',
      ORG,
      '--profile',
      'approval',
    ]);
    assert.equal(r.code, 64, r.stderr);
    assert.match(r.stderr, /needs the signer's personal certificate/);
    assert.doesNotMatch(r.stderr, /PIN/);
    const vi = await kyso(
      [
        'sign',
        fx.files.chromium!,
        '-o',
        join(work, 'no.pdf'),
        '--module',
        hsm.module,
        '--cert',
        PERSON,
        '--profile',
        'copy',
      ],
      { KYSO_LANG: 'vi' },
    );
    assert.equal(vi.code, 64);
    assert.match(vi.stderr, /cần chứng thư số của cơ quan, tổ chức/);
    assert.ok(!existsSync(join(work, 'no.pdf')));
  });

  test('issue on a document nobody competent has signed: exit 65, nothing written', async () => {
    const out = join(work, 'not-issued.pdf');
    const r = await sign(fx.files.chromium!, out, ORG, [
      '--profile',
      'issue',
      '--seal-image',
      sealPng,
      '--doc-number',
      '9',
    ]);
    assert.equal(r.code, 65, r.stderr);
    assert.match(r.stderr, /no valid digital signature of a competent person/);
    assert.ok(!existsSync(out));
  });

  test('a black signature image signs with a translated warning on stderr and in --json', async () => {
    const out = join(work, 'black.pdf');
    const r = await sign(fx.files.chromium!, out, PERSON, ['--profile', 'approval', '--signature-image', blackPng], {
      KYSO_LANG: 'vi',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Cảnh báo: Ảnh chữ ký không phải mực màu xanh/);
    const j = JSON.parse(r.stdout) as SignJson;
    assert.equal(j.warnings[0]?.code, 'image-colour');
    await independentChecks(out, 1);
  });

  test('--anchor text that is not in the document: exit 64 with a hint', async () => {
    const r = await sign(fx.files.chromium!, join(work, 'x.pdf'), PERSON, [
      '--profile',
      'approval',
      '--anchor',
      'PHÓ THỦ TƯỚNG',
    ]);
    assert.equal(r.code, 64, r.stderr);
    assert.match(r.stderr, /Cannot find "PHÓ THỦ TƯỚNG"/);
  });
});

describe('kyso batch --profile', () => {
  test('appendix files of one document: one login, each laid out on its own page', async () => {
    const inDir = join(work, 'phu-luc');
    const outDir = join(work, 'phu-luc-ky');
    await mkdir(inDir, { recursive: true });
    await copyFile(fx.files.chromium!, join(inDir, 'phu-luc-1.pdf'));
    await copyFile(fx.files.rotated!, join(inDir, 'phu-luc-2.pdf'));
    const r = await kyso([
      'batch',
      inDir,
      '-o',
      outDir,
      '--module',
      hsm.module,
      '--cert',
      ORG,
      '--pin-env',
      'KYSO_PIN',
      '--profile',
      'appendix',
      '--doc-number',
      '123/QĐ-BTC',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as {
      signed: number;
      results: Array<{ status: string; stamp: { page: number; rect: number[] } }>;
    };
    assert.equal(j.signed, 2);
    // Portrait and landscape pages: the stamps land in different places.
    assert.notDeepEqual(j.results[0]!.stamp.rect, j.results[1]!.stamp.rect);
    for (const n of ['phu-luc-1.pdf', 'phu-luc-2.pdf']) await independentChecks(join(outDir, n), 1);
  });
});
