/**
 * The certificates path validation may end at (anchors) or pass through (known intermediates).
 *
 * How it is filled, from strongest to weakest claim:
 * - pinned: any source (the official publication URLs, a folder from the IT department, the disk
 *   cache of an earlier download) — accepted only when the SHA-256 matches a pin in
 *   trust-anchors.ts. A pinned root becomes an anchor, a pinned issuing CA a known intermediate.
 *   Everything else is rejected and reported, never dropped silently: an IT department must see
 *   that the file it shipped was not taken.
 * - user: certificates a person or IT explicitly trusts (`--trust PEM`): anchors, whatever they are.
 *
 * Loading never throws on bad input or an unreachable network: the report says what happened, and
 * validation then answers "no chain" for what could not be loaded.
 */
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { MessageKey } from '../../src-shared/i18n/messages.js';
import type { FetchLike } from '../cms/http-exchange.js';
import { certFacts, subjectCommonName } from './cert-facts.js';
import { readCertificates } from './cert-files.js';
import { PINNED_ANCHORS, pinBySha256, publicationUrls, sha256Hex } from './trust-anchors.js';
import type { PinnedAnchor } from './trust-anchors.js';

export type TrustKind = 'anchor' | 'intermediate';

export interface TrustedCertificate {
  der: Buffer;
  sha256: string;
  kind: TrustKind;
  /** The pin it matched; absent for a user-added certificate that matches none. */
  pin?: PinnedAnchor;
  /** 'user' when added with addUser, else 'pinned'. */
  trust: 'pinned' | 'user';
  /** Where the bytes came from: a file path, a URL, 'cache', or the caller's label. */
  source: string;
  subjectDer: Buffer;
  /** Subject CN, for reports. */
  name: string;
}

export type RejectReason =
  'not-pinned' | 'optional-pin-disabled' | 'unreadable' | 'no-certificate' | 'too-large' | 'fetch-failed';

/** What to show for a rejection; params: source, sha256, detail. */
export const REJECT_REASON_MESSAGES: Readonly<Record<RejectReason, MessageKey>> = {
  'not-pinned': 'trust.store.notPinned',
  'optional-pin-disabled': 'trust.store.optionalDisabled',
  unreadable: 'trust.store.unreadable',
  'no-certificate': 'trust.store.noCertificate',
  'too-large': 'trust.store.tooLarge',
  'fetch-failed': 'trust.store.fetchFailed',
};

export type AddResult =
  | { ok: true; cert: TrustedCertificate; /** false when it was already in the store */ added: boolean }
  | { ok: false; reason: RejectReason; sha256?: string; detail?: string };

export interface LoadReport {
  accepted: { source: string; sha256: string; id?: string; kind: TrustKind }[];
  rejected: { source: string; reason: RejectReason; sha256?: string; detail?: string }[];
  /** Files not looked at (wrong extension, directories) and URLs not fetched because their pins were present. */
  skipped: { source: string; reason: string }[];
}

export interface TrustStoreOptions {
  /** Accept pins marked optional (Software G2, MIC 2008 root). Default false. */
  includeOptionalPins?: boolean;
  /**
   * Directory where certificates downloaded by loadFromPublication are kept (`<SHA-256>.der`) so
   * the next start works offline. Read back by loadCache, which re-checks every pin.
   */
  cacheDir?: string;
}

export interface PublicationOptions {
  timeoutMs?: number;
  /** Download even when every pin a URL is known to publish is already present. */
  force?: boolean;
}

const CERT_FILE_EXTENSIONS = new Set(['.pem', '.der', '.crt', '.cer', '.p7b', '.p7c']);
/** CA certificates and bundles are a few KiB; anything this large is not what we are looking for. */
const MAX_FILE_BYTES = 1024 * 1024;
const DEFAULT_FETCH_TIMEOUT_MS = 15_000;

const emptyReport = (): LoadReport => ({ accepted: [], rejected: [], skipped: [] });

export class TrustStore {
  private readonly byHash = new Map<string, TrustedCertificate>();
  private readonly includeOptional: boolean;
  readonly cacheDir: string | undefined;

  constructor(opts: TrustStoreOptions = {}) {
    this.includeOptional = opts.includeOptionalPins ?? false;
    this.cacheDir = opts.cacheDir;
  }

  /** Accepts the certificate only if its SHA-256 matches a pin. */
  addPinned(der: Buffer, source = 'pinned'): AddResult {
    const parsed = this.parse(der);
    if (!parsed.ok) return parsed;
    const pin = pinBySha256(parsed.sha256);
    if (!pin) return { ok: false, reason: 'not-pinned', sha256: parsed.sha256, detail: parsed.name };
    if (pin.optional && !this.includeOptional) {
      return { ok: false, reason: 'optional-pin-disabled', sha256: parsed.sha256, detail: pin.id };
    }
    return this.put({
      der: Buffer.from(der),
      sha256: parsed.sha256,
      kind: pin.role === 'root' ? 'anchor' : 'intermediate',
      pin,
      trust: 'pinned',
      source,
      subjectDer: parsed.subjectDer,
      name: parsed.name,
    });
  }

