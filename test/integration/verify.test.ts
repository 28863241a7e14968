// The validator on honest files (every level, two signatures, a file signed by poppler) and on an
// attack corpus built here from those files: universal signature forgery, incremental saving with
// and without a new xref, signature wrapping, shadow hide / replace / hide-and-replace, evil
// annotation and sneaky signature after certification, a revoked signer, an expired certificate
// without timestamp, a wrong trust root, and a file whose xref would need reconstruction.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestPki, type TestIdentity, type TestPki } from '../helpers/pki.js';
import { freePort, startOcsp, type TestOcsp } from '../helpers/ocsp.js';
import { startTsa, type TestTsa } from '../helpers/tsa.js';
import { makeFixtures, makePdfLibForm, type PdfFixtures } from '../helpers/pdf-fixtures.js';
import { qpdfCheck, pdfsig } from '../helpers/pdf-check.js';
import type { FieldLock } from '../../src-core/sign/field-lock.js';
import { softwareSigner } from '../helpers/software-signer.js';
import {
  addFreeTextAnnotation,
  fillTextField,
  appendWithoutXref,
  changePageContent,
  patchSameLength,
  plantShadowObjects,
  shadowHide,
  shadowHideAndReplace,
  shadowReplace,
} from '../helpers/attack-corpus.js';
import { signDocument, type PadesLevel } from '../../src-core/sign/sign-document.js';
import { appendSignedRevision } from '../../src-core/sign/pdf-signer.js';
import { TrustStore } from '../../src-core/pki/trust-store.js';
import { MemoryRevocationCache } from '../../src-core/pki/revocation-cache.js';
import { createTrustServices } from '../../src-core/verify/trust-services.js';
import { verifyPdf, type TrustServices } from '../../src-core/verify/validate.js';
import type { SignatureReport, VerifyReport } from '../../src-shared/api/verify-types.js';
import { kysoBuilt } from '../helpers/kyso-process.js';

let pki: TestPki;
let other: TestPki;
let ocsp: TestOcsp;
let tsa: TestTsa;
let fx: PdfFixtures;
let work: string;
let trust: TrustServices;

before(async () => {
  const port = await freePort();
  pki = await createTestPki({ ocspUrl: `http://127.0.0.1:${port}/` });
  other = await createTestPki();
  ocsp = await startOcsp(pki);
  tsa = await startTsa(pki);
  fx = await makeFixtures(['chromium', 'ghostscript', 'signed-by-poppler'], { signer: pki.personRsa3072 });
  work = await mkdtemp(join(tmpdir(), 'kyso-verify-'));
  trust = await trustFor(pki);
});

after(async () => {
  await tsa?.close();
  await ocsp?.close();
  await fx?.cleanup();
  await pki?.cleanup();
  await other?.cleanup();
  if (work) await rm(work, { recursive: true, force: true });
});

async function trustFor(p: TestPki): Promise<TrustServices> {
  const store = new TrustStore();
  store.addUser(Buffer.from(p.root.certDer), 'test');
  return createTrustServices({ store, cache: new MemoryRevocationCache(), env: {} });
}

let n = 0;
const out = (tag: string): string => join(work, `${tag}-${n++}.pdf`);

async function sign(
  input: string,
  opts: {
    level?: PadesLevel;
    id?: TestIdentity;
    chain?: TestIdentity[];
    rect?: boolean;
    certify?: 1 | 2 | 3;
    lock?: FieldLock;
  } = {},
): Promise<string> {
  const o = out('signed');
  await signDocument({
    input,
    output: o,
    signer: softwareSigner(opts.id ?? pki.person, opts.chain ?? [pki.issuing]),
    level: opts.level ?? 'B-B',
    tsaUrl: tsa.url,
    placement: {
      signingTime: new Date(),
      ...(opts.rect ? { pageIndex: 0, rect: [320, 80, 520, 140] } : {}),
      ...(opts.lock ? { lockFields: opts.lock } : {}),
    },
    ...(opts.certify ? { certify: opts.certify } : {}),
  });
  return o;
}

