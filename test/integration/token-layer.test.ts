// The token layer on a real SoftHSM2 token: discovery of an explicit module, certificates read
// and decoded for people, pairing by CKA_ID and by public key, PIN handling, every signing
// mechanism (each signature verified by node:crypto against the certificate), one login for
// many signatures, idle logout, and `kyso tokens`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { verify, constants } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { createSoftHsmEnv, type SoftHsmEnv, type SoftHsmToken } from '../helpers/softhsm.js';
import { listModules, chooseToken } from '../../src-core/token/token-service.js';
import { TokenSession } from '../../src-core/token/token-session.js';
import { loadModule, unloadAll } from '../../src-core/token/pkcs11-module.js';
import { runCli } from '../../src-core/cli/main.js';
import { KysoError } from '../../src-shared/errors.js';
import type { ModuleSummary } from '../../src-shared/api/token-types.js';

let pki: TestPki;
let hsm: SoftHsmEnv;
let token: SoftHsmToken;
let modulePath: string;

before(async () => {
  pki = await createTestPki();
  const expired = await pki.issue({
    name: 'expired',
    validity: 'expired',
    subject: { cn: 'Trần Thị Hết Hạn', uid: 'CCCD:079190000001' },
  });
  // A certificate whose CKA_ID does not match its key: found by comparing public keys.
  const mismatched = await pki.issue({ name: 'mismatch', subject: { cn: 'Lê Văn Lệch', uid: 'CMND:012345678' } });
  hsm = await createSoftHsmEnv();
  token = await hsm.addToken({
    label: 'VGCA Test Token',
    userPin: '12345678',
    objects: [
      { id: '01', label: 'Nguyễn Văn Đức', keyPem: pki.person.keyPem, certDer: pki.person.certDer },
      { id: '02', label: 'RSA-3072', keyPem: pki.personRsa3072.keyPem, certDer: pki.personRsa3072.certDer },
      { id: '03', label: 'EC', keyPem: pki.personEc.keyPem, certDer: pki.personEc.certDer },
      { id: '04', label: 'Bộ Tài chính', keyPem: pki.organisation.keyPem, certDer: pki.organisation.certDer },
      { id: '05', label: 'expired', keyPem: expired.keyPem, certDer: expired.certDer },
      { id: '06', label: 'mismatch-key', keyPem: mismatched.keyPem },
      { id: '66', label: 'mismatch-cert', certDer: mismatched.certDer },
      { id: 'ca', label: 'CA', certDer: pki.issuing.certDer },
    ],
  });
  Object.assign(process.env, hsm.env);
  modulePath = hsm.module;
});

after(async () => {
  unloadAll();
  await hsm?.cleanup();
  await pki?.cleanup();
});

function onlyToken(mods: ModuleSummary[]) {
  assert.equal(mods.length, 1);
  const m = mods[0]!;
  assert.equal(m.loaded, true, JSON.stringify(m.error));
  const t = m.tokens.find((x) => x.label === 'VGCA Test Token');
  assert.ok(t, 'token listed');
  return t;
}

test('tokens and certificates are listed and decoded for people', () => {
  const t = onlyToken(listModules({ explicit: [modulePath] }));
  assert.equal(t.serialNumber, token.serial);
  assert.equal(t.pin.locked, false);
  const byId = new Map(t.certificates.map((c) => [c.id, c]));

  const person = byId.get('01')!;
  assert.equal(person.subject.commonName, 'Nguyễn Văn Đức');
  assert.equal(person.subject.title, 'Chánh Văn phòng');
  assert.equal(person.subject.organization, 'Bộ Tài chính');
  assert.deepEqual(person.subject.ids, [{ kind: 'CCCD', value: '001085012345' }]);
  assert.equal(person.kind, 'personal');
  assert.equal(person.usable, true);
  assert.ok(person.keyUsage.includes('nonRepudiation'));
  assert.equal(person.keyAlgorithm, 'RSA-2048');
  assert.equal(person.issuerCommonName, pki.issuing.subject.cn);

  const org = byId.get('04')!;
  assert.equal(org.kind, 'organisation');
  assert.deepEqual(org.subject.ids, [{ kind: 'MST', value: '0100100079' }]);

  assert.equal(byId.get('02')!.keyAlgorithm, 'RSA-3072');
  assert.equal(byId.get('03')!.keyAlgorithm, 'EC-P-256');

  const expired = byId.get('05')!;
  assert.equal(expired.usable, false, 'expired certificates are shown but not offered');
  assert.deepEqual(expired.problems, ['cert.problem.expired']);

  const ca = byId.get('ca')!;
  assert.equal(ca.usable, false);
  assert.ok(ca.problems.includes('cert.problem.noPrivateKey') && ca.problems.includes('cert.problem.ca'));

  assert.equal(byId.get('66')!.hasPrivateKey, true, 'paired by public key despite a different CKA_ID');
});

