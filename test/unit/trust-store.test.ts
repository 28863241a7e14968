// The trust store: only pinned certificates get in from files and downloads, every rejection is
// reported, user trust is explicit, and what was downloaded once is there again offline. The real
// government certificates are read from ../shared/trust at test time (skipped without them).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestPki, derToPem } from '../helpers/pki.js';
import type { TestPki } from '../helpers/pki.js';
import { TrustStore } from '../../src-core/pki/trust-store.js';
import type { LoadReport } from '../../src-core/pki/trust-store.js';
import { PINNED_ANCHORS, pinById } from '../../src-core/pki/trust-anchors.js';
import { readCertificates } from '../../src-core/pki/cert-files.js';
import { ctx, oid, seq, setOf, integer } from '../../src-core/cms/der.js';
import { OID } from '../../src-core/cms/oids.js';
import type { FetchLike } from '../../src-core/cms/http-exchange.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const TRUST_DIR = resolve(repoRoot, '..', 'shared', 'trust');
const skipReal = existsSync(TRUST_DIR)
  ? false
  : `real VGCA/national certificates not found at ${TRUST_DIR} (read at test time, never copied into the repo)`;
const realDer = (id: string): Buffer => readCertificates(readFileSync(resolve(TRUST_DIR, `${id}.pem`))).certs[0]!;
const real = (id: string): { der: Buffer; pem: string } => {
  const der = realDer(id);
  return { der, pem: derToPem('CERTIFICATE', der) };
};

/** A PKCS#7 certs-only bundle, the way rootca.gov.vn publishes the national root. */
function p7b(certs: Buffer[]): Buffer {
  const signedData = seq(integer(1), setOf([]), seq(oid(OID.data)), ctx(0, Buffer.concat(certs)), setOf([]));
  return seq(oid(OID.signedData), ctx(0, signedData));
}

/** fetch over a map of URL → body; anything else is a network failure (ENOTFOUND), like offline. */
function fakeFetch(bodies: Map<string, Buffer | number>, log: string[] = []): FetchLike {
  return (async (input: string | URL | Request) => {
    const url = String(input);
    log.push(url);
    const body = bodies.get(url);
    if (body === undefined) throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } });
    if (typeof body === 'number') return new Response('nope', { status: body });
    return new Response(new Uint8Array(body), { status: 200 });
  }) as FetchLike;
}

let pki: TestPki;
let work: string;
before(async () => {
  pki = await createTestPki();
  work = await mkdtemp(join(tmpdir(), 'kyso-trust-store-'));
});
after(async () => {
  await pki?.cleanup();
  await rm(work, { recursive: true, force: true });
});

const reasons = (r: LoadReport): string[] => r.rejected.map((x) => x.reason);

describe('addPinned / addUser with test certificates', () => {
  test('a test-PKI root is not pinned: rejected with the reason, nothing added', () => {
    const store = new TrustStore();
    const r = store.addPinned(Buffer.from(pki.root.certDer));
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.reason === 'not-pinned' && r.sha256?.length === 64 && r.detail?.includes('RootCA'));
    assert.equal(store.anchors().length, 0);
    assert.equal(store.isAnchor(Buffer.from(pki.root.certDer)), false);
  });

  test('garbage is unreadable, not an exception', () => {
    const r = new TrustStore().addPinned(Buffer.from('not a certificate'));
    assert.ok(!r.ok && r.reason === 'unreadable');
    assert.ok(!new TrustStore().addUser(Buffer.alloc(0), 'x').ok);
  });

  test('addUser trusts what the user names, as an anchor labelled with its source', () => {
    const store = new TrustStore();
    const r = store.addUser(Buffer.from(pki.root.certDer), '--trust root.pem');
    assert.ok(r.ok && r.added && r.cert.kind === 'anchor' && r.cert.trust === 'user' && r.cert.pin === undefined);
    assert.ok(r.ok && r.cert.source === '--trust root.pem' && r.cert.name === 'RootCA chuyên dùng Chính phủ G2 (TEST)');
    assert.equal(store.isAnchor(Buffer.from(pki.root.certDer)), true);
    const again = store.addUser(Buffer.from(pki.root.certDer), 'again');
    assert.ok(again.ok && !again.added);
    assert.equal(store.anchors().length, 1);
  });

  test('addUserFile reads every certificate of a PEM chain file', async () => {
    const store = new TrustStore();
    const report = await store.addUserFile(pki.files.chainPem);
    assert.equal(report.accepted.length, 2);
    assert.equal(store.anchors().length, 2);
    const bad = await store.addUserFile(join(work, 'missing.pem'));
    assert.deepEqual(reasons(bad), ['unreadable']);
  });
});