async function verify(path: string, offline = false, t: TrustServices = trust): Promise<VerifyReport> {
  return verifyPdf(path, { trust: t, offline });
}

function only(r: VerifyReport, kind: SignatureReport['kind'] = 'signature'): SignatureReport {
  const s = r.signatures.filter((x) => x.kind === kind);
  assert.equal(s.length, 1, JSON.stringify(r.signatures.map((x) => x.field)));
  return s[0]!;
}

function expectFailed(s: SignatureReport, sub: string, reasonCode: RegExp): void {
  assert.equal(
    s.indication,
    'TOTAL-FAILED',
    `${s.field}: ${s.indication}/${s.subIndication} ${s.reasons.map((r) => r.code).join(',')}`,
  );
  assert.equal(s.subIndication, sub);
  assert.ok(
    s.reasons.some((r) => reasonCode.test(r.code)),
    s.reasons.map((r) => r.code).join(','),
  );
  assert.ok(s.reasons.every((r) => r.vi.length > 0 && r.en.length > 0));
}

describe('honest files pass', () => {
  for (const level of ['B-B', 'B-T', 'B-LT', 'B-LTA'] as const) {
    test(level, async () => {
      const r = await verify(await sign(fx.files.chromium!, { level }));
      assert.equal(r.fileError, null);
      const s = only(r);
      assert.equal(s.indication, 'TOTAL-PASSED', JSON.stringify(s.reasons));
      assert.equal(s.level, level);
      assert.equal(s.signer?.commonName, 'Nguyễn Văn Đức');
      assert.deepEqual(s.signer?.ids, [{ kind: 'CCCD', value: '001085012345' }]);
      assert.equal(s.signingTimeSource, level === 'B-B' ? 'claimed' : 'timestamp');
      assert.equal(s.coverage, level === 'B-LT' || level === 'B-LTA' ? 'ENTIRE_REVISION' : 'ENTIRE_FILE');
      assert.ok(s.modifications.level === 'NONE' || s.modifications.level === 'LTA_UPDATES', s.modifications.level);
      if (level === 'B-LTA') assert.equal(only(r, 'document-timestamp').indication, 'TOTAL-PASSED');
    });
  }

  test('two signatures: the first covers its revision, with only a new signature after it', async () => {
    const twice = await sign(await sign(fx.files.chromium!), { level: 'B-T', rect: true });
    const r = await verify(twice);
    assert.equal(r.signatures.length, 2);
    for (const s of r.signatures) assert.equal(s.indication, 'TOTAL-PASSED', JSON.stringify(s.reasons));
    assert.equal(r.signatures[0]!.coverage, 'ENTIRE_REVISION');
    assert.equal(r.signatures[0]!.modifications.level, 'FORM_FILLING');
  });

  test('a file signed by another tool (poppler, adbe.pkcs7.detached), then by us', async () => {
    const signed = await sign(fx.files['signed-by-poppler']!);
    // Poppler embeds only the signer's certificate: without the issuing CA there is no chain …
    const alone = await verify(signed);
    assert.equal(alone.signatures[0]!.indication, 'INDETERMINATE');
    assert.equal(alone.signatures[0]!.subIndication, 'NO_CERTIFICATE_CHAIN_FOUND');
    assert.equal(alone.signatures[1]!.indication, 'TOTAL-PASSED');
    // … and with the intermediate provided (as an IT department would), both pass.
    const store = new TrustStore();
    store.addUser(Buffer.from(pki.root.certDer), 'test');
    store.addUser(Buffer.from(pki.issuing.certDer), 'test');
    const r = await verify(
      signed,
      false,
      await createTrustServices({ store, cache: new MemoryRevocationCache(), env: {} }),
    );
    assert.equal(r.signatures.length, 2);
    for (const s of r.signatures)
      assert.equal(s.indication, 'TOTAL-PASSED', `${s.field}: ${JSON.stringify(s.reasons)}`);
    assert.equal(r.signatures[0]!.level, null, 'not PAdES');
    assert.equal(r.signatures[1]!.modifications.level, 'NONE');
    assert.equal(r.signatures[0]!.modifications.level, 'FORM_FILLING');
  });

  test('offline: B-LT passes on its DSS alone; B-B without revocation data is indeterminate', async () => {
    assert.equal(
      only(await verify(await sign(fx.files.ghostscript!, { level: 'B-LT' }), true)).indication,
      'TOTAL-PASSED',
    );
    // A fresh revocation cache: the shared one may hold an earlier online answer for this signer.
    const bb = only(await verify(await sign(fx.files.ghostscript!), true, await trustFor(pki)));
    assert.equal(bb.indication, 'INDETERMINATE');
    assert.equal(bb.subIndication, 'TRY_LATER');
  });
});