  /**
   * A certificate the user or IT explicitly trusts: an anchor, pinned or not. A pinned certificate
   * keeps its pin (so reports name it by id), optional or not: the person asked for it.
   */
  addUser(der: Buffer, source: string): AddResult {
    const parsed = this.parse(der);
    if (!parsed.ok) return parsed;
    const pin = pinBySha256(parsed.sha256);
    const cert: TrustedCertificate = {
      der: Buffer.from(der),
      sha256: parsed.sha256,
      kind: 'anchor',
      trust: 'user',
      source,
      subjectDer: parsed.subjectDer,
      name: parsed.name,
    };
    if (pin) cert.pin = pin;
    const existing = this.byHash.get(parsed.sha256);
    // Explicit trust upgrades a known intermediate to an anchor.
    if (existing && existing.kind === 'intermediate') this.byHash.delete(parsed.sha256);
    return this.put(cert);
  }

  /** Every certificate of a PEM/DER/PKCS#7 file, trusted explicitly (`--trust FILE`). */
  async addUserFile(path: string): Promise<LoadReport> {
    const report = emptyReport();
    const certs = await this.readFileCerts(path, report);
    for (const der of certs) this.record(report, path, this.addUser(der, path));
    return report;
  }

  /**
   * The certificate files of a folder (not recursive): .pem .der .crt .cer .p7b .p7c. Only pinned
   * certificates are accepted; each rejected one is in the report with the reason.
   */
  async loadFolder(dir: string): Promise<LoadReport> {
    const report = emptyReport();
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch (e) {
      report.rejected.push({ source: dir, reason: 'unreadable', detail: errnoOf(e) });
      return report;
    }
    for (const name of names) {
      const path = join(dir, name);
      if (!CERT_FILE_EXTENSIONS.has(extname(name).toLowerCase())) {
        report.skipped.push({ source: path, reason: 'not a certificate file extension' });
        continue;
      }
      for (const der of await this.readFileCerts(path, report)) this.record(report, path, this.addPinned(der, path));
    }
    return report;
  }

  /** Re-reads certificates saved by loadFromPublication; the pins are checked again (the disk is not trusted). */
  async loadCache(): Promise<LoadReport> {
    const report = emptyReport();
    if (!this.cacheDir) return report;
    let names: string[];
    try {
      names = (await readdir(this.cacheDir)).filter((n) => n.endsWith('.der')).sort();
    } catch {
      return report; // No cache yet.
    }
    for (const name of names) {
      const path = join(this.cacheDir, name);
      for (const der of await this.readFileCerts(path, report)) this.record(report, path, this.addPinned(der, 'cache'));
    }
    return report;
  }

  /**
   * Downloads the official publication URLs (default: those of the pins) and keeps the pinned
   * certificates found there. With a cacheDir, the cache is read first and URLs whose pins are all
   * present are not fetched again (unless `force`), and what was downloaded is saved. Network
   * errors are reported, not thrown.
   */
  async loadFromPublication(
    fetchImpl: FetchLike = fetch,
    urls: readonly string[] = publicationUrls(this.includeOptional),
    opts: PublicationOptions = {},
  ): Promise<LoadReport> {
    const report = await this.loadCache();
    for (const url of urls) {
      const published = PINNED_ANCHORS.filter((a) => a.publicationUrl === url && (this.includeOptional || !a.optional));
      if (!opts.force && published.length > 0 && published.every((a) => this.byHash.has(a.sha256))) {
        report.skipped.push({ source: url, reason: 'pinned certificates already present' });
        continue;
      }
      let body: Buffer;
      try {
        body = await download(fetchImpl, url, opts.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS);
      } catch (e) {
        report.rejected.push({
          source: url,
          reason: 'fetch-failed',
          detail: e instanceof Error ? e.message : 'failed',
        });
        continue;
      }
      const file = readCertificates(body);
      if (file.certs.length === 0) {
        report.rejected.push({ source: url, reason: 'no-certificate', detail: file.error ?? 'empty' });
        continue;
      }
      for (const der of file.certs) {
        const r = this.addPinned(der, url);
        this.record(report, url, r);
        if (r.ok && this.cacheDir) await this.saveToCache(r.cert, report);
      }
    }
    return report;
  }

  anchors(): TrustedCertificate[] {
    return [...this.byHash.values()].filter((c) => c.kind === 'anchor');
  }

