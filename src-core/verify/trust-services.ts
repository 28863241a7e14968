/**
 * The default trust decisions for `kyso verify`, the UI and the server: a TrustStore with the
 * pinned government anchors (filled from an IT-provided folder, the offline cache, and --trust
 * files the user adds), RFC 5280-style path validation at the proof-of-existence time, and
 * revocation from the DSS first, then a cache, then online OCSP/CRL unless offline.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { validatePath } from '../pki/path-validation.js';
import { DiskRevocationCache, MemoryRevocationCache, type RevocationCache } from '../pki/revocation-cache.js';
import { checkRevocation } from '../pki/revocation-check.js';
import { TrustStore } from '../pki/trust-store.js';
import type { TrustServices } from './validate.js';

export interface TrustServicesOptions {
  /** PEM/DER files the user explicitly trusts (`--trust`). */
  trustPems?: readonly string[];
  env?: NodeJS.ProcessEnv;
  store?: TrustStore;
  cache?: RevocationCache;
  urlOverrides?: Readonly<Record<string, string>>;
}

export async function createTrustServices(o: TrustServicesOptions = {}): Promise<TrustServices> {
  const env = o.env ?? process.env;
  const cacheRoot = env.KYSO_CACHE_DIR ?? (env.KYSO_TEST === '1' ? undefined : join(homedir(), '.cache', 'kyso'));
  const store = o.store ?? new TrustStore(cacheRoot ? { cacheDir: join(cacheRoot, 'trust') } : {});
  if (!o.store) {
    if (cacheRoot) await store.loadCache().catch(() => undefined);
    // The IT department's folder of anchors: only pinned certificates are accepted from it.
    if (env.KYSO_TRUST_DIR) await store.loadFolder(env.KYSO_TRUST_DIR);
  }
  for (const p of o.trustPems ?? []) await store.addUserFile(p);
  const cache =
    o.cache ?? (cacheRoot ? new DiskRevocationCache(join(cacheRoot, 'revocation')) : new MemoryRevocationCache());
  return {
    path(leafDer, candidates, at) {
      // Real VGCA G1 signer certificates are themselves SHA-1 signed: accepted only under a pinned
      // anchor, and reported (VN-RULES: refusing SHA-1 anywhere rejects every G1 signer).
      const r = validatePath({ leafDer, candidates, store, at, allowSha1LeafUnderPinnedAnchor: true });
      return {
        status: r.status,
        chain: r.chain,
        ...(r.anchor ? { anchorName: r.anchor.name } : {}),
        warnings: r.warnings,
        reasons: r.reasons,
      };
    },
    async revocation(chain, at, embedded, offline) {
      const r = await checkRevocation({
        chain,
        at,
        embedded: { ocsps: embedded.ocsps, crls: embedded.crls, source: 'dss' },
        offline,
        cache,
        ...(o.urlOverrides ? { urlOverrides: o.urlOverrides } : {}),
      });
      const revoked = r.certs.find((c) => c.status === 'revoked');
      // Policy: the signer's certificate must be shown good and fresh; a CA certificate counts
      // against the signature only when it is revoked. Many issuing CAs (the test hierarchy, some
      // VGCA G1 sub-CAs) publish no OCSP for themselves, and refusing every signature under them
      // would make the verdict useless; a revoked CA still fails.
      const leaf = r.certs.find((c) => c.index === 0);
      const status: 'good' | 'revoked' | 'unknown' = revoked
        ? 'revoked'
        : leaf && leaf.status === 'good' && leaf.freshEnough
          ? 'good'
          : 'unknown';
      return {
        status,
        revokedBeforeSigning: r.revokedBeforeSigning,
        ...(revoked?.revocationTime ? { revocationTime: revoked.revocationTime } : {}),
        ...(status === 'unknown'
          ? { detail: (leaf?.errors ?? []).slice(0, 2).join('; ') || (offline ? 'offline' : '') }
          : {}),
      };
    },
  };
}