describe('attack corpus', () => {
  test('universal signature forgery: garbage /Contents', async () => {
    const o = out('usf-garbage');
    await appendSignedRevision(
      fx.files.ghostscript!,
      o,
      { kind: 'sig', signingTime: new Date() },
      { hash: 'SHA-256', maxBytes: 600, produce: async () => randomBytes(500) },
    );
    expectFailed(only(await verify(o)), 'FORMAT_FAILURE', /cmsMalformed/);
  });

  test('universal signature forgery: empty /Contents', async () => {
    const o = out('usf-empty');
    await appendSignedRevision(
      fx.files.ghostscript!,
      o,
      { kind: 'sig', signingTime: new Date() },
      { hash: 'SHA-256', maxBytes: 64, produce: async () => Buffer.alloc(0) },
    );
    expectFailed(only(await verify(o)), 'FORMAT_FAILURE', /cmsMalformed|contentsMissing/);
  });

  test('universal signature forgery: /ByteRange missing', async () => {
    const o = out('usf-nobr');
    await patchSameLength(await sign(fx.files.ghostscript!), o, '/ByteRange', () => '/ByteRangX');
    expectFailed(only(await verify(o)), 'FORMAT_FAILURE', /byteRangeMalformed/);
  });

  test('incremental saving: page content replaced in a later revision', async () => {
    const o = out('isa');
    await changePageContent(await sign(fx.files.chromium!), o);
    const s = only(await verify(o));
    expectFailed(s, 'FORMAT_FAILURE', /^modified$/);
    assert.equal(s.modifications.level, 'OTHER');
    assert.ok(s.modifications.objects.some((x) => x.what.startsWith('page-changed')));
  });

  test('incremental saving without a new xref (objects redefined after %%EOF)', async () => {
    const o = out('isa-noxref');
    await appendWithoutXref(await sign(fx.files.ghostscript!), o);
    expectFailed(only(await verify(o)), 'FORMAT_FAILURE', /trailingData/);
  });

  test('signature wrapping: the byte range moved away from /Contents', async () => {
    const o = out('wrap');
    await patchSameLength(await sign(fx.files.ghostscript!), o, /\/ByteRange \[0 (\d+) (\d+) (\d+)\s*\]/, (m) => {
      const [, a, b, c] = /\[0 (\d+) (\d+) (\d+)/.exec(m)!;
      const shifted = `/ByteRange [0 ${Number(a) - 10} ${Number(b) - 10} ${Number(c) + 10}`;
      return shifted + ' '.repeat(m.length - shifted.length - 1) + ']';
    });
    expectFailed(only(await verify(o)), 'FORMAT_FAILURE', /gapNotContents/);
  });

  for (const variant of ['hide', 'replace', 'hide-and-replace'] as const) {
    test(`shadow attack: ${variant}`, async () => {
      const planted = out('shadow-planted');
      const shadow = await plantShadowObjects(fx.files.chromium!, planted);
      const signed = await sign(planted);
      const o = out(`shadow-${variant}`);
      if (variant === 'hide') await shadowHide(signed, o, shadow.annot);
      else if (variant === 'replace') await shadowReplace(signed, o, shadow.content);
      else await shadowHideAndReplace(signed, o, shadow.shadowOffsetFor);
      const s = only(await verify(o));
      expectFailed(s, 'FORMAT_FAILURE', /^modified$/);
    });
  }

  test('evil annotation after a certification (P=2)', async () => {
    const o = out('evil-annot');
    await addFreeTextAnnotation(await sign(fx.files.chromium!, { certify: 2 }), o);
    const s = only(await verify(o));
    assert.equal(s.certification?.permission, 2);
    expectFailed(s, 'FORMAT_FAILURE', /certificationViolated/);
  });

  test('the same annotation after a plain signature is a permitted change', async () => {
    const o = out('plain-annot');
    await addFreeTextAnnotation(await sign(fx.files.chromium!), o);
    const s = only(await verify(o));
    assert.equal(s.indication, 'TOTAL-PASSED', JSON.stringify(s.reasons));
    assert.equal(s.modifications.level, 'ANNOTATIONS');
  });

  test('sneaky signature: a visible signature after a certification (P=2)', async () => {
    const certified = await sign(fx.files.chromium!, { certify: 2 });
    const r = await verify(await sign(certified, { rect: true }));
    const cert = r.signatures.find((x) => x.certification)!;
    expectFailed(cert, 'FORMAT_FAILURE', /certificationViolated/);
  });

  test('FieldMDP: a locked form field changed after signing fails; others may be filled', async () => {
    const form = await makePdfLibForm(work);
    // Include: only so_ky_hieu is locked.
    const inc = await sign(form, { lock: { action: 'Include', fields: ['so_ky_hieu'] } });
    assert.ok((await qpdfCheck(inc)).ok);
    const ps = await pdfsig(inc);
    assert.equal(ps.length, 1);
    assert.match(ps[0]!.validation, /valid/i);
    assert.equal(only(await verify(inc)).indication, 'TOTAL-PASSED');

    const okFill = out('fieldmdp-ok');
    await fillTextField(inc, okFill, 'ghi_chu', 'Đồng ý');
    const passed = only(await verify(okFill));
    assert.equal(passed.indication, 'TOTAL-PASSED', JSON.stringify(passed.reasons));
    assert.equal(passed.modifications.level, 'FORM_FILLING');

    const badFill = out('fieldmdp-bad');
    await fillTextField(okFill, badFill, 'so_ky_hieu', '999/QĐ-BTC');
    const failed = only(await verify(badFill));
    expectFailed(failed, 'FORMAT_FAILURE', /^fieldLocked$/);
    assert.ok(failed.reasons.some((r) => r.en.includes('so_ky_hieu') && r.vi.includes('so_ky_hieu')));

    // All: every field, nested ones included.
    const all = await sign(form, { lock: { action: 'All' } });
    const allFill = out('fieldmdp-all');
    await fillTextField(all, allFill, 'nguoi_nhan.ho_ten', 'Trần Thị B');
    expectFailed(only(await verify(allFill)), 'FORMAT_FAILURE', /^fieldLocked$/);

    // Exclude: everything but ghi_chu; a parent name covers its children.
    const exc = await sign(form, { lock: { action: 'Exclude', fields: ['ghi_chu'] } });
    const excOk = out('fieldmdp-exc-ok');
    await fillTextField(exc, excOk, 'ghi_chu', 'Ghi chú');
    assert.equal(only(await verify(excOk)).indication, 'TOTAL-PASSED');
    const excBad = out('fieldmdp-exc-bad');
    await fillTextField(exc, excBad, 'nguoi_nhan.ho_ten', 'Lê Văn C');
    expectFailed(only(await verify(excBad)), 'FORMAT_FAILURE', /^fieldLocked$/);

    // A later signature (a new field) is not a change to a locked field.
    const second = await sign(inc, { id: pki.organisation });
    const r2 = await verify(second);
    assert.deepEqual(
      r2.signatures.map((x) => x.indication),
      ['TOTAL-PASSED', 'TOTAL-PASSED'],
    );
  });

  test('FieldMDP /Lock P=1: later form filling fails and our signer refuses to sign again', async () => {
    const form = await makePdfLibForm(work);
    const locked = await sign(form, { lock: { action: 'Include', fields: ['so_ky_hieu'], p: 1 } });
    assert.equal(only(await verify(locked)).indication, 'TOTAL-PASSED');
    const filled = out('lock-p1');
    await fillTextField(locked, filled, 'ghi_chu', 'x');
    expectFailed(only(await verify(filled)), 'FORMAT_FAILURE', /^lockPermissionViolated$/);
    await assert.rejects(sign(locked), (e: unknown) => {
      const err = e as { code?: string; params?: { detail?: string } };
      return err.code === 'INPUT_MALFORMED' && /\/Lock P=1/.test(String(err.params?.detail));
    });
  });

  test('revoked signer (OCSP says revoked before signing)', async () => {
    const victim = await pki.issue({
      name: 'revoked-signer',
      subject: { cn: 'Phạm Văn Thu Hồi', uid: 'CCCD:001099000001' },
    });
    const signed = await sign(fx.files.ghostscript!, { id: victim });
    await pki.revoke(victim, { reason: 'keyCompromise', at: new Date(Date.now() - 86400000) });
    expectFailed(only(await verify(signed)), 'REVOKED', /^revoked$/);
  });

  test('expired certificate without a timestamp', async () => {
    const expired = await pki.issue({
      name: 'expired-signer',
      validity: 'expired',
      subject: { cn: 'Lê Thị Hết Hạn', uid: 'CCCD:001099000002' },
    });
    const s = only(await verify(await sign(fx.files.ghostscript!, { id: expired })));
    assert.equal(s.indication, 'INDETERMINATE');
    assert.equal(s.subIndication, 'OUT_OF_BOUNDS_NO_POE');
  });

  test('wrong trust root', async () => {
    const s = only(await verify(await sign(fx.files.ghostscript!, { id: other.person, chain: [other.issuing] })));
    assert.equal(s.indication, 'INDETERMINATE');
    assert.equal(s.subIndication, 'NO_CERTIFICATE_CHAIN_FOUND');
  });

  test('a file whose xref would need reconstruction cannot pass', async () => {
    const signed = await sign(fx.files.ghostscript!);
    const o = out('broken-xref');
    const s = (await readFile(signed)).toString('latin1').replace(/\d{10} 00000 n/, '0000000001 00000 n');
    await writeFile(o, Buffer.from(s, 'latin1'));
    const r = await verify(o);
    assert.ok(r.fileError !== null || r.signatures.every((x) => x.indication !== 'TOTAL-PASSED'));
  });
});

describe('kyso verify', () => {
  const run = (args: string[]): Promise<{ code: number; stdout: string }> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        ['bin/kyso', 'verify', ...args],
        { env: { ...process.env, KYSO_LANG: 'vi', KYSO_CACHE_DIR: work } },
        (err, stdout) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout }),
      );
    });

  test('exit codes 0 / 1 / 2 and the JSON shape', async (t) => {
    if (!kysoBuilt()) return t.skip('run "npm run build" first');
    const good = await sign(fx.files.chromium!, { level: 'B-LT' });
    const ok = await run([good, '--trust', pki.files.rootPem, '--json']);
    assert.equal(ok.code, 0, ok.stdout);
    const j = JSON.parse(ok.stdout) as VerifyReport;
    assert.equal(j.signatures[0]!.indication, 'TOTAL-PASSED');
    for (const k of [
      'field',
      'signer',
      'indication',
      'subIndication',
      'coverage',
      'modifications',
      'level',
      'signingTime',
      'timestamp',
      'reasons',
    ]) {
      assert.ok(k in j.signatures[0]!, k);
    }
    const tampered = out('cli-tampered');
    await changePageContent(good, tampered);
    assert.equal((await run([tampered, '--trust', pki.files.rootPem])).code, 1);
    const human = await run([good]);
    assert.equal(human.code, 2, 'without --trust the test root is unknown: indeterminate');
    assert.match(human.stdout, /INDETERMINATE\/NO_CERTIFICATE_CHAIN_FOUND/);
    assert.match(human.stdout, /Không xây dựng được chuỗi chứng thư/);
  });
});
