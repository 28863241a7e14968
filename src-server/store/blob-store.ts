/**
 * Document files, content-addressed by SHA-256: <dir>/<first two hex>/<sha256>. A file is written
 * to <dir>/tmp, fsynced, then renamed into place, so a reader never sees half a file and an
 * identical upload costs no extra space. Both database engines use this store: files stream
 * from disk for downloads and Range requests without passing through the database.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdir, open, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const SHA256_HEX = /^[0-9a-f]{64}$/;

export class BlobStore {
  readonly dir: string;
  readonly tmpDir: string;

  constructor(dir: string) {
    this.dir = dir;
    this.tmpDir = join(dir, 'tmp');
    mkdirSync(this.tmpDir, { recursive: true, mode: 0o700 });
  }

  pathOf(sha256: string): string {
    // The hash comes from our own database, but a path built from anything must stay inside dir.
    if (!SHA256_HEX.test(sha256)) throw new Error('not a SHA-256 hex digest');
    return join(this.dir, sha256.slice(0, 2), sha256);
  }

  async has(sha256: string): Promise<boolean> {
    try {
      await stat(this.pathOf(sha256));
      return true;
    } catch {
      return false;
    }
  }

  /** Moves a fully written, fsynced temp file (inside tmpDir) into place under its hash. */
  async adopt(tmpPath: string, sha256: string): Promise<void> {
    const target = this.pathOf(sha256);
    if (await this.has(sha256)) {
      await unlink(tmpPath).catch(() => undefined);
      return;
    }
    const sub = join(this.dir, sha256.slice(0, 2));
    await mkdir(sub, { recursive: true });
    await rename(tmpPath, target);
    await syncDir(sub);
  }

  async put(bytes: Uint8Array): Promise<{ sha256: string; size: number }> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (!(await this.has(sha256))) {
      const tmp = join(this.tmpDir, `put-${randomBytes(12).toString('hex')}`);
      await writeFile(tmp, bytes, { mode: 0o600 });
      const fh = await open(tmp, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await this.adopt(tmp, sha256);
    }
    return { sha256, size: bytes.length };
  }
}

async function syncDir(dir: string): Promise<void> {
  // A rename is durable only once the directory entry is; some filesystems refuse fsync on a dir.
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // not supported here: nothing more we can do
  } finally {
    await fh.close();
  }
}
