// Path validation: the real VGCA G2 and G1 hierarchies (read from ../shared/trust at test time),
// including SHA-1 G1 sub-CAs and cross-generation negative controls, and the test PKI for every
// failure kind. Certificates the PKI helper cannot shape (custom key usage, SHA-1, a sub-CA under
// a pathlen-0 CA, an unknown critical extension) are made with `openssl x509 -req`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestPki } from '../helpers/pki.js';
import type { TestPki } from '../helpers/pki.js';
import { runOk } from '../helpers/run.js';
import {
  PATH_STATUS_MESSAGES,
  PATH_WARNING_MESSAGES,
  validateCaPath,
  validatePath,
} from '../../src-core/pki/path-validation.js';
import { REJECT_REASON_MESSAGES, TrustStore } from '../../src-core/pki/trust-store.js';
import { revocationMessageKey } from '../../src-core/pki/revocation-check.js';
import { t } from '../../src-shared/i18n/translate.js';
import type { PathResult } from '../../src-core/pki/path-validation.js';
import { certFacts, verifyCertSignature } from '../../src-core/pki/cert-facts.js';
import { readCertificates } from '../../src-core/pki/cert-files.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const TRUST_DIR = resolve(repoRoot, '..', 'shared', 'trust');
const skipReal = existsSync(TRUST_DIR)
  ? false
  : `real VGCA/national certificates not found at ${TRUST_DIR} (read at test time, never copied into the repo)`;
const realDer = (id: string): Buffer => readCertificates(readFileSync(resolve(TRUST_DIR, `${id}.pem`))).certs[0]!;

const YEAR = 365 * 24 * 3600_000;
const der = (u: Uint8Array): Buffer => Buffer.from(u);

function pinnedStore(...ids: string[]): TrustStore {
  const store = new TrustStore({ includeOptionalPins: true });
  for (const id of ids) assert.ok(store.addPinned(realDer(id), id).ok, id);
  return store;
}

function explain(r: PathResult): string {
  return `${r.status} ${JSON.stringify(r.reasons)} warnings=${JSON.stringify(r.warnings)}`;
}

