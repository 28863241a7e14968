/**
 * Document files on disk, content-addressed: `blobs/ab/abcdef…` named by their SHA-256. A name
 * is a promise about the bytes, so a file only gets one by a rename after it was hashed and
 * fsynced; half-written files live in `blobs/tmp` (removed at start-up) or, for resumable
 * downloads, `blobs/partial` (kept, re-checked by hash when complete).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir, fsyncFile } from './atomic-fs.js';

const HEX64 = /^[0-9a-f]{64}$/;

export function isSha256Hex(s: string): boolean {
  return HEX64.test(s);
}

export async function sha256File(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const b = chunk as Buffer;
    hash.update(b);
    size += b.length;
  }
  return { sha256: hash.digest('hex'), size };
}

export class LocalBlobStore {
  readonly tmpDir: string;
  readonly partialDir: string;
  /** Names on disk, listed once at init: this process is the store's only writer (lock file). */
  private known: Set<string> | null = null;

  constructor(readonly root: string) {
    this.tmpDir = join(root, 'tmp');
    this.partialDir = join(root, 'partial');
  }

  async init(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
    await mkdir(this.partialDir, { recursive: true });
    this.known = new Set(await this.list());
  }

  pathOf(sha256: string): string {
    // Paths come only from validated hex: a hash from the network can never name another file.
    if (!isSha256Hex(sha256)) throw new Error('not a SHA-256 hex digest');
    return join(this.root, sha256.slice(0, 2), sha256);
  }

  async has(sha256: string): Promise<boolean> {
    if (this.known) return this.known.has(sha256);
    try {
      return (await stat(this.pathOf(sha256))).isFile();
    } catch {
      return false;
    }
  }

  /**
   * Moves a complete file (same file system) into the store under its hash. `durable` (signed
   * files: irreplaceable) fsyncs the file before and the directory after the rename, so the name
   * never survives a power cut without its bytes. Downloads pass false: they can be fetched
   * again, and their hash is checked again before anything is signed over them.
   */
  async adoptFile(
    path: string,
    expectedSha256?: string,
    opts: { durable?: boolean } = {},
  ): Promise<{ sha256: string; size: number }> {
    const durable = opts.durable ?? true;
    const { sha256, size } = await sha256File(path);
    if (expectedSha256 !== undefined && sha256 !== expectedSha256) {
      await unlink(path).catch(() => undefined);
      throw new BlobHashMismatch(expectedSha256, sha256);
    }
    const target = this.pathOf(sha256);
    if (await this.has(sha256)) {
      await unlink(path).catch(() => undefined);
      return { sha256, size };
    }
    if (durable) await fsyncFile(path);
    const dir = join(this.root, sha256.slice(0, 2));
    const created = await mkdir(dir, { recursive: true });
    await rename(path, target);
    if (durable) {
      await fsyncDir(dir);
      // A new fan-out directory is itself an entry of the root that must survive.
      if (created !== undefined) await fsyncDir(this.root);
    }
    this.known?.add(sha256);
    return { sha256, size };
  }

  async putBuffer(data: Buffer): Promise<{ sha256: string; size: number }> {
    const tmp = join(this.tmpDir, `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    return this.adoptFile(tmp);
  }

  async verify(sha256: string): Promise<boolean> {
    try {
      return (await sha256File(this.pathOf(sha256))).sha256 === sha256;
    } catch {
      return false;
    }
  }

  async list(): Promise<string[]> {
    const out: string[] = [];
    let dirs: string[];
    try {
      dirs = await readdir(this.root);
    } catch {
      return out;
    }
    for (const d of dirs) {
      if (!/^[0-9a-f]{2}$/.test(d)) continue;
      for (const f of await readdir(join(this.root, d))) if (isSha256Hex(f) && f.startsWith(d)) out.push(f);
    }
    return out;
  }

  /** Removes every stored file not in `keep`; returns how many. */
  async gc(keep: ReadonlySet<string>): Promise<number> {
    let removed = 0;
    for (const sha of await this.list()) {
      if (keep.has(sha)) continue;
      await unlink(this.pathOf(sha)).catch(() => undefined);
      this.known?.delete(sha);
      removed++;
    }
    for (const f of await readdir(this.partialDir).catch(() => [] as string[])) {
      const sha = f.replace(/\.part$/, '');
      if (!keep.has(sha)) await unlink(join(this.partialDir, f)).catch(() => undefined);
    }
    return removed;
  }

  /** Start-up: whatever is in tmp was being written when the process died. */
  async clearTemp(): Promise<number> {
    const names = await readdir(this.tmpDir).catch(() => [] as string[]);
    for (const n of names) await rm(join(this.tmpDir, n), { force: true, recursive: true });
    return names.length;
  }

  partialPath(sha256: string): string {
    if (!isSha256Hex(sha256)) throw new Error('not a SHA-256 hex digest');
    return join(this.partialDir, `${sha256}.part`);
  }
}

export class BlobHashMismatch extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`content hash ${actual} does not match the expected ${expected}`);
    this.name = 'BlobHashMismatch';
  }
}
