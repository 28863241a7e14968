// The pins against the real government certificates. Those files live outside the repository
// (../shared/trust, next to the checkout) and are read at test time only; without them the
// file-based checks are skipped with a message, never silently passed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { X509Certificate } from 'node:crypto';
import {
  PINNED_ANCHORS,
  pinById,
  pinBySha256,
  pinOf,
  publicationUrls,
  sha256Hex,
} from '../../src-core/pki/trust-anchors.js';
import { readCertificates } from '../../src-core/pki/cert-files.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const TRUST_DIR = resolve(repoRoot, '..', 'shared', 'trust');
const skipReal = existsSync(TRUST_DIR)
  ? false
  : `real VGCA/national certificates not found at ${TRUST_DIR} (read at test time, never copied into the repo)`;

function realDer(id: string): Buffer {
  const { certs } = readCertificates(readFileSync(resolve(TRUST_DIR, `${id}.pem`)));
  assert.equal(certs.length, 1, `${id}.pem holds one certificate`);
  return certs[0]!;
}

describe('pin table', () => {
  test('ids and fingerprints are unique, well-formed, upper-case hex', () => {
    assert.equal(new Set(PINNED_ANCHORS.map((a) => a.id)).size, PINNED_ANCHORS.length);
    assert.equal(new Set(PINNED_ANCHORS.map((a) => a.sha256)).size, PINNED_ANCHORS.length);
    for (const a of PINNED_ANCHORS) {
      assert.match(a.sha256, /^[0-9A-F]{64}$/, a.id);
      assert.ok(!Number.isNaN(Date.parse(a.notBefore)) && !Number.isNaN(Date.parse(a.notAfter)), a.id);
      if (a.role === 'intermediate') assert.equal(pinById(a.issuerId ?? '')?.role, 'root', `${a.id} names its root`);
      if (a.publicationUrl) assert.match(a.publicationUrl, /^https?:\/\/(ca\.gov\.vn|rootca\.gov\.vn)\//, a.id);
    }
  });

  test('the generations the brief lists, with SHA-1 exactly on G1 and the 2008 MIC root', () => {
    const ids = PINNED_ANCHORS.map((a) => a.id).sort();
    assert.deepEqual(ids, [
      'vgca-bca-g1',
      'vgca-bng-g1',
      'vgca-btc-g1',
      'vgca-cp-g1',
      'vgca-cp-g2',
      'vgca-dang-g1',
      'vgca-dang-g2',
      'vgca-root-g1',
      'vgca-root-g2',
      'vgca-software-g2',
      'vn-mic-national-root-ca-2008',
      'vn-national-root-ca',
    ]);
    for (const a of PINNED_ANCHORS) {
      assert.equal(a.sha1Signed, a.generation === 'G1' || a.id === 'vn-mic-national-root-ca-2008', a.id);
    }
    assert.deepEqual(
      PINNED_ANCHORS.filter((a) => a.optional)
        .map((a) => a.id)
        .sort(),
      ['vgca-software-g2', 'vn-mic-national-root-ca-2008'],
    );
  });

  test('lookups accept openssl colon form and any case', () => {
    const root = pinById('vgca-root-g2')!;
    const colon = root.sha256.match(/../g)!.join(':').toLowerCase();
    assert.equal(pinBySha256(colon), root);
    assert.equal(pinBySha256('00'.repeat(32)), undefined);
  });

  test('publication URLs: roots first, each once, optional ones only on request', () => {
    const urls = publicationUrls();
    assert.equal(new Set(urls).size, urls.length);
    assert.equal(urls[0], 'http://ca.gov.vn/pki/pub/crt/rootcag2.crt');
    const rootUrls = PINNED_ANCHORS.filter((a) => a.role === 'root' && a.publicationUrl && !a.optional).length;
    for (const u of urls.slice(0, rootUrls)) {
      assert.equal(PINNED_ANCHORS.find((a) => a.publicationUrl === u)?.role, 'root', u);
    }
  });
});

describe('pins against the real certificates in ../shared/trust', { skip: skipReal }, () => {
  test('every pinned fingerprint is the SHA-256 of the matching file, and every file is pinned', () => {
    for (const a of PINNED_ANCHORS) {
      const der = realDer(a.id);
      assert.equal(sha256Hex(der), a.sha256, `${a.id}: pin differs from the file`);
      assert.equal(pinOf(der), a);
      // Cross-check with node's own fingerprint and the metadata we keep.
      const x = new X509Certificate(der);
      assert.equal(x.fingerprint256.replace(/:/g, ''), a.sha256);
      assert.equal(new Date(x.validFrom).getTime(), Date.parse(a.notBefore), `${a.id} notBefore`);
      assert.equal(new Date(x.validTo).getTime(), Date.parse(a.notAfter), `${a.id} notAfter`);
      assert.ok(x.subject.split('\n').includes(`CN=${a.name}`), `${a.id} CN: ${x.subject}`);
      assert.equal(x.ca, true, `${a.id} is a CA`);
      if (a.role === 'root') assert.equal(x.checkIssued(x), true, `${a.id} is self-issued`);
      else assert.equal(x.checkIssued(new X509Certificate(realDer(a.issuerId!))), true, `${a.id} under its root`);
    }
    const files = readdirSync(TRUST_DIR).filter((f) => f.endsWith('.pem'));
    for (const f of files) assert.ok(pinById(f.replace(/\.pem$/, '')), `${f} has a pin`);
  });

  test('a confirmed publication URL is the one real certificates name in their AIA', () => {
    const aia = new X509Certificate(realDer('vgca-cp-g2')).infoAccess ?? '';
    assert.ok(aia.includes(pinById('vgca-root-g2')!.publicationUrl!), aia);
  });
});
