// The signature inside the CMS comes from a SoftHSM2 token through TokenSession (the same path as a
// USB token): RSA PKCS#1, RSA-PSS and ECDSA (r‖s → DER by the token layer), with and without a
// timestamp. Every CMS is verified by `openssl cms -verify`, and by our own verifier.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTestPki } from '../helpers/pki.js';
import type { TestPki } from '../helpers/pki.js';
import { run } from '../helpers/run.js';
import { createSoftHsmEnv } from '../helpers/softhsm.js';
import type { SoftHsmEnv } from '../helpers/softhsm.js';
import { startTsa } from '../helpers/tsa.js';
import type { TestTsa } from '../helpers/tsa.js';
import { signCades } from '../../src-core/cms/cades-builder.js';
import type { CmsHash } from '../../src-core/cms/cades-builder.js';
import { verifyDetachedCms } from '../../src-core/cms/cms-verify.js';
import { chooseToken } from '../../src-core/token/token-service.js';
import { TokenSession } from '../../src-core/token/token-session.js';
import { unloadAll } from '../../src-core/token/pkcs11-module.js';

let pki: TestPki;
let hsm: SoftHsmEnv;
let tsa: TestTsa;
let session: TokenSession;
let work: string;
const CONTENT = Buffer.from('Tờ trình số 08/TTr-BTC: nội dung ký bằng thiết bị ký số.\n');
const der = (u: Uint8Array): Buffer => Buffer.from(u);

before(async () => {
  pki = await createTestPki();
  tsa = await startTsa(pki);
  hsm = await createSoftHsmEnv();
  await hsm.addToken({
    label: 'CMS Token',
    userPin: '12345678',
    objects: [
      { id: '01', label: 'Nguyễn Văn Đức', keyPem: pki.person.keyPem, certDer: pki.person.certDer },
      { id: '03', label: 'Trần Thị Hương', keyPem: pki.personEc.keyPem, certDer: pki.personEc.certDer },
    ],
  });
  // SoftHSM reads SOFTHSM2_CONF at C_Initialize, which happens in chooseToken below.
  Object.assign(process.env, hsm.env);
  const c = chooseToken({ explicit: [hsm.module], label: 'CMS Token' });
  session = new TokenSession(c.module, c.slot);
  await session.login(Buffer.from('12345678'));
  work = await mkdtemp(join(pki.dir, 'cms-token-'));
  await writeFile(join(work, 'data.bin'), CONTENT);
});

after(async () => {
  session?.close();
  unloadAll();
  await tsa?.close();
  await hsm?.cleanup();
  await pki?.cleanup();
});

async function opensslVerify(name: string, cms: Buffer) {
  const path = join(work, `${name}.p7s`);
  await writeFile(path, cms);
  return run('openssl', [
    'cms',
    '-verify',
    '-binary',
    '-inform',
    'DER',
    '-in',
    path,
    '-content',
    join(work, 'data.bin'),
    '-CAfile',
    pki.files.rootPem,
    '-certfile',
    pki.files.issuingPem,
    '-purpose',
    'any',
    '-out',
    '/dev/null',
  ]);
}

const cases: {
  name: string;
  certId: string;
  certDer: () => Uint8Array;
  hash: CmsHash;
  pss?: boolean;
  tsa?: boolean;
}[] = [
  { name: 'rsa-pkcs1-sha256', certId: '01', certDer: () => pki.person.certDer, hash: 'SHA-256' },
  { name: 'rsa-pkcs1-sha384-bt', certId: '01', certDer: () => pki.person.certDer, hash: 'SHA-384', tsa: true },
  { name: 'rsa-pss-sha256', certId: '01', certDer: () => pki.person.certDer, hash: 'SHA-256', pss: true },
  { name: 'ecdsa-p256-sha256-bt', certId: '03', certDer: () => pki.personEc.certDer, hash: 'SHA-256', tsa: true },
];

for (const c of cases) {
  test(`token-signed CMS (${c.name}) verifies with openssl`, async () => {
    let tbsSeen: Buffer | null = null;
    const cms = await signCades({
      content: CONTENT,
      hash: c.hash,
      signerCertDer: der(c.certDer()),
      chainDers: [der(pki.issuing.certDer)],
      sign: async (tbs) => {
        tbsSeen = tbs;
        const r = await session.sign(tbs, {
          certId: c.certId,
          hash: c.hash,
          ...(c.pss ? { rsaScheme: 'RSA-PSS' as const } : {}),
        });
        return { signature: r.signature, scheme: r.plan.scheme, hash: r.plan.hash };
      },
      ...(c.tsa ? { tsa: { url: tsa.url } } : {}),
    });
    assert.equal(tbsSeen![0], 0x31, 'the token signs the DER SET of signed attributes');
    const v = await opensslVerify(c.name, cms);
    assert.equal(v.status, 0, v.stderr);
    const check = await verifyDetachedCms({ cmsDer: cms, contentChunks: CONTENT });
    assert.deepEqual(check.errors, []);
    assert.ok(check.signatureValid && check.digestMatches && check.signingCertV2Ok);
    assert.equal(check.timestamp?.imprintOk, c.tsa ? true : undefined);
  });
}
