/**
 * Diagnostics for the user and IT staff: drivers and tokens found, whether the server, the TSA
 * and the OCSP responder answer, versions; and a support bundle (gzip of one JSON document)
 * with secrets removed — no PIN (never kept anywhere), no access or refresh token, no
 * password, no proxy credentials, personal id numbers masked.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Diagnostics, ReachCheck, SupportBundle, TokenState } from '../../src-shared/api/ui-types.js';
import { ocspUrlsOf } from '../cms/cert-urls.js';
import { VERSION } from '../version.js';
import { httpRequest } from './http-client.js';
import type { FileRegistry } from './files.js';
import type { StoredSettings } from './settings-store.js';

async function reach(id: ReachCheck['id'], url: string, path: string, proxy: string): Promise<ReachCheck> {
  if (!url) return { id, url: '', ok: false, ms: null, detail: 'not-configured' };
  const t0 = performance.now();
  try {
    const res = await httpRequest({
      method: 'GET',
      url: `${url.replace(/\/+$/, '')}${path}`,
      timeoutMs: 5000,
      ...(proxy && id === 'server' ? { proxy } : {}),
    });
    // Any HTTP answer means the service is there (a TSA answers GET with 4xx/405).
    return { id, url, ok: res.status < 500, ms: Math.round(performance.now() - t0), detail: `HTTP ${res.status}` };
  } catch (e) {
    const p = (e as { params?: Record<string, unknown> }).params;
    return { id, url, ok: false, ms: null, detail: String(p?.detail ?? 'unreachable') };
  }
}

export interface DiagnosticsInput {
  settings: StoredSettings;
  tokens: TokenState;
  dataDir: string;
  syncBackend: string;
  /** DER of the first signing certificate on a token, for its OCSP URL. */
  certDer: Buffer | null;
}

export async function runDiagnostics(d: DiagnosticsInput): Promise<Diagnostics> {
  let ocspUrl = '';
  if (d.certDer) {
    try {
      ocspUrl = ocspUrlsOf(d.certDer).find((u) => /^https?:\/\//.test(u)) ?? '';
    } catch {
      ocspUrl = '';
    }
  }
  const checks = await Promise.all([
    reach('server', d.settings.serverUrl, '/api/v1/health', d.settings.proxy),
    reach('tsa', d.settings.tsaUrl, '', ''),
    d.settings.revocationMode === 'offline'
      ? Promise.resolve<ReachCheck>({ id: 'ocsp', url: ocspUrl, ok: false, ms: null, detail: 'offline-mode' })
      : reach('ocsp', ocspUrl, '', ''),
  ]);
  return {
    version: VERSION,
    platform: `${process.platform} ${process.arch}`,
    runtime: process.versions.electron ? `Electron ${process.versions.electron}` : `Node ${process.version}`,
    dataDir: d.dataDir,
    syncBackend: d.syncBackend,
    modules: d.tokens.modules,
    checks,
    ranAt: new Date().toISOString(),
  };
}

/** Removes user:password@ from URLs. */
export function stripCredentials(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '';
      u.password = '';
    }
    return u.toString();
  } catch {
    return url ? '(invalid URL)' : '';
  }
}

const maskId = (v: string): string => (v.length <= 3 ? '***' : `${'*'.repeat(v.length - 3)}${v.slice(-3)}`);

const SECRET_KEYS = /pin|password|secret|token$|accessToken|refreshToken|authorization|cookie/i;

/** Deep copy without anything secret-looking (belt and braces over the explicit choices above). */
export function redact(value: unknown, key = ''): unknown {
  if (SECRET_KEYS.test(key) && key !== 'tokens' && typeof value !== 'object') return '[removed]';
  if (Array.isArray(value)) return value.map((v) => redact(v));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'ids' && Array.isArray(v)) {
        out[k] = (v as Array<{ kind: string; value: string }>).map((x) => ({ kind: x.kind, value: maskId(x.value) }));
      } else out[k] = redact(v, k);
    }
    return out;
  }
  return value;
}

export async function writeSupportBundle(
  files: FileRegistry,
  content: { diagnostics: Diagnostics; settings: StoredSettings; sync: unknown; outbox: unknown },
): Promise<SupportBundle> {
  const s = content.settings;
  const doc = {
    kind: 'kyso-support-bundle',
    format: 1,
    createdAt: new Date().toISOString(),
    version: VERSION,
    settings: {
      ...s,
      serverUrl: stripCredentials(s.serverUrl),
      tsaUrl: stripCredentials(s.tsaUrl),
      proxy: stripCredentials(s.proxy),
    },
    diagnostics: content.diagnostics,
    sync: content.sync,
    outbox: content.outbox,
  };
  const data = gzipSync(Buffer.from(JSON.stringify(redact(doc), null, 2), 'utf8'));
  const stamp = doc.createdAt.replace(/[-:]/g, '').slice(0, 13);
  const name = `kyso-support-${stamp}.json.gz`;
  const path = join(files.tmpDir, name);
  await writeFile(path, data, { mode: 0o600 });
  const blobId = files.register({ path, mime: 'application/gzip', name, download: true });
  return { blobId, name, size: data.length };
}
