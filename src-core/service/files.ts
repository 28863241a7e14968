/**
 * Files the UI may fetch (document PDFs, signed outputs, image previews, the support bundle) are
 * handed out by random id, never by path: the transports serve GET ./api/blob/<id> from this
 * registry, and accept uploads (a dropped PDF, a signature image) into a private temp folder.
 */
import { createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { KysoError } from '../../src-shared/errors.js';
import { ensureDir, newId } from './data-dir.js';

export interface BlobEntry {
  path: string;
  mime: string;
  /** File name offered when downloading. */
  name: string;
  /** Send as an attachment (support bundle) rather than inline. */
  download?: boolean;
}

export const MAX_UPLOAD_BYTES = 200 * 1024 * 1024;

export class FileRegistry {
  private readonly blobs = new Map<string, BlobEntry>();
  private readonly byPath = new Map<string, string>();
  private readonly uploads = new Map<string, BlobEntry>();
  readonly tmpDir: string;

  constructor(dataDir: string) {
    this.tmpDir = ensureDir(join(dataDir, 'tmp'));
  }

  /** The same file always gets the same id within a run. */
  register(entry: BlobEntry): string {
    const key = `${entry.path}|${entry.mime}|${entry.download ? 1 : 0}`;
    const known = this.byPath.get(key);
    if (known) return known;
    const id = newId();
    this.blobs.set(id, entry);
    this.byPath.set(key, id);
    return id;
  }

  blob(id: string): BlobEntry | undefined {
    return this.blobs.get(id) ?? this.uploads.get(id);
  }

  /** Streams an upload into the temp folder; refuses more than maxBytes. */
  async receive(body: Readable, meta: { name: string; mime: string }, maxBytes = MAX_UPLOAD_BYTES): Promise<string> {
    const id = newId();
    const path = join(this.tmpDir, `upload-${id}`);
    let size = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > maxBytes)
          cb(new KysoError('INPUT_MALFORMED', 'ui.error.uploadTooLarge', { mb: Math.round(maxBytes / 2 ** 20) }));
        else cb(null, chunk);
      },
    });
    try {
      await pipeline(body, limit, createWriteStream(path, { mode: 0o600 }));
    } catch (e) {
      await rm(path, { force: true });
      throw e instanceof KysoError
        ? e
        : new KysoError('INPUT_UNREADABLE', 'error.inputUnreadable', { path: meta.name });
    }
    const name = meta.name.replace(/[\\/\0]/g, '_').slice(0, 200) || 'upload';
    this.uploads.set(id, { path, mime: meta.mime, name });
    return id;
  }

  upload(id: string): BlobEntry {
    const u = this.uploads.get(id);
    if (!u) throw new KysoError('INPUT_UNREADABLE', 'error.inputUnreadable', { path: id });
    return u;
  }

  async size(id: string): Promise<number> {
    const b = this.blob(id);
    return b ? (await stat(b.path)).size : 0;
  }

  async cleanup(): Promise<void> {
    await rm(this.tmpDir, { recursive: true, force: true });
  }
}