describe('real VGCA hierarchies', { skip: skipReal }, () => {
  test('G2: each issuing CA validates under Root G2, SHA-256 throughout, no warning', () => {
    const store = pinnedStore('vgca-root-g2');
    for (const id of ['vgca-cp-g2', 'vgca-dang-g2', 'vgca-software-g2']) {
      const r = validateCaPath({ caDer: realDer(id), store });
      assert.equal(r.status, 'valid', `${id}: ${explain(r)}`);
      assert.deepEqual(r.anchor, { id: 'vgca-root-g2', name: 'RootCA chuyên dùng Chính phủ G2' });
      assert.equal(r.chain.length, 2);
      assert.ok(r.chain[0]!.equals(realDer(id)) && r.chain[1]!.equals(realDer('vgca-root-g2')));
      assert.deepEqual(r.warnings, []);
    }
  });

  test('G1: the SHA-1 sub-CAs validate under the pinned Root G1 with the warning sha1-in-chain', () => {
    const store = pinnedStore('vgca-root-g1');
    for (const id of ['vgca-cp-g1', 'vgca-dang-g1', 'vgca-btc-g1', 'vgca-bca-g1', 'vgca-bng-g1']) {
      const r = validateCaPath({ caDer: realDer(id), store, at: new Date('2025-06-01T00:00:00Z') });
      assert.equal(r.status, 'valid', `${id}: ${explain(r)}`);
      assert.equal(r.anchor?.id, 'vgca-root-g1');
      assert.deepEqual(r.warnings, ['sha1-in-chain']);
    }
  });

  test('G1 with SHA-1 for CAs switched off fails as weak-algorithm', () => {
    const r = validateCaPath({
      caDer: realDer('vgca-cp-g1'),
      store: pinnedStore('vgca-root-g1'),
      allowSha1ForAnchoredCAs: false,
    });
    assert.equal(r.status, 'weak-algorithm');
    assert.equal(r.failingCert, 0);
    assert.match(r.reasons[0]!, /^sha1-ca-signature: cert 0/);
  });

  test('the SHA-1 signature check also works without node X509Certificate (the TBS fallback)', () => {
    const cp = certFacts(realDer('vgca-cp-g1'));
    const root = certFacts(realDer('vgca-root-g1'));
    assert.deepEqual(verifyCertSignature(cp, root), { ok: true, via: 'x509', hash: 'SHA-1' });
    assert.deepEqual(verifyCertSignature(cp, root, { method: 'tbs' }), { ok: true, via: 'tbs', hash: 'SHA-1' });
    const g2 = certFacts(realDer('vgca-cp-g2'));
    assert.equal(verifyCertSignature(g2, root, { method: 'tbs' }).ok, false);
  });

  test('negative controls: a G2 sub-CA under the G1 root, and G1 cp under the G2 root, find no chain', () => {
    const g2UnderG1 = validateCaPath({ caDer: realDer('vgca-cp-g2'), store: pinnedStore('vgca-root-g1') });
    assert.equal(g2UnderG1.status, 'no-chain', explain(g2UnderG1));
    assert.deepEqual(g2UnderG1.reasons, ['issuer-not-found: cert 0']);
    assert.equal(g2UnderG1.failingCert, 0);
    const g1UnderG2 = validateCaPath({ caDer: realDer('vgca-cp-g1'), store: pinnedStore('vgca-root-g2') });
    assert.equal(g1UnderG2.status, 'no-chain', explain(g1UnderG2));
  });

  test('a root offered only as a candidate (e.g. from a PDF) is never trusted', () => {
    const r = validateCaPath({
      caDer: realDer('vgca-cp-g2'),
      store: new TrustStore(),
      candidates: [realDer('vgca-root-g2')],
    });
    assert.equal(r.status, 'no-chain');
    assert.deepEqual(r.reasons, ['untrusted-root: cert 1']);
    assert.equal(r.chain.length, 2);
  });

  test('an issuing CA certificate is not a signer: as a leaf it fails on key usage', () => {
    const r = validatePath({ leafDer: realDer('vgca-cp-g2'), store: pinnedStore('vgca-root-g2') });
    assert.equal(r.status, 'constraints');
    assert.match(r.reasons[0]!, /^leaf-key-usage: cert 0 \(keyCertSign,cRLSign\)/);
  });

  test('validity at the chosen time: G1 after 2030 expired, G2 before 2018 not yet valid', () => {
    const store = pinnedStore('vgca-root-g1', 'vgca-root-g2');
    const late = validateCaPath({ caDer: realDer('vgca-cp-g1'), store, at: new Date('2031-01-01T00:00:00Z') });
    assert.equal(late.status, 'expired');
    assert.equal(late.failingCert, 0);
    assert.deepEqual(
      late.problems.map((p) => [p.code, p.cert]),
      [
        ['expired', 0],
        ['expired', 1],
      ],
    );
    const early = validateCaPath({ caDer: realDer('vgca-cp-g2'), store, at: new Date('2017-01-01T00:00:00Z') });
    assert.equal(early.status, 'not-yet-valid');
  });

  test('the store holds the intermediates: a path from a bare CA target to the national root', () => {
    const store = pinnedStore('vn-national-root-ca');
    const r = validateCaPath({ caDer: realDer('vn-national-root-ca'), store });
    assert.equal(r.status, 'valid', explain(r));
    assert.equal(r.chain.length, 1);
    assert.equal(r.anchor?.id, 'vn-national-root-ca');
  });
});

