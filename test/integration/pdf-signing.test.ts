// `kyso sign` end to end on real PDFs from independent producers, with a SoftHSM2 token, a real
// TSA and OCSP responder on 127.0.0.1. Every output is checked by tools we did not write:
// qpdf --check, poppler's pdfsig, openssl cms -verify (and openssl ts -verify for the document
// timestamp). Each file is signed twice in a row; earlier signatures must stay valid.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile, readFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { createSoftHsmEnv, type SoftHsmEnv } from '../helpers/softhsm.js';
import { startTsa, type TestTsa } from '../helpers/tsa.js';
import { freePort, startOcsp, type TestOcsp } from '../helpers/ocsp.js';
import { makeFixtures, type FixtureName, type PdfFixtures } from '../helpers/pdf-fixtures.js';
import {
  dumpSignatures,
  opensslCmsVerify,
  opensslTsVerify,
  pdfsig,
  qpdfCheck,
  signedBytes,
} from '../helpers/pdf-check.js';
import { PdfReader } from '../../src-core/pdf/reader.js';
import { isArray } from '../../src-core/pdf/objects.js';
import { kysoBuilt } from '../helpers/kyso-process.js';

let pki: TestPki;
let hsm: SoftHsmEnv;
let tsa: TestTsa;
let ocsp: TestOcsp;
let fx: PdfFixtures;
let work: string;
let env: NodeJS.ProcessEnv;

const PRODUCERS: FixtureName[] = [
  'chromium',
  'ghostscript',
  'mupdf',
  'qpdf-objstm',
  'qpdf-linearized',
  'qpdf-aes256',
  'qpdf-aes128',
  'qpdf-rc4',
  'rotated',
  'cropbox',
  'scan',
  'signed-by-poppler',
];

