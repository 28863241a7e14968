/**
 * Revocation data fetched once and reused until its nextUpdate: OCSP responses keyed by the
 * certificate's SHA-256, CRLs keyed by `crl:<url>` (one CRL serves every certificate it covers).
 *
 * The cache is a convenience, not a trust source: whatever it returns is verified again (signature,
 * issuer, certificate match) by the caller, so a tampered file only costs a re-fetch.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface CachedRevocation {
  kind: 'ocsp' | 'crl';
  der: Buffer;
  thisUpdate: Date;
  nextUpdate?: Date;
  fetchedAt: Date;
  url?: string;
}

export interface RevocationCache {
  /** The entry, unless it is past its nextUpdate (or, without one, older than the cache's max age) at `now`. */
  get(key: string, now: Date): Promise<CachedRevocation | undefined>;
  put(key: string, entry: CachedRevocation): Promise<void>;
}

/** Without nextUpdate an answer says nothing about how long it holds; keep it for a day. */
export const DEFAULT_CACHE_MAX_AGE_MS = 24 * 3600_000;

export const cacheKeyForCrl = (url: string): string => `crl:${url}`;

function isCurrent(e: CachedRevocation, now: Date, maxAgeMs: number): boolean {
  const until = e.nextUpdate?.getTime() ?? e.fetchedAt.getTime() + maxAgeMs;
  return now.getTime() <= until;
}

export class MemoryRevocationCache implements RevocationCache {
  private readonly entries = new Map<string, CachedRevocation>();
  constructor(private readonly maxAgeMs = DEFAULT_CACHE_MAX_AGE_MS) {}

  get(key: string, now: Date): Promise<CachedRevocation | undefined> {
    const e = this.entries.get(key);
    return Promise.resolve(e && isCurrent(e, now, this.maxAgeMs) ? e : undefined);
  }

  put(key: string, entry: CachedRevocation): Promise<void> {
    this.entries.set(key, entry);
    return Promise.resolve();
  }

  get size(): number {
    return this.entries.size;
  }
}

interface IndexEntry {
  kind: 'ocsp' | 'crl';
  /** `<SHA-256 of the DER>.der` in the cache directory. */
  file: string;
  thisUpdate: string;
  nextUpdate?: string;
  fetchedAt: string;
  url?: string;
}

interface IndexFile {
  version: 1;
  entries: Record<string, IndexEntry>;
}

const INDEX = 'index.json';

/**
 * `dir/index.json` + `dir/<sha256>.der`. Writes are atomic (temp file + rename) and serialised within
 * the process; two processes sharing a directory may lose each other's newest entries (last writer
 * wins), never corrupt them. A missing or unreadable index is an empty cache.
 */
export class DiskRevocationCache implements RevocationCache {
  private index: IndexFile | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly maxAgeMs = DEFAULT_CACHE_MAX_AGE_MS,
  ) {}

  async get(key: string, now: Date): Promise<CachedRevocation | undefined> {
    await this.writing.catch(() => undefined);
    const idx = await this.load();
    const e = idx.entries[key];
    if (!e) return undefined;
    const entry = this.toEntry(e);
    if (!entry || !isCurrent({ ...entry, der: Buffer.alloc(0) }, now, this.maxAgeMs)) return undefined;
    try {
      return { ...entry, der: await readFile(join(this.dir, e.file)) };
    } catch {
      return undefined;
    }
  }

  put(key: string, entry: CachedRevocation): Promise<void> {
    const next = this.writing.catch(() => undefined).then(() => this.write(key, entry));
    this.writing = next;
    return next;
  }

  private toEntry(e: IndexEntry): Omit<CachedRevocation, 'der'> | undefined {
    const thisUpdate = new Date(e.thisUpdate);
    const fetchedAt = new Date(e.fetchedAt);
    if (Number.isNaN(thisUpdate.getTime()) || Number.isNaN(fetchedAt.getTime())) return undefined;
    if (!/^[0-9A-F]{64}\.der$/.test(e.file)) return undefined; // never read outside the directory
    const out: Omit<CachedRevocation, 'der'> = { kind: e.kind, thisUpdate, fetchedAt };
    if (e.nextUpdate) {
      const n = new Date(e.nextUpdate);
      if (Number.isNaN(n.getTime())) return undefined;
      out.nextUpdate = n;
    }
    if (e.url) out.url = e.url;
    return out;
  }

  private async load(): Promise<IndexFile> {
    if (this.index) return this.index;
    try {
      const parsed = JSON.parse(await readFile(join(this.dir, INDEX), 'utf8')) as unknown;
      if (
        parsed &&
        typeof parsed === 'object' &&
        (parsed as IndexFile).version === 1 &&
        typeof (parsed as IndexFile).entries === 'object'
      ) {
        this.index = parsed as IndexFile;
        return this.index;
      }
    } catch {
      // Missing or damaged: start empty.
    }
    this.index = { version: 1, entries: {} };
    return this.index;
  }

  private async write(key: string, entry: CachedRevocation): Promise<void> {
    const idx = await this.load();
    await mkdir(this.dir, { recursive: true });
    const file = `${createHash('sha256').update(entry.der).digest('hex').toUpperCase()}.der`;
    await atomicWrite(join(this.dir, file), entry.der);
    const e: IndexEntry = {
      kind: entry.kind,
      file,
      thisUpdate: entry.thisUpdate.toISOString(),
      fetchedAt: entry.fetchedAt.toISOString(),
    };
    if (entry.nextUpdate) e.nextUpdate = entry.nextUpdate.toISOString();
    if (entry.url) e.url = entry.url;
    idx.entries[key] = e;
    // Drop what can never be served again, then the files nobody points at.
    const now = new Date();
    idx.entries = Object.fromEntries(
      Object.entries(idx.entries).filter(([, v]) => {
        const full = this.toEntry(v);
        return full !== undefined && isCurrent({ ...full, der: Buffer.alloc(0) }, now, this.maxAgeMs);
      }),
    );
    await atomicWrite(join(this.dir, INDEX), Buffer.from(JSON.stringify(idx, null, 1)));
    const used = new Set(Object.values(idx.entries).map((v) => v.file));
    for (const name of await readdir(this.dir)) {
      if (/^[0-9A-F]{64}\.der$/.test(name) && !used.has(name)) await rm(join(this.dir, name), { force: true });
    }
  }
}

async function atomicWrite(path: string, data: Buffer): Promise<void> {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}
