// Revocation of a whole path against real services on 127.0.0.1: the openssl OCSP responder from
// the test helpers (good, then revoked after pki.revoke), CRLs made by `openssl ca -gencrl` and
// served over node:http (when OCSP is unreachable, from a certificate's distribution point or a
// configured extra URL), embedded DSS/CMS answers used offline, the URL override map for internal
// OCSP host names, and the disk cache serving a second, offline check.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTestPki } from '../helpers/pki.js';
import type { TestCert, TestPki } from '../helpers/pki.js';
import { freePort, startOcsp } from '../helpers/ocsp.js';
import type { TestOcsp } from '../helpers/ocsp.js';
import { runOk } from '../helpers/run.js';
import { fetchOcsp } from '../../src-core/cms/revocation.js';
import { checkRevocation } from '../../src-core/pki/revocation-check.js';
import type { CheckRevocationOptions, RevocationResult } from '../../src-core/pki/revocation-check.js';
import { DiskRevocationCache } from '../../src-core/pki/revocation-cache.js';
import { TrustStore } from '../../src-core/pki/trust-store.js';
import { validatePath } from '../../src-core/pki/path-validation.js';

const der = (u: Uint8Array): Buffer => Buffer.from(u);
const DAY = 24 * 3600_000;

let pki: TestPki;
let ocsp: TestOcsp;
let work: string;
let deadUrl: string;
let crlServer: Server;
let crlBase: string;
const served = new Map<string, Buffer>();
/** CRL of the root: empty, so the issuing CA is good. */
let rootCrl: Buffer;
/** CRL of the root listing the issuing CA as revoked. */
let rootCrlRevokingIssuing: Buffer;
/** Revoked (superseded) in the issuing CA's CRL; its OCSP URL points at a closed port. */
let crlRevoked: TestCert;
/** openssl-made: OCSP at a closed port, a CRL distribution point on the CRL server. */
let withCdp: Buffer;

const chainOf = (leaf: Uint8Array | Buffer): Buffer[] => [
  Buffer.from(leaf),
  der(pki.issuing.certDer),
  der(pki.root.certDer),
];
const explain = (r: RevocationResult): string =>
  JSON.stringify(r.certs.map((c) => ({ ...c, evidenceDer: c.evidenceDer?.length })));
const fast = { retryDelayMs: 10, timeoutMs: 5_000 } satisfies Partial<CheckRevocationOptions>;

function utcTime(d: Date): string {
  return d.toISOString().replace(/^\d\d(\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d).*$/, '$1$2$3$4$5$6Z');
}

async function genCrl(name: string, ca: { certPath: string; keyPath: string }, indexTxt: string): Promise<Buffer> {
  const dir = await mkdtemp(join(work, `crl-${name}-`));
  const conf = join(dir, 'ca.cnf');
  await writeFile(join(dir, 'crlnumber'), '01\n');
  await writeFile(
    conf,
    [
      '[ ca ]',
      'default_ca = CA_default',
      '[ CA_default ]',
      `database = ${indexTxt}`,
      `crlnumber = ${join(dir, 'crlnumber')}`,
      'default_md = sha256',
      'default_crl_days = 7',
      '',
    ].join('\n'),
  );
  const pem = join(dir, `${name}.pem`);
  await runOk('openssl', ['ca', '-gencrl', '-config', conf, '-keyfile', ca.keyPath, '-cert', ca.certPath, '-out', pem]);
  return (await runOk('openssl', ['crl', '-in', pem, '-outform', 'DER'])).stdoutBytes;
}