function certKey(der: Uint8Array): Buffer {
  // X509Certificate gives the SPKI of a certificate without our own parser.
  return Buffer.from(der);
}

test('wrong PIN: typed error, flags re-read, nothing retried; right PIN logs in; PIN buffer wiped', async () => {
  const choice = chooseToken({ explicit: [modulePath], label: 'VGCA Test Token' });
  const s = new TokenSession(choice.module, choice.slot);
  const wrong = Buffer.from('00000000');
  await assert.rejects(s.login(wrong), (e: unknown) => e instanceof KysoError && e.code === 'PIN_INCORRECT');
  assert.ok(
    wrong.every((b) => b === 0),
    'wrong PIN wiped too',
  );
  assert.equal(s.isLoggedIn, false);
  const pin = Buffer.from('12345678');
  await s.login(pin);
  assert.ok(
    pin.every((b) => b === 0),
    'PIN buffer wiped after C_Login',
  );
  assert.equal(s.isLoggedIn, true);
  s.close();
});

test('signing: RSA PKCS#1 v1.5 (2048, 3072; SHA-256/384/512), RSA-PSS, ECDSA P-256 — all verified', async () => {
  const { X509Certificate } = await import('node:crypto');
  const choice = chooseToken({ explicit: [modulePath], label: 'VGCA Test Token' });
  const s = new TokenSession(choice.module, choice.slot);
  await s.login(Buffer.from('12345678'));
  const data = Buffer.from('Quyết định số 123/QĐ-BTC — nội dung cần ký');
  const pub = (der: Uint8Array) => new X509Certificate(certKey(der)).publicKey;

  for (const hash of ['SHA-256', 'SHA-384', 'SHA-512'] as const) {
    const r = await s.sign(data, { certId: '01', hash });
    assert.equal(r.plan.scheme, 'RSA-PKCS1');
    assert.equal(verify(hash.replace('-', '').toLowerCase(), data, pub(pki.person.certDer), r.signature), true, hash);
  }
  const r3072 = await s.sign(data, { certId: '02' });
  assert.equal(r3072.signature.length, 384);
  assert.equal(verify('sha256', data, pub(pki.personRsa3072.certDer), r3072.signature), true);

  const pss = await s.sign(data, { certId: '01', rsaScheme: 'RSA-PSS' });
  assert.equal(pss.plan.scheme, 'RSA-PSS');
  assert.equal(
    verify(
      'sha256',
      data,
      { key: pub(pki.person.certDer), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
      pss.signature,
    ),
    true,
  );

  const ec = await s.sign(data, { certId: '03' });
  assert.equal(ec.keyKind, 'EC');
  assert.equal(ec.signature[0], 0x30, 'r||s converted to a DER SEQUENCE');
  assert.equal(verify('sha256', data, pub(pki.personEc.certDer), ec.signature), true);

  const viaPublicKey = await s.sign(data, { certId: '66' });
  assert.equal(viaPublicKey.signature.length, 256);

  const tampered = Buffer.from(data);
  tampered[0]! ^= 1;
  assert.equal(
    verify('sha256', tampered, pub(pki.person.certDer), (await s.sign(data, { certId: '01' })).signature),
    false,
  );
  s.close();
});

test('one login serves many signatures; idle logout ends the session', async () => {
  const choice = chooseToken({ explicit: [modulePath], label: 'VGCA Test Token' });
  const s = new TokenSession(choice.module, choice.slot, { idleLogoutMs: 300 });
  let logouts = 0;
  s.on('logout', (reason: string) => {
    if (reason === 'idle') logouts++;
  });
  await s.login(Buffer.from('12345678'));
  for (let i = 0; i < 20; i++) await s.sign(Buffer.from(`văn bản ${i}`), { certId: '01' });
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(logouts, 1);
  assert.equal(s.isLoggedIn, false);
  await assert.rejects(
    s.sign(Buffer.from('x'), { certId: '01' }),
    (e: unknown) => e instanceof KysoError && e.code === 'NOT_LOGGED_IN',
  );
  s.close();
});

test('unknown certificate id and unusable key give their own errors', async () => {
  const choice = chooseToken({ explicit: [modulePath], label: 'VGCA Test Token' });
  const s = new TokenSession(choice.module, choice.slot);
  await s.login(Buffer.from('12345678'));
  await assert.rejects(
    s.sign(Buffer.from('x'), { certId: 'ff' }),
    (e: unknown) => e instanceof KysoError && e.messageKey === 'error.certNotFound',
  );
  await assert.rejects(
    s.sign(Buffer.from('x'), { certId: 'ca' }),
    (e: unknown) => e instanceof KysoError && e.messageKey === 'error.keyNotFound',
  );
  s.close();
});

test('module loading: the same library twice is one instance; a bad path is a clear error', () => {
  assert.equal(loadModule(modulePath), loadModule(modulePath));
  const mods = listModules({ explicit: ['/nonexistent/libbit4xpki.so'] });
  assert.equal(mods[0]!.loaded, false);
  assert.equal(mods[0]!.error?.messageKey, 'error.moduleMissing');
});

test('kyso tokens --json and the human listing', async () => {
  const run = async (argv: string[]) => {
    const out = new PassThrough();
    const err = new PassThrough();
    let o = '';
    out.on('data', (d: Buffer) => (o += d.toString()));
    err.on('data', () => undefined);
    const code = await runCli(argv, { locale: 'vi', stdout: out, stderr: err, env: {} });
    return { code, o };
  };
  const j = await run(['tokens', '--module', modulePath, '--json']);
  assert.equal(j.code, 0);
  const parsed = JSON.parse(j.o) as { modules: ModuleSummary[] };
  assert.ok(onlyToken(parsed.modules).certificates.some((c) => c.subject.commonName === 'Nguyễn Văn Đức'));
  const h = await run(['tokens', '--module', modulePath]);
  assert.equal(h.code, 0);
  assert.match(h.o, /Nguyễn Văn Đức, Chánh Văn phòng — Bộ Tài chính \(cá nhân; CCCD:001085012345\)/);
  assert.match(h.o, /Bộ Tài chính .*\(tổ chức; MST:0100100079\)/);
  assert.match(h.o, /không dùng để ký: Chứng thư số đã hết hạn/);
  const none = await run(['tokens', '--module', '/nonexistent.so']);
  assert.equal(none.code, 69);
});

test('fallback mechanisms on the token: raw CKM_RSA_PKCS + DigestInfo, raw RSA-PSS over a digest', async () => {
  const { X509Certificate } = await import('node:crypto');
  const { CKM } = await import('../../src-core/token/mechanisms.js');
  const choice = chooseToken({ explicit: [modulePath], label: 'VGCA Test Token' });
  const data = Buffer.from('Công văn khẩn — fallback');
  const pub = (der: Uint8Array) => new X509Certificate(Buffer.from(der)).publicKey;

  const raw = new TokenSession(choice.module, choice.slot, {
    allowMechanisms: [CKM.RSA_PKCS, CKM.RSA_PKCS_PSS, CKM.ECDSA_SHA256],
  });
  await raw.login(Buffer.from('12345678'));
  const r1 = await raw.sign(data, { certId: '01' });
  assert.equal(r1.plan.mechanism, CKM.RSA_PKCS);
  assert.equal(verify('sha256', data, pub(pki.person.certDer), r1.signature), true);
  const r384 = await raw.sign(data, { certId: '01', hash: 'SHA-384' });
  assert.equal(verify('sha384', data, pub(pki.person.certDer), r384.signature), true);
  const pss = await raw.sign(data, { certId: '02', rsaScheme: 'RSA-PSS' });
  assert.equal(pss.plan.mechanism, CKM.RSA_PKCS_PSS);
  assert.equal(
    verify(
      'sha256',
      data,
      { key: pub(pki.personRsa3072.certDer), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
      pss.signature,
    ),
    true,
  );
  // SoftHSM2 lists no combined CKM_ECDSA_SHA*; with only that allowed the EC key has no way to sign.
  await assert.rejects(
    raw.sign(data, { certId: '03' }),
    (e: unknown) => e instanceof KysoError && e.code === 'MECHANISM_UNSUPPORTED',
  );
  raw.close();

  const none = new TokenSession(choice.module, choice.slot, { allowMechanisms: [] });
  await none.login(Buffer.from('12345678'));
  await assert.rejects(
    none.sign(data, { certId: '01' }),
    (e: unknown) => e instanceof KysoError && e.code === 'MECHANISM_UNSUPPORTED',
  );
  none.close();
});