describe('real government certificates', { skip: skipReal }, () => {
  test('addPinned accepts each real anchor: roots as anchors, issuing CAs as intermediates', () => {
    const store = new TrustStore({ includeOptionalPins: true });
    for (const a of PINNED_ANCHORS) {
      const r = store.addPinned(realDer(a.id), a.id);
      assert.ok(r.ok, `${a.id}: ${JSON.stringify(r)}`);
      assert.equal(r.cert.pin, a);
      assert.equal(r.cert.kind, a.role === 'root' ? 'anchor' : 'intermediate');
    }
    assert.equal(store.anchors().length, PINNED_ANCHORS.filter((a) => a.role === 'root').length);
    assert.equal(store.intermediates().length, PINNED_ANCHORS.filter((a) => a.role === 'intermediate').length);
    assert.ok(store.isAnchor(realDer('vgca-root-g1')));
    assert.ok(!store.isAnchor(realDer('vgca-cp-g1')));
    assert.deepEqual(store.missingPins(), []);
  });

  test('optional pins need includeOptionalPins; the user may still trust them explicitly', () => {
    const store = new TrustStore();
    const r = store.addPinned(realDer('vn-mic-national-root-ca-2008'));
    assert.ok(!r.ok && r.reason === 'optional-pin-disabled' && r.detail === 'vn-mic-national-root-ca-2008');
    const u = store.addUser(realDer('vn-mic-national-root-ca-2008'), 'IT policy');
    assert.ok(u.ok && u.cert.pin?.id === 'vn-mic-national-root-ca-2008' && u.cert.trust === 'user');
    assert.ok(store.missingPins().every((p) => !p.optional));
  });

  test('addUser on a pinned issuing CA makes it an anchor that keeps its pin', () => {
    const store = new TrustStore();
    assert.ok(store.addPinned(realDer('vgca-cp-g2')).ok);
    assert.equal(store.intermediates().length, 1);
    const r = store.addUser(realDer('vgca-cp-g2'), 'explicit');
    assert.ok(r.ok && r.added && r.cert.kind === 'anchor' && r.cert.pin?.id === 'vgca-cp-g2');
    assert.equal(store.intermediates().length, 0);
  });

  test('loadFolder: pinned files in, a stranger reported, other files listed as skipped', async () => {
    const dir = await mkdtemp(join(work, 'folder-'));
    await writeFile(join(dir, 'rootcag2.crt'), real('vgca-root-g2').der); // DER with .crt
    await writeFile(join(dir, 'cpg2.pem'), real('vgca-cp-g2').pem);
    // One PEM holding two certificates, in a .cer file.
    await writeFile(join(dir, 'g1.cer'), real('vgca-root-g1').pem + real('vgca-cp-g1').pem);
    await writeFile(join(dir, 'national.p7b'), p7b([realDer('vn-national-root-ca')]));
    await writeFile(join(dir, 'random-self-signed.pem'), pki.root.certPem);
    await writeFile(join(dir, 'broken.der'), Buffer.from([0x30, 0x03, 0x02, 0x01]));
    await writeFile(join(dir, 'README.txt'), 'certificates from IT');
    const store = new TrustStore();
    const report = await store.loadFolder(dir);
    assert.deepEqual(report.accepted.map((a) => a.id).sort(), [
      'vgca-cp-g1',
      'vgca-cp-g2',
      'vgca-root-g1',
      'vgca-root-g2',
      'vn-national-root-ca',
    ]);
    const stranger = report.rejected.find((r) => r.source.endsWith('random-self-signed.pem'));
    assert.equal(stranger?.reason, 'not-pinned');
    assert.match(stranger?.sha256 ?? '', /^[0-9A-F]{64}$/);
    assert.ok(report.rejected.some((r) => r.source.endsWith('broken.der') && r.reason === 'no-certificate'));
    assert.deepEqual(
      report.skipped.map((s) => s.source.split('/').pop()),
      ['README.txt'],
    );
    assert.equal(store.anchors().length, 3);
    assert.equal(store.intermediates().length, 2);
  });

  test('loadFolder on a missing folder reports it', async () => {
    const report = await new TrustStore().loadFolder(join(work, 'no-such-folder'));
    assert.deepEqual(reasons(report), ['unreadable']);
  });

  test('loadFromPublication: official URLs (served by a fake network), PKCS#7, errors reported', async () => {
    const bodies = new Map<string, Buffer | number>([
      ['http://ca.gov.vn/pki/pub/crt/rootcag2.crt', real('vgca-root-g2').der],
      ['http://ca.gov.vn/pki/pub/crt/cpcag2.crt', Buffer.from(real('vgca-cp-g2').pem)],
      ['http://ca.gov.vn/pki/pub/cert/rootca.crt', realDer('vgca-root-g1')],
      // A bundle with the pinned national root and an unpinned extra: the extra is reported.
      ['https://rootca.gov.vn/crt/vnrca256.p7b', p7b([realDer('vn-national-root-ca'), Buffer.from(pki.root.certDer)])],
      ['http://ca.gov.vn/pki/pub/cert/cp.crt', 404],
      // A captive portal answering 200 with HTML.
      ['http://ca.gov.vn/pki/pub/cert/btc.crt', Buffer.from('<html>login</html>')],
    ]);
    const cacheDir = join(work, 'publication-cache');
    const store = new TrustStore({ cacheDir });
    const report = await store.loadFromPublication(fakeFetch(bodies));
    assert.deepEqual(report.accepted.map((a) => a.id).sort(), [
      'vgca-cp-g2',
      'vgca-root-g1',
      'vgca-root-g2',
      'vn-national-root-ca',
    ]);
    const byUrl = new Map(report.rejected.map((r) => [r.source, r]));
    assert.equal(byUrl.get('https://rootca.gov.vn/crt/vnrca256.p7b')?.reason, 'not-pinned');
    assert.equal(byUrl.get('http://ca.gov.vn/pki/pub/cert/cp.crt')?.reason, 'fetch-failed');
    assert.match(byUrl.get('http://ca.gov.vn/pki/pub/cert/cp.crt')?.detail ?? '', /HTTP 404/);
    assert.equal(byUrl.get('http://ca.gov.vn/pki/pub/cert/btc.crt')?.reason, 'no-certificate');
    assert.equal((await readdir(cacheDir)).filter((f) => f.endsWith('.der')).length, 4);

    // Next start, offline: the cache provides them, known URLs are not even tried.
    const log: string[] = [];
    const offline = new TrustStore({ cacheDir });
    const again = await offline.loadFromPublication(fakeFetch(new Map(), log));
    assert.equal(again.accepted.filter((a) => a.source.startsWith(cacheDir)).length, 4);
    assert.equal(offline.get(pinById('vgca-root-g2')!.sha256)?.source, 'cache');
    assert.ok(!log.includes('http://ca.gov.vn/pki/pub/crt/rootcag2.crt'));
    assert.ok(log.includes('http://ca.gov.vn/pki/pub/cert/cp.crt'), 'a missing pin is still looked for');
    assert.ok(again.rejected.every((r) => r.reason === 'fetch-failed' && /ENOTFOUND/.test(r.detail ?? '')));
    assert.ok(again.skipped.some((s) => s.source === 'http://ca.gov.vn/pki/pub/crt/rootcag2.crt'));
    assert.ok(offline.isAnchor(realDer('vgca-root-g2')));
  });

  test('a cache file that is not pinned any more (tampered) is refused on load', async () => {
    const cacheDir = await mkdtemp(join(work, 'tampered-'));
    await writeFile(join(cacheDir, `${'A'.repeat(64)}.der`), Buffer.from(pki.root.certDer));
    const store = new TrustStore({ cacheDir });
    const report = await store.loadCache();
    assert.deepEqual(reasons(report), ['not-pinned']);
    assert.equal(store.anchors().length, 0);
  });

  test('publication downloads time out instead of hanging', async () => {
    const hang = ((_u: string, init?: RequestInit) =>
      new Promise<Response>((_, reject) => {
        init?.signal?.addEventListener('abort', () => reject(new Error('aborted')));
      })) as FetchLike;
    const report = await new TrustStore().loadFromPublication(hang, ['http://ca.gov.vn/pki/pub/crt/rootcag2.crt'], {
      timeoutMs: 50,
    });
    assert.match(report.rejected[0]?.detail ?? '', /timeout/);
  });
});

test('pins resolve by id for reports', () => {
  assert.equal(pinById('vgca-cp-g1')?.name, 'Co quan chung thuc so Chinh phu');
});
