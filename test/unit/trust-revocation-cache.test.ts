// The revocation cache on its own (nextUpdate honoured, the max age without one, a new instance
// reading the same directory, damaged or hostile index files) and the URL override map.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskRevocationCache, MemoryRevocationCache, cacheKeyForCrl } from '../../src-core/pki/revocation-cache.js';
import type { CachedRevocation, RevocationCache } from '../../src-core/pki/revocation-cache.js';
import { applyUrlOverrides } from '../../src-core/pki/revocation-check.js';

const MIN = 60_000;
const t0 = new Date();
const entry = (o: Partial<CachedRevocation> = {}): CachedRevocation => ({
  kind: 'ocsp',
  der: Buffer.from('30030a0100', 'hex'),
  thisUpdate: t0,
  nextUpdate: new Date(t0.getTime() + 5 * MIN),
  fetchedAt: t0,
  ...o,
});

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kyso-revocation-cache-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function honoursNextUpdate(cache: RevocationCache): Promise<void> {
  await cache.put('A'.repeat(64), entry());
  const hit = await cache.get('A'.repeat(64), new Date(t0.getTime() + 4 * MIN));
  assert.ok(hit?.der.equals(entry().der));
  assert.equal(hit?.nextUpdate?.getTime(), entry().nextUpdate!.getTime());
  assert.equal(await cache.get('A'.repeat(64), new Date(t0.getTime() + 6 * MIN)), undefined);
  assert.equal(await cache.get('B'.repeat(64), t0), undefined);
  // No nextUpdate: served for the cache's max age after fetching.
  const noNext = entry({ kind: 'crl', url: 'http://ca.gov.vn/pki/pub/crl/cp.crl' });
  delete noNext.nextUpdate;
  await cache.put(cacheKeyForCrl('http://ca.gov.vn/pki/pub/crl/cp.crl'), noNext);
  const crl = await cache.get('crl:http://ca.gov.vn/pki/pub/crl/cp.crl', new Date(t0.getTime() + 9 * MIN));
  assert.equal(crl?.kind, 'crl');
  assert.equal(crl?.url, 'http://ca.gov.vn/pki/pub/crl/cp.crl');
  assert.equal(
    await cache.get('crl:http://ca.gov.vn/pki/pub/crl/cp.crl', new Date(t0.getTime() + 11 * MIN)),
    undefined,
  );
}

describe('revocation cache', () => {
  test('memory: nextUpdate honoured, max age without one', async () => {
    await honoursNextUpdate(new MemoryRevocationCache(10 * MIN));
  });

  test('disk: the same, and a new instance on the same directory sees the entries', async () => {
    const d = join(dir, 'disk');
    await honoursNextUpdate(new DiskRevocationCache(d, 10 * MIN));
    const again = await new DiskRevocationCache(d, 10 * MIN).get('A'.repeat(64), t0);
    assert.ok(again?.der.equals(entry().der));
    const files = await readdir(d);
    assert.ok(files.includes('index.json'));
    assert.equal(files.filter((f) => /^[0-9A-F]{64}\.der$/.test(f)).length, 1, 'identical DER stored once');
    assert.ok(!files.some((f) => f.endsWith('.tmp')));
  });

  test('disk: a damaged index is an empty cache, and the next put repairs it', async () => {
    const d = join(dir, 'damaged');
    const cache = new DiskRevocationCache(d);
    await cache.put('A'.repeat(64), entry());
    await writeFile(join(d, 'index.json'), '{ not json');
    const fresh = new DiskRevocationCache(d);
    assert.equal(await fresh.get('A'.repeat(64), t0), undefined);
    await fresh.put('C'.repeat(64), entry());
    assert.ok(await new DiskRevocationCache(d).get('C'.repeat(64), t0));
  });

  test('disk: an index pointing outside the directory is ignored', async () => {
    const d = join(dir, 'hostile');
    const cache = new DiskRevocationCache(d);
    await cache.put('A'.repeat(64), entry());
    await writeFile(
      join(d, 'index.json'),
      JSON.stringify({
        version: 1,
        entries: {
          ['A'.repeat(64)]: {
            kind: 'ocsp',
            file: '../../etc/passwd',
            thisUpdate: t0.toISOString(),
            fetchedAt: t0.toISOString(),
          },
        },
      }),
    );
    assert.equal(await new DiskRevocationCache(d).get('A'.repeat(64), t0), undefined);
  });

  test('disk: entries past nextUpdate are pruned with their files on the next write', async () => {
    const d = join(dir, 'prune');
    const cache = new DiskRevocationCache(d);
    await cache.put('OLD', entry({ der: Buffer.from('old'), nextUpdate: new Date(Date.now() - MIN) }));
    await cache.put('NEW', entry({ der: Buffer.from('new'), nextUpdate: new Date(Date.now() + MIN) }));
    const files = (await readdir(d)).filter((f) => f.endsWith('.der'));
    assert.equal(files.length, 1);
  });
});

describe('URL overrides', () => {
  const map = {
    'http://internal-host/': 'http://ocsp.ca.gov.vn/',
    'http://internal-host/special/': 'http://other.example.vn/',
  };
  test('longest prefix wins, case-insensitive, the rest of the URL kept', () => {
    assert.equal(applyUrlOverrides('http://internal-host/', map), 'http://ocsp.ca.gov.vn/');
    assert.equal(applyUrlOverrides('HTTP://Internal-Host/ocsp', map), 'http://ocsp.ca.gov.vn/ocsp');
    assert.equal(applyUrlOverrides('http://internal-host/special/x', map), 'http://other.example.vn/x');
    assert.equal(applyUrlOverrides('http://ocsp.ca.gov.vn/', map), 'http://ocsp.ca.gov.vn/');
    assert.equal(applyUrlOverrides('http://internal-host/'), 'http://internal-host/');
  });
});