before(async () => {
  const port = await freePort();
  pki = await createTestPki({ ocspUrl: `http://127.0.0.1:${port}/` });
  ocsp = await startOcsp(pki);
  work = await mkdtemp(join(pki.dir, 'trust-revocation-'));
  deadUrl = `http://127.0.0.1:${await freePort()}/`;

  const emptyIndex = join(work, 'root-index.txt');
  await writeFile(emptyIndex, '');
  await writeFile(`${emptyIndex}.attr`, 'unique_subject = no\n');
  rootCrl = await genCrl('root', pki.root, emptyIndex);
  const revokingIndex = join(work, 'root-index-revoking.txt');
  const issuing = pki.issuing;
  await writeFile(
    revokingIndex,
    `R\t${utcTime(issuing.notAfter)}\t${utcTime(new Date(Date.now() - DAY))},cACompromise\t${issuing.serialHex}\tunknown\t/CN=issuing\n`,
  );
  rootCrlRevokingIssuing = await genCrl('root-revoking', pki.root, revokingIndex);

  crlRevoked = await pki.issue({ name: 'crl-revoked', ocspUrl: deadUrl, subject: { cn: 'Đỗ Thị Bị Thu Hồi' } });
  await pki.revoke(crlRevoked, { reason: 'superseded' });
  served.set('/issuing.crl', await genCrl('issuing', pki.issuing, pki.files.indexTxt));

  crlServer = createServer((req, res) => {
    const body = served.get(req.url ?? '');
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(body);
  });
  await new Promise<void>((r) => crlServer.listen(0, '127.0.0.1', () => r()));
  crlBase = `http://127.0.0.1:${(crlServer.address() as AddressInfo).port}`;

  const keyPath = join(work, 'cdp.key');
  const csrPath = join(work, 'cdp.csr');
  const certPath = join(work, 'cdp.pem');
  const extPath = join(work, 'cdp.ext');
  await runOk('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyPath]);
  await runOk('openssl', ['req', '-new', '-key', keyPath, '-subj', '/C=VN/O=Test/CN=With CDP', '-out', csrPath]);
  await writeFile(
    extPath,
    [
      '[v3]',
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,nonRepudiation',
      'authorityKeyIdentifier=keyid',
      `authorityInfoAccess=OCSP;URI:${deadUrl}`,
      `crlDistributionPoints=URI:${crlBase}/issuing.crl`,
      '',
    ].join('\n'),
  );
  await runOk('openssl', [
    'x509',
    '-req',
    '-in',
    csrPath,
    '-CA',
    pki.issuing.certPath,
    '-CAkey',
    pki.issuing.keyPath,
    '-set_serial',
    '0x7E57CD9',
    '-days',
    '30',
    '-sha256',
    '-extfile',
    extPath,
    '-extensions',
    'v3',
    '-out',
    certPath,
  ]);
  withCdp = (await runOk('openssl', ['x509', '-in', certPath, '-outform', 'DER'])).stdoutBytes;
});

after(async () => {
  await ocsp?.close();
  crlServer?.closeAllConnections();
  await new Promise<void>((r) => (crlServer ? crlServer.close(() => r()) : r()));
  await pki?.cleanup();
});

describe('online', () => {
  test('a validated path: leaf good by OCSP (AIA URL), issuing CA good by the root CRL from the DSS', async () => {
    const store = new TrustStore();
    store.addUser(der(pki.root.certDer), 'test root');
    const path = validatePath({ leafDer: der(pki.person.certDer), candidates: [der(pki.issuing.certDer)], store });
    assert.equal(path.status, 'valid');
    const r = await checkRevocation({ chain: path.chain, at: new Date(), embedded: { crls: [rootCrl] }, ...fast });
    assert.equal(r.status, 'good', explain(r));
    assert.equal(r.revokedBeforeSigning, false);
    assert.equal(r.certs.length, 2, 'the anchor is not checked');
    const [leaf, issuing] = r.certs;
    assert.equal(leaf?.source, 'online-ocsp');
    assert.equal(leaf?.kind, 'ocsp');
    assert.equal(leaf?.url, pki.ocspUrl);
    assert.equal(leaf?.freshEnough, true);
    assert.ok(leaf?.nextUpdate && leaf.thisUpdate && leaf.nextUpdate > leaf.thisUpdate);
    assert.equal(issuing?.source, 'dss');
    assert.equal(issuing?.kind, 'crl');
    assert.equal(issuing?.status, 'good');
    assert.equal(r.ocsps.length, 1);
    assert.ok(r.crls.length === 1 && r.crls[0]!.equals(rootCrl));
  });

  test('good, then revoked after pki.revoke: time, reason, and whether it was before signing', async () => {
    const leaf = await pki.issue({ name: 'revoked-later', subject: { cn: 'Phạm Văn Thu Hồi' } });
    const chain = chainOf(leaf.certDer);
    const before = await checkRevocation({ chain, at: new Date(), embedded: { crls: [rootCrl] }, ...fast });
    assert.equal(before.certs[0]?.status, 'good', explain(before));

    const revokedAt = new Date(Math.floor((Date.now() - 3600_000) / 1000) * 1000);
    await ocsp.revoke(leaf, { reason: 'keyCompromise', at: revokedAt });
    const signedAfter = await checkRevocation({ chain, at: new Date(), embedded: { crls: [rootCrl] }, ...fast });
    assert.equal(signedAfter.status, 'revoked', explain(signedAfter));
    assert.equal(signedAfter.certs[0]?.status, 'revoked');
    assert.equal(signedAfter.certs[0]?.source, 'online-ocsp');
    assert.equal(signedAfter.certs[0]?.revocationTime?.getTime(), revokedAt.getTime());
    assert.equal(signedAfter.certs[0]?.reason, 'keyCompromise');
    assert.equal(signedAfter.certs[0]?.freshEnough, true);
    assert.equal(signedAfter.revokedBeforeSigning, true);

    const signedBefore = await checkRevocation({
      chain,
      at: new Date(revokedAt.getTime() - DAY),
      embedded: { crls: [rootCrl] },
      ...fast,
    });
    assert.equal(signedBefore.status, 'revoked');
    assert.equal(signedBefore.revokedBeforeSigning, false);
  });

  test('OCSP unreachable: the CRL from a configured extra URL decides (revoked, superseded)', async () => {
    const r = await checkRevocation({
      chain: chainOf(crlRevoked.certDer),
      at: new Date(),
      embedded: { crls: [rootCrl] },
      extraCrlUrls: [`${crlBase}/missing.crl`, `${crlBase}/issuing.crl`],
      ...fast,
    });
    const leaf = r.certs[0]!;
    assert.equal(leaf.status, 'revoked', explain(r));
    assert.equal(leaf.source, 'online-crl');
    assert.equal(leaf.reason, 'superseded');
    assert.equal(leaf.url, `${crlBase}/issuing.crl`);
    assert.ok(
      leaf.errors.some((e) => e.startsWith('online-ocsp: REVOCATION_UNREACHABLE')),
      leaf.errors.join(),
    );
    assert.ok(
      leaf.errors.some((e) => e.startsWith('online-crl: REVOCATION_HTTP_ERROR')),
      leaf.errors.join(),
    );
    assert.equal(r.revokedBeforeSigning, true);
    assert.equal(r.crls.length, 2);
  });

  test("OCSP unreachable: the certificate's own CRL distribution point (not listed: good)", async () => {
    const r = await checkRevocation({
      chain: chainOf(withCdp),
      at: new Date(),
      embedded: { crls: [rootCrl] },
      ...fast,
    });
    assert.equal(r.status, 'good', explain(r));
    assert.equal(r.certs[0]?.source, 'online-crl');
    assert.equal(r.certs[0]?.url, `${crlBase}/issuing.crl`);
    assert.ok(r.certs[0]?.errors.some((e) => e.startsWith('online-ocsp: REVOCATION_UNREACHABLE')));
  });

  test('an internal OCSP host in the AIA is redirected by the override map', async () => {
    const leaf = await pki.issue({ name: 'internal-aia', ocspUrl: 'http://ocsp.internal.invalid/' });
    const count = ocsp.requestCount;
    const r = await checkRevocation({
      chain: chainOf(leaf.certDer),
      at: new Date(),
      embedded: { crls: [rootCrl] },
      urlOverrides: { 'HTTP://OCSP.INTERNAL.INVALID/': ocsp.url },
      ...fast,
    });
    assert.equal(r.status, 'good', explain(r));
    assert.equal(r.certs[0]?.url, ocsp.url);
    assert.equal(ocsp.requestCount, count + 1);
  });

  test('a revoked issuing CA (root CRL) makes the whole path revoked', async () => {
    const r = await checkRevocation({
      chain: chainOf(pki.person.certDer),
      at: new Date(),
      embedded: { crls: [rootCrlRevokingIssuing] },
      offline: true,
    });
    assert.equal(r.status, 'revoked', explain(r));
    assert.equal(r.certs[1]?.status, 'revoked');
    assert.equal(r.certs[1]?.reason, 'cACompromise');
    assert.equal(r.certs[1]?.source, 'dss');
    assert.equal(r.revokedBeforeSigning, true);
  });
});

describe('embedded and offline', () => {
  test('an OCSP response fetched earlier, embedded in the DSS, decides offline without a request', async () => {
    const fetched = await fetchOcsp({ certDer: der(pki.person.certDer), issuerDer: der(pki.issuing.certDer) });
    const other = await fetchOcsp({ certDer: der(pki.organisation.certDer), issuerDer: der(pki.issuing.certDer) });
    const count = ocsp.requestCount;
    const r = await checkRevocation({
      chain: chainOf(pki.person.certDer),
      at: new Date(),
      offline: true,
      // Answers about other certificates and junk sit in real DSSs too.
      embedded: { ocsps: [other.responseDer, Buffer.from('junk'), fetched.responseDer], crls: [rootCrl] },
    });
    assert.equal(r.status, 'good', explain(r));
    assert.equal(r.certs[0]?.source, 'dss');
    assert.equal(r.certs[0]?.freshEnough, true);
    assert.ok(r.certs[0]?.evidenceDer?.equals(fetched.responseDer));
    assert.equal(r.certs[0]?.errors.length, 1);
    assert.match(r.certs[0]!.errors[0]!, /^dss-ocsp: REVOCATION_RESPONSE_MALFORMED/);
    assert.equal(ocsp.requestCount, count);

    const fromCms = await checkRevocation({
      chain: chainOf(pki.person.certDer),
      at: new Date(),
      offline: true,
      embedded: [{ crls: [rootCrl] }, { ocsps: [fetched.responseDer], source: 'cms' }],
    });
    assert.equal(fromCms.certs[0]?.source, 'cms');
    assert.equal(fromCms.status, 'good');
  });

  test('an embedded answer from well before the signing time: good but not fresh enough', async () => {
    const fetched = await fetchOcsp({ certDer: der(pki.person.certDer), issuerDer: der(pki.issuing.certDer) });
    const later = new Date(Date.now() + 3 * DAY);
    const opts = {
      chain: chainOf(pki.person.certDer),
      at: later,
      offline: true,
      embedded: { ocsps: [fetched.responseDer], crls: [rootCrl] },
      now: later,
    };
    const r = await checkRevocation(opts);
    assert.equal(r.certs[0]?.status, 'good');
    assert.equal(r.certs[0]?.freshEnough, false);
    assert.equal(r.status, 'unknown', 'good is only claimed with fresh answers');
    const lenient = await checkRevocation({ ...opts, graceMs: 4 * DAY });
    assert.equal(lenient.status, 'good', explain(lenient));
  });

  test('offline with nothing embedded: unknown, from none, and no request', async () => {
    const count = ocsp.requestCount;
    const r = await checkRevocation({ chain: chainOf(pki.person.certDer), at: new Date(), offline: true });
    assert.equal(r.status, 'unknown');
    assert.deepEqual(
      r.certs.map((c) => [c.status, c.source, c.freshEnough]),
      [
        ['unknown', 'none', false],
        ['unknown', 'none', false],
      ],
    );
    assert.equal(ocsp.requestCount, count);
    assert.deepEqual(r.ocsps, []);
  });

  test('a path of one certificate (a directly trusted anchor) has nothing to check', async () => {
    const r = await checkRevocation({ chain: [der(pki.root.certDer)], at: new Date(), offline: true });
    assert.equal(r.status, 'good');
    assert.deepEqual(r.certs, []);
  });
});

describe('disk cache', () => {
  test('the second, offline check is served from the cache (OCSP by certificate, CRL by URL)', async () => {
    const dir = join(work, 'revocation-cache');
    const first = await checkRevocation({
      chain: chainOf(pki.person.certDer),
      at: new Date(),
      embedded: { crls: [rootCrl] },
      cache: new DiskRevocationCache(dir),
      ...fast,
    });
    assert.equal(first.certs[0]?.source, 'online-ocsp');
    const crlFirst = await checkRevocation({
      chain: chainOf(withCdp),
      at: new Date(),
      embedded: { crls: [rootCrl] },
      cache: new DiskRevocationCache(dir),
      ...fast,
    });
    assert.equal(crlFirst.certs[0]?.source, 'online-crl');
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { entries: Record<string, unknown> };
    assert.ok(Object.keys(index.entries).includes(`crl:${crlBase}/issuing.crl`));

    const count = ocsp.requestCount;
    const cache = new DiskRevocationCache(dir); // a new process, the same directory
    const second = await checkRevocation({
      chain: chainOf(pki.person.certDer),
      at: new Date(),
      embedded: { crls: [rootCrl] },
      cache,
      offline: true,
    });
    assert.equal(second.status, 'good', explain(second));
    assert.equal(second.certs[0]?.source, 'cache');
    assert.equal(second.certs[0]?.freshEnough, true);
    assert.equal(ocsp.requestCount, count);
    const crlSecond = await checkRevocation({
      chain: chainOf(withCdp),
      at: new Date(),
      embedded: { crls: [rootCrl] },
      cache,
      offline: true,
    });
    assert.equal(crlSecond.certs[0]?.source, 'cache');
    assert.equal(crlSecond.certs[0]?.kind, 'crl');

    // Past the OCSP answer's nextUpdate (5 minutes) the cache no longer serves it.
    const later = new Date(Date.now() + 10 * 60_000);
    const stale = await checkRevocation({
      chain: chainOf(pki.person.certDer),
      at: new Date(),
      embedded: { crls: [rootCrl] },
      cache,
      offline: true,
      now: later,
    });
    assert.equal(stale.certs[0]?.source, 'none');
  });

  test('a damaged cache file is verified, refused and reported, not believed', async () => {
    const dir = join(work, 'damaged-cache');
    await checkRevocation({
      chain: chainOf(pki.person.certDer),
      at: new Date(),
      embedded: { crls: [rootCrl] },
      cache: new DiskRevocationCache(dir),
      ...fast,
    });
    const [file] = (await readdir(dir)).filter((f) => f.endsWith('.der'));
    const bytes = await readFile(join(dir, file!));
    bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0xff;
    await writeFile(join(dir, file!), bytes);
    const r = await checkRevocation({
      chain: chainOf(pki.person.certDer),
      at: new Date(),
      embedded: { crls: [rootCrl] },
      cache: new DiskRevocationCache(dir),
      offline: true,
    });
    assert.equal(r.certs[0]?.status, 'unknown');
    assert.equal(r.certs[0]?.source, 'none');
    assert.equal(r.certs[0]?.errors.length, 1);
    assert.match(r.certs[0]!.errors[0]!, /^cache-ocsp: REVOCATION_SIGNATURE_INVALID/);
  });
});