describe('test PKI', () => {
  let pki: TestPki;
  let store: TrustStore;
  let work: string;
  let serial = 0x5000;

  before(async () => {
    pki = await createTestPki();
    store = new TrustStore();
    assert.ok(store.addUser(der(pki.root.certDer), 'test root').ok);
    work = await mkdtemp(join(pki.dir, 'path-'));
  });
  after(async () => {
    await pki?.cleanup();
  });

  /** A certificate signed by `issuer` (paths to its PEM and key) with the given openssl extensions. */
  async function opensslCert(o: {
    name: string;
    issuer: { certPath: string; keyPath: string } | 'self';
    ext: string[];
    md?: 'sha1' | 'sha256';
  }): Promise<{ der: Buffer; certPath: string; keyPath: string }> {
    const keyPath = join(work, `${o.name}.key`);
    const csrPath = join(work, `${o.name}.csr`);
    const certPath = join(work, `${o.name}.pem`);
    const extPath = join(work, `${o.name}.ext`);
    await runOk('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyPath]);
    await runOk('openssl', ['req', '-new', '-key', keyPath, '-subj', `/C=VN/O=Test/CN=${o.name}`, '-out', csrPath]);
    await writeFile(extPath, `[v3]\n${o.ext.join('\n')}\n`);
    const signer = o.issuer === 'self' ? ['-signkey', keyPath] : ['-CA', o.issuer.certPath, '-CAkey', o.issuer.keyPath];
    serial += 1;
    await runOk('openssl', [
      'x509',
      '-req',
      '-in',
      csrPath,
      ...signer,
      '-set_serial',
      String(serial),
      '-days',
      '30',
      `-${o.md ?? 'sha256'}`,
      '-extfile',
      extPath,
      '-extensions',
      'v3',
      '-out',
      certPath,
    ]);
    const out = await runOk('openssl', ['x509', '-in', certPath, '-outform', 'DER']);
    return { der: out.stdoutBytes, certPath, keyPath };
  }

  const leafExt = (ku = 'digitalSignature,nonRepudiation'): string[] => [
    'basicConstraints=critical,CA:FALSE',
    `keyUsage=critical,${ku}`,
    'authorityKeyIdentifier=keyid',
  ];
  const issuing = (): { certPath: string; keyPath: string } => pki.issuing;
  const candidates = (): Buffer[] => [der(pki.issuing.certDer)];

  test('every default leaf validates to the user-added root', () => {
    for (const leaf of [pki.person, pki.organisation, pki.personEc, pki.personRsa3072, pki.tsa]) {
      const r = validatePath({ leafDer: der(leaf.certDer), candidates: candidates(), store });
      assert.equal(r.status, 'valid', `${leaf.name}: ${explain(r)}`);
      assert.equal(r.ok, true);
      assert.equal(r.chain.length, 3);
      assert.deepEqual(r.anchor, { id: 'user', name: 'RootCA chuyên dùng Chính phủ G2 (TEST)' });
      assert.deepEqual(r.warnings, []);
      assert.equal(r.failingCert, undefined);
    }
  });

  test('the issuing CA missing: no-chain at the leaf', () => {
    const r = validatePath({ leafDer: der(pki.person.certDer), store });
    assert.equal(r.status, 'no-chain');
    assert.equal(r.failingCert, 0);
    assert.deepEqual(r.reasons, ['issuer-not-found: cert 0']);
    assert.equal(r.chain.length, 1);
  });

  test('candidates in any order, duplicated and with junk still build the path', () => {
    const r = validatePath({
      leafDer: der(pki.person.certDer),
      candidates: [
        Buffer.from('junk'),
        der(pki.organisation.certDer),
        der(pki.issuing.certDer),
        der(pki.issuing.certDer),
      ],
      store,
    });
    assert.equal(r.status, 'valid', explain(r));
    assert.deepEqual(r.warnings, ['candidate-unreadable: 1']);
  });

  test('expired leaf: expired now, valid at a time inside its validity', async () => {
    const old = await pki.issue({ name: 'expired-leaf', validity: 'expired' });
    const now = validatePath({ leafDer: der(old.certDer), candidates: candidates(), store });
    assert.equal(now.status, 'expired');
    assert.equal(now.failingCert, 0);
    assert.match(now.reasons[0]!, /^expired: cert 0 \(notAfter \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)$/);
    const then = validatePath({
      leafDer: der(old.certDer),
      candidates: candidates(),
      store,
      at: new Date(Date.now() - 2 * YEAR),
    });
    assert.equal(then.status, 'valid', explain(then));
  });

  test('not-yet-valid leaf', async () => {
    const future = await pki.issue({ name: 'future-leaf', validity: 'not-yet-valid' });
    const r = validatePath({ leafDer: der(future.certDer), candidates: candidates(), store });
    assert.equal(r.status, 'not-yet-valid');
    assert.equal(r.failingCert, 0);
  });

  test('a different root with the same names: no-chain, not a bad signature', async () => {
    const other = await createTestPki();
    try {
      const otherStore = new TrustStore();
      otherStore.addUser(der(other.root.certDer), 'other root');
      const r = validatePath({ leafDer: der(pki.person.certDer), candidates: candidates(), store: otherStore });
      assert.equal(r.status, 'no-chain', explain(r));
      assert.equal(r.failingCert, 1);
      assert.match(
        r.reasons[0]!,
        /^issuer-not-found: cert 1 \(1 certificate\(s\) with the issuer's name did not sign it\)$/,
      );
    } finally {
      await other.cleanup();
    }
  });

  test('a leaf whose signature was altered: bad-signature', () => {
    const forged = Buffer.from(pki.person.certDer);
    forged[forged.length - 5] = forged[forged.length - 5]! ^ 0x01;
    const r = validatePath({ leafDer: forged, candidates: candidates(), store });
    assert.equal(r.status, 'bad-signature', explain(r));
    assert.equal(r.failingCert, 0);
  });

  test('a leaf for key encipherment only: constraints', async () => {
    const c = await opensslCert({ name: 'ke-only', issuer: issuing(), ext: leafExt('keyEncipherment') });
    const r = validatePath({ leafDer: c.der, candidates: candidates(), store });
    assert.equal(r.status, 'constraints', explain(r));
    assert.deepEqual(r.reasons, ['leaf-key-usage: cert 0 (keyEncipherment)']);
    const ok = await opensslCert({ name: 'nr-only', issuer: issuing(), ext: leafExt('nonRepudiation') });
    assert.equal(validatePath({ leafDer: ok.der, candidates: candidates(), store }).status, 'valid');
  });

  test('a leaf without key usage passes with a warning', async () => {
    const c = await opensslCert({
      name: 'no-ku',
      issuer: issuing(),
      ext: ['basicConstraints=critical,CA:FALSE', 'authorityKeyIdentifier=keyid'],
    });
    const r = validatePath({ leafDer: c.der, candidates: candidates(), store });
    assert.equal(r.status, 'valid', explain(r));
    assert.deepEqual(r.warnings, ['leaf-no-key-usage']);
  });

  test('an unknown critical extension fails; a known critical one does not', async () => {
    const c = await opensslCert({
      name: 'unknown-critical',
      issuer: issuing(),
      ext: [...leafExt(), '1.3.6.1.4.1.99999.7=critical,ASN1:NULL'],
    });
    const r = validatePath({ leafDer: c.der, candidates: candidates(), store });
    assert.equal(r.status, 'constraints');
    assert.deepEqual(r.reasons, ['unknown-critical-extension: cert 0 (1.3.6.1.4.1.99999.7)']);
    const policies = await opensslCert({
      name: 'critical-policies',
      issuer: issuing(),
      ext: [...leafExt(), 'certificatePolicies=critical,1.3.6.1.4.1.99999.1'],
    });
    assert.equal(validatePath({ leafDer: policies.der, candidates: candidates(), store }).status, 'valid');
  });

  test('SHA-1 on the leaf fails (weak-leaf-signature), even with the G1 switch, when the root is not pinned', async () => {
    const c = await opensslCert({ name: 'sha1-leaf', issuer: issuing(), ext: leafExt(), md: 'sha1' });
    const r = validatePath({ leafDer: c.der, candidates: candidates(), store });
    assert.equal(r.status, 'weak-algorithm', explain(r));
    assert.deepEqual(r.reasons, ['weak-leaf-signature: cert 0 (SHA-1)']);
    const switched = validatePath({
      leafDer: c.der,
      candidates: candidates(),
      store,
      allowSha1LeafUnderPinnedAnchor: true,
    });
    assert.equal(switched.status, 'weak-algorithm');
  });

  test('a SHA-1 CA under a root that is not pinned fails (sha1-ca-signature)', async () => {
    const ca = await opensslCert({
      name: 'sha1-ca',
      issuer: pki.root,
      md: 'sha1',
      ext: [
        'basicConstraints=critical,CA:TRUE',
        'keyUsage=critical,keyCertSign,cRLSign',
        'authorityKeyIdentifier=keyid',
      ],
    });
    const leaf = await opensslCert({ name: 'under-sha1-ca', issuer: ca, ext: leafExt() });
    const r = validatePath({ leafDer: leaf.der, candidates: [ca.der], store });
    assert.equal(r.status, 'weak-algorithm', explain(r));
    assert.deepEqual(r.reasons, ['sha1-ca-signature: cert 1 (anchor is not pinned)']);
  });

  test('a sub-CA under the pathlen-0 issuing CA: path-length at the issuing CA', async () => {
    const sub = await opensslCert({
      name: 'sub-ca',
      issuer: issuing(),
      ext: [
        'basicConstraints=critical,CA:TRUE',
        'keyUsage=critical,keyCertSign,cRLSign',
        'authorityKeyIdentifier=keyid',
      ],
    });
    const leaf = await opensslCert({ name: 'under-sub-ca', issuer: sub, ext: leafExt() });
    const r = validatePath({ leafDer: leaf.der, candidates: [sub.der, der(pki.issuing.certDer)], store });
    assert.equal(r.status, 'constraints', explain(r));
    assert.deepEqual(r.reasons, ['path-length: cert 2 (pathLen 0, 1 below)']);
    assert.equal(r.chain.length, 4);
  });

  test('a certificate issued by a signer (not a CA): not-a-ca', async () => {
    const leaf = await opensslCert({ name: 'issued-by-person', issuer: pki.person, ext: leafExt() });
    const r = validatePath({ leafDer: leaf.der, candidates: [der(pki.person.certDer), ...candidates()], store });
    assert.equal(r.status, 'constraints', explain(r));
    // The person is also one CA too many below the pathlen-0 issuing CA.
    assert.deepEqual(r.reasons, [
      'not-a-ca: cert 1',
      'no-key-cert-sign: cert 1',
      'path-length: cert 2 (pathLen 0, 1 below)',
    ]);
  });

  test('a CA without keyCertSign cannot issue', async () => {
    const ca = await opensslCert({
      name: 'ca-no-certsign',
      issuer: pki.root,
      ext: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,cRLSign', 'authorityKeyIdentifier=keyid'],
    });
    const leaf = await opensslCert({ name: 'under-no-certsign', issuer: ca, ext: leafExt() });
    const r = validatePath({ leafDer: leaf.der, candidates: [ca.der], store });
    assert.deepEqual(r.reasons, ['no-key-cert-sign: cert 1']);
  });

  test('a self-signed signer: untrusted root unless the user trusts it directly', async () => {
    const self = await opensslCert({ name: 'self-signed', issuer: 'self', ext: leafExt() });
    const r = validatePath({ leafDer: self.der, store });
    assert.equal(r.status, 'no-chain');
    assert.deepEqual(r.reasons, ['untrusted-root: cert 0']);
    const trusting = new TrustStore();
    trusting.addUser(self.der, 'explicit');
    const t = validatePath({ leafDer: self.der, store: trusting });
    assert.equal(t.status, 'valid', explain(t));
    assert.equal(t.chain.length, 1);
    assert.equal(t.anchor?.id, 'user');
  });

  test('unreadable leaf', () => {
    const r = validatePath({ leafDer: Buffer.from('nope'), store });
    assert.equal(r.status, 'no-chain');
    assert.match(r.reasons[0]!, /^leaf-unreadable: cert 0 \(/);
  });

  test('a crafted thicket of same-name CAs sharing one key: bounded search, no-chain', async () => {
    const keyPath = join(work, 'thicket.key');
    await runOk('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyPath]);
    const cas: Buffer[] = [];
    for (let i = 0; i < 24; i++) {
      const out = await runOk('openssl', [
        'req',
        '-x509',
        '-key',
        keyPath,
        '-subj',
        '/C=VN/CN=Thicket CA',
        '-set_serial',
        String(1000 + i),
        '-days',
        '30',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-outform',
        'DER',
      ]);
      cas.push(out.stdoutBytes);
    }
    const r = validateCaPath({ caDer: cas[0]!, candidates: cas, store });
    assert.equal(r.status, 'no-chain');
    assert.ok(r.warnings.includes('path-search-truncated'), explain(r));
  });
});

describe('messages', () => {
  test('every status, warning, rejection and revocation outcome has Vietnamese and English text', () => {
    const params = {
      cert: 'Nguyễn Văn Đức',
      anchor: 'RootCA chuyên dùng Chính phủ G2',
      time: '2026-12-04T03:15:30Z',
      detail: 'x',
      source: 'dss',
      reason: 'keyCompromise',
      sha256: 'AB',
    };
    const keys = [
      ...Object.values(PATH_STATUS_MESSAGES),
      ...Object.values(PATH_WARNING_MESSAGES),
      ...Object.values(REJECT_REASON_MESSAGES),
      'trust.revocation.good',
      'trust.revocation.revoked',
      'trust.revocation.revokedAfterSigning',
      'trust.revocation.unknown',
      'trust.revocation.offline',
      'trust.revocation.notFresh',
    ] as const;
    for (const key of keys) {
      for (const locale of ['vi', 'en'] as const) {
        const text = t(locale, key, params);
        assert.ok(text.length > 10 && !text.includes('{{'), `${locale} ${key}: ${text}`);
      }
    }
    const at = new Date('2026-01-01T00:00:00Z');
    const base = { index: 0, sha256: 'A', source: 'dss' as const, errors: [] };
    assert.equal(
      revocationMessageKey(
        { ...base, status: 'revoked', revocationTime: new Date('2025-01-01'), freshEnough: true },
        at,
      ),
      'trust.revocation.revoked',
    );
    assert.equal(
      revocationMessageKey(
        { ...base, status: 'revoked', revocationTime: new Date('2027-01-01'), freshEnough: true },
        at,
      ),
      'trust.revocation.revokedAfterSigning',
    );
    assert.equal(
      revocationMessageKey({ ...base, status: 'good', freshEnough: false }, at),
      'trust.revocation.notFresh',
    );
    assert.equal(
      revocationMessageKey({ ...base, status: 'unknown', source: 'none', freshEnough: false }, at, true),
      'trust.revocation.offline',
    );
  });
});