  intermediates(): TrustedCertificate[] {
    return [...this.byHash.values()].filter((c) => c.kind === 'intermediate');
  }

  isAnchor(der: Buffer): boolean {
    return this.byHash.get(sha256Hex(der))?.kind === 'anchor';
  }

  /** The stored entry with this SHA-256 (upper-case hex), if any. */
  get(sha256: string): TrustedCertificate | undefined {
    return this.byHash.get(sha256.toUpperCase());
  }

  /** Pins not (yet) in the store, e.g. to tell IT what the offline folder lacks. */
  missingPins(): PinnedAnchor[] {
    return PINNED_ANCHORS.filter((a) => (this.includeOptional || !a.optional) && !this.byHash.has(a.sha256));
  }

  private parse(
    der: Buffer,
  ):
    | { ok: true; sha256: string; subjectDer: Buffer; name: string }
    | { ok: false; reason: 'unreadable'; detail: string } {
    try {
      const facts = certFacts(Buffer.from(der));
      return { ok: true, sha256: facts.sha256, subjectDer: facts.info.subjectDer, name: subjectCommonName(facts.info) };
    } catch (e) {
      return { ok: false, reason: 'unreadable', detail: e instanceof Error ? e.message : 'not a certificate' };
    }
  }

  private put(cert: TrustedCertificate): AddResult {
    const existing = this.byHash.get(cert.sha256);
    if (existing) return { ok: true, cert: existing, added: false };
    this.byHash.set(cert.sha256, cert);
    return { ok: true, cert, added: true };
  }

  private record(report: LoadReport, source: string, r: AddResult): void {
    if (r.ok) {
      const entry: LoadReport['accepted'][number] = { source, sha256: r.cert.sha256, kind: r.cert.kind };
      if (r.cert.pin) entry.id = r.cert.pin.id;
      report.accepted.push(entry);
    } else {
      const entry: LoadReport['rejected'][number] = { source, reason: r.reason };
      if (r.sha256) entry.sha256 = r.sha256;
      if (r.detail) entry.detail = r.detail;
      report.rejected.push(entry);
    }
  }

  private async readFileCerts(path: string, report: LoadReport): Promise<Buffer[]> {
    try {
      const s = await stat(path);
      if (!s.isFile()) {
        report.skipped.push({ source: path, reason: 'not a file' });
        return [];
      }
      if (s.size > MAX_FILE_BYTES) {
        report.rejected.push({ source: path, reason: 'too-large', detail: `${s.size} bytes` });
        return [];
      }
      const file = readCertificates(await readFile(path));
      if (file.certs.length === 0) {
        report.rejected.push({ source: path, reason: 'no-certificate', detail: file.error ?? 'empty' });
      } else if (file.error) {
        report.rejected.push({ source: path, reason: 'unreadable', detail: file.error });
      }
      return file.certs;
    } catch (e) {
      report.rejected.push({ source: path, reason: 'unreadable', detail: errnoOf(e) });
      return [];
    }
  }

  private async saveToCache(cert: TrustedCertificate, report: LoadReport): Promise<void> {
    const dir = this.cacheDir!;
    const target = join(dir, `${cert.sha256}.der`);
    try {
      await mkdir(dir, { recursive: true });
      // Write then rename: a reader never sees half a certificate.
      const tmp = `${target}.${process.pid}.tmp`;
      await writeFile(tmp, cert.der);
      await rename(tmp, target);
    } catch (e) {
      report.skipped.push({ source: target, reason: `not cached: ${errnoOf(e)}` });
    }
  }
}

function errnoOf(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return e instanceof Error ? e.message : 'failed';
}

/** GET with a timeout and a size cap; the error message is the report's detail. */
async function download(fetchImpl: FetchLike, url: string, timeoutMs: number): Promise<Buffer> {
  if (!/^https?:\/\//i.test(url)) throw new Error('not an http(s) URL');
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    let response: Response;
    try {
      response = await fetchImpl(url, { signal: controller.signal, redirect: 'follow' });
    } catch (e) {
      if (controller.signal.aborted) throw new Error(`timeout after ${timeoutMs} ms`);
      const cause = (e as { cause?: { code?: unknown } }).cause;
      throw new Error(`unreachable: ${typeof cause?.code === 'string' ? cause.code : 'network error'}`);
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new Error(`HTTP ${response.status}`);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    if (response.body) {
      for await (const chunk of response.body) {
        total += chunk.length;
        if (total > MAX_FILE_BYTES) throw new Error('response too large');
        chunks.push(Buffer.from(chunk));
      }
    }
    return Buffer.concat(chunks);
  } catch (e) {
    if (controller.signal.aborted) throw new Error(`timeout after ${timeoutMs} ms`);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}