before(async () => {
  assert.ok(kysoBuilt(), 'run "npm run build" first');
  const port = await freePort();
  pki = await createTestPki({ ocspUrl: `http://127.0.0.1:${port}/` });
  ocsp = await startOcsp(pki);
  tsa = await startTsa(pki);
  hsm = await createSoftHsmEnv();
  await hsm.addToken({
    label: 'VGCA Test',
    userPin: '12345678',
    objects: [
      { id: '01', label: 'Nguyễn Văn Đức', keyPem: pki.person.keyPem, certDer: pki.person.certDer },
      { id: 'ca', label: 'CA', certDer: pki.issuing.certDer },
    ],
  });
  fx = await makeFixtures(PRODUCERS, { signer: pki.personRsa3072 });
  work = await mkdtemp(join(tmpdir(), 'kyso-signing-'));
  env = { ...process.env, ...hsm.env, KYSO_PIN: '12345678', KYSO_LANG: 'en' };
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

function kyso(args: string[], extraEnv: NodeJS.ProcessEnv = {}, input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['bin/kyso', ...args],
      { env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 60000 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

const signArgs = (input: string, output: string, more: string[] = []): string[] => [
  'sign',
  input,
  '-o',
  output,
  '--module',
  hsm.module,
  '--pin-env',
  'KYSO_PIN',
  '--json',
  ...more,
];

/** Every independent check on a signed file; returns the pdfsig view. */
async function independentChecks(path: string, expectedSignatures: number, lastCoversAll = true): Promise<void> {
  const q = await qpdfCheck(path);
  assert.ok(q.ok, `qpdf --check ${path}: ${q.output}`);
  const sigs = await pdfsig(path);
  assert.equal(sigs.length, expectedSignatures, `pdfsig sees ${sigs.length} signatures in ${path}`);
  const blobs = await dumpSignatures(path, work);
  assert.equal(blobs.length, sigs.length);
  for (const [i, s] of sigs.entries()) {
    if (s.type === 'ETSI.RFC3161' || s.type === 'unknown') continue; // document timestamp: checked by openssl ts below
    assert.ok(s.valid, `${path} signature #${s.index} (${s.fieldName}): ${s.validation}`);
    const content = await signedBytes(path, s.ranges, join(work, `content-${i}.bin`));
    if (s.fieldName.startsWith('Signature')) {
      const v = await opensslCmsVerify(blobs[i]!, content, pki.files.rootPem, pki.files.issuingPem, work);
      assert.ok(v.ok, `openssl cms -verify ${path} #${s.index}: ${v.output}`);
    }
  }
  if (lastCoversAll) assert.ok(sigs[sigs.length - 1]!.totalDocument, 'the last signature covers the whole file');
}

describe('sign files from independent producers twice in a row', () => {
  for (const name of PRODUCERS) {
    test(name, async () => {
      const input = fx.files[name]!;
      const once = join(work, `${name}-1.pdf`);
      const twice = join(work, `${name}-2.pdf`);
      const first = await kyso(
        signArgs(input, once, ['--page', '1', '--rect', '320,80,520,140', '--reason', 'Phê duyệt']),
      );
      assert.equal(first.code, 0, first.stderr);
      const prior = name === 'signed-by-poppler' ? 1 : 0;
      await independentChecks(once, prior + 1);
      const second = await kyso(signArgs(once, twice, ['--level', 'B-T', '--tsa', tsa.url]));
      assert.equal(second.code, 0, second.stderr);
      await independentChecks(twice, prior + 2);
      const original = await readFile(once);
      const after2 = await readFile(twice);
      assert.ok(after2.subarray(0, original.length).equals(original), 'the first signed file is an unchanged prefix');
    });
  }
});

describe('PAdES levels', () => {
  test('B-B, B-T, B-LT (DSS with certificates and OCSP), B-LTA (document timestamp)', async () => {
    const input = fx.files.chromium!;
    for (const level of ['B-B', 'B-T', 'B-LT', 'B-LTA']) {
      const out = join(work, `level-${level}.pdf`);
      const r = await kyso(signArgs(input, out, ['--level', level, '--tsa', tsa.url]));
      assert.equal(r.code, 0, r.stderr);
      const info = JSON.parse(r.stdout) as {
        level: string;
        timestamp: string | null;
        dss: { certs: number; ocsps: number } | null;
      };
      assert.equal(info.level, level);
      assert.equal(info.timestamp === null, level === 'B-B');
      // B-LT ends with the DSS revision, which no signature covers.
      await independentChecks(out, level === 'B-LTA' ? 2 : 1, level !== 'B-LT');
      const reader = PdfReader.open(out);
      try {
        const dss = reader.dictOf(reader.catalog().get('DSS'));
        if (level === 'B-LT' || level === 'B-LTA') {
          assert.ok(dss, 'DSS present');
          const certs = reader.resolveValue(dss.get('Certs'));
          const ocsps = reader.resolveValue(dss.get('OCSPs'));
          assert.ok(isArray(certs) && certs.length >= 3, 'signer, issuing CA, root (TSA shares the CA)');
          assert.ok(isArray(ocsps) && ocsps.length >= 2, 'OCSP for the signer and the TSA');
          assert.ok(info.dss && info.dss.ocsps >= 2);
        } else assert.equal(dss, null);
        assert.equal(
          reader.sections.length - 1,
          { 'B-B': 1, 'B-T': 1, 'B-LT': 2, 'B-LTA': 3 }[level],
          'revisions added',
        );
      } finally {
        reader.close();
      }
      if (level === 'B-LTA') {
        const sigs = await pdfsig(out);
        const blobs = await dumpSignatures(out, work);
        const data = await signedBytes(out, sigs[1]!.ranges, join(work, 'docts.bin'));
        const chain = join(work, 'chain.pem');
        await writeFile(
          chain,
          (await readFile(pki.files.issuingPem, 'utf8')) + (await readFile(pki.tsa.certPath, 'utf8')),
        );
        const v = await opensslTsVerify(blobs[1]!, data, pki.files.rootPem, chain, work);
        assert.ok(v.ok, `openssl ts -verify on the document timestamp: ${v.output}`);
      }
    }
  });
});

describe('failures leave nothing behind', () => {
  const hostile: Array<[string, (orig: Buffer) => Buffer, RegExp]> = [
    ['truncated', (b) => b.subarray(0, Math.floor(b.length / 2)), /startxref|malformed|Invalid file/i],
    ['not a PDF', () => Buffer.from('<html>hello</html>'), /%PDF/],
    [
      'startxref past the end',
      (b) => Buffer.from(b.toString('latin1').replace(/startxref\s+\d+/, 'startxref 99999999'), 'latin1'),
      /outside the file|reconstruction/,
    ],
    [
      'looping /Prev',
      (b) => {
        const s = b.toString('latin1');
        const sx = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(s)![1]!;
        return Buffer.from(s.replace(/trailer\s*<</, `trailer\n<< /Prev ${sx} `), 'latin1');
      },
      /loops|Prev/,
    ],
    [
      'huge xref count',
      (b) => Buffer.from(b.toString('latin1').replace(/xref\s+0 (\d+)/, 'xref\n0 999999999'), 'latin1'),
      /too large|limit|xref/i,
    ],
    [
      'broken xref offsets',
      (b) => Buffer.from(b.toString('latin1').replace(/\d{10} 00000 n/g, '0000000001 00000 n'), 'latin1'),
      /xref|object|reconstruction/i,
    ],
  ];
  for (const [label, mutate, expected] of hostile) {
    test(`${label}: exit 65, one clear line, no output file`, async () => {
      const bad = join(work, `hostile-${label.replace(/\W+/g, '-')}.pdf`);
      await writeFile(bad, mutate(await readFile(fx.files.ghostscript!)));
      const out = join(work, `hostile-out-${label.replace(/\W+/g, '-')}.pdf`);
      const t0 = Date.now();
      const r = await kyso(signArgs(bad, out));
      assert.equal(r.code, 65, `${label}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, expected);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
      assert.equal(existsSync(out), false);
      assert.ok(Date.now() - t0 < 30000, 'no hang');
    });
  }

  test('wrong PIN: exit 77, no output, no temp files', async () => {
    const out = join(work, 'wrong-pin.pdf');
    const r = await kyso(signArgs(fx.files.chromium!, out), { KYSO_PIN: '00000000' });
    assert.equal(r.code, 77, r.stderr);
    assert.match(r.stderr, /Wrong PIN/);
    assert.doesNotMatch(r.stderr, /00000000/, 'the PIN never appears in messages');
    assert.equal(existsSync(out), false);
    assert.deepEqual(
      readdirSync(work).filter((f) => f.includes('.kyso-')),
      [],
    );
  });

  test('PIN from stdin works; a PIN is never accepted as an argument', async () => {
    const out = join(work, 'stdin-pin.pdf');
    const args = ['sign', fx.files.ghostscript!, '-o', out, '--module', hsm.module, '--pin-stdin'];
    const r = await kyso(args, {}, '12345678\n');
    assert.equal(r.code, 0, r.stderr);
    const bad = await kyso([...args.slice(0, -1), '--pin', '12345678']);
    assert.equal(bad.code, 64);
  });

  test('unreachable TSA: exit with a clear message and no output', async () => {
    const out = join(work, 'no-tsa.pdf');
    const port = await freePort();
    const r = await kyso(signArgs(fx.files.chromium!, out, ['--level', 'B-T', '--tsa', `http://127.0.0.1:${port}/`]));
    assert.notEqual(r.code, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /timestamp/i);
    assert.equal(existsSync(out), false);
  });
});

describe('kyso batch', () => {
  test('one login for a folder; a bad file is skipped; summary and JSON per file', async () => {
    const inDir = join(work, 'batch-in');
    const outDir = join(work, 'batch-out');
    await rm(inDir, { recursive: true, force: true });
    await import('node:fs/promises').then((f) => f.mkdir(inDir, { recursive: true }));
    for (const n of ['chromium', 'ghostscript', 'mupdf', 'qpdf-objstm'])
      await copyFile(fx.files[n]!, join(inDir, `${n}.pdf`));
    await writeFile(join(inDir, 'zz-broken.pdf'), 'not a pdf');
    const r = await kyso(['batch', inDir, '-o', outDir, '--module', hsm.module, '--pin-env', 'KYSO_PIN', '--json']);
    assert.equal(r.code, 65, r.stderr);
    const res = JSON.parse(r.stdout) as {
      signed: number;
      failed: number;
      results: Array<{ file: string; status: string }>;
    };
    assert.equal(res.signed, 4);
    assert.equal(res.failed, 1);
    assert.match(r.stderr, /\[5\/5\]/);
    assert.match(r.stderr, /Signed 4\/5 files; 1 failed/);
    for (const n of ['chromium', 'ghostscript', 'mupdf', 'qpdf-objstm'])
      await independentChecks(join(outDir, `${n}.pdf`), 1);
    assert.equal(existsSync(join(outDir, 'zz-broken.pdf')), false);
  });
});
