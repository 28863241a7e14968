/**
 * Random access to a file without loading it: the reader only touches the tail, the xref
 * sections and the few objects it needs. Reads go through a small chunk cache so the byte-wise
 * lexer stays cheap.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const CHUNK = 64 * 1024;
const MAX_CHUNKS = 64;

export interface ByteSource {
  readonly length: number;
  /** Byte at pos, or -1 past the end. */
  byteAt(pos: number): number;
  read(pos: number, len: number): Buffer;
  close(): void;
}

export class FileSource implements ByteSource {
  readonly length: number;
  private readonly fd: number;
  private readonly chunks = new Map<number, Buffer>();

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    this.length = fstatSync(this.fd).size;
  }

  private chunk(index: number): Buffer {
    let c = this.chunks.get(index);
    if (c) {
      // Refresh recency: Map iteration order is insertion order.
      this.chunks.delete(index);
      this.chunks.set(index, c);
      return c;
    }
    const start = index * CHUNK;
    const len = Math.min(CHUNK, this.length - start);
    c = Buffer.alloc(Math.max(0, len));
    if (len > 0) readSync(this.fd, c, 0, len, start);
    this.chunks.set(index, c);
    if (this.chunks.size > MAX_CHUNKS) this.chunks.delete(this.chunks.keys().next().value!);
    return c;
  }

  byteAt(pos: number): number {
    if (pos < 0 || pos >= this.length) return -1;
    return this.chunk(Math.floor(pos / CHUNK))[pos % CHUNK]!;
  }

  read(pos: number, len: number): Buffer {
    const start = Math.max(0, pos);
    const end = Math.min(this.length, pos + len);
    if (end <= start) return Buffer.alloc(0);
    if (end - start > CHUNK) {
      const out = Buffer.alloc(end - start);
      readSync(this.fd, out, 0, out.length, start);
      return out;
    }
    const first = Math.floor(start / CHUNK);
    const last = Math.floor((end - 1) / CHUNK);
    if (first === last) return Buffer.from(this.chunk(first).subarray(start % CHUNK, (start % CHUNK) + (end - start)));
    return Buffer.concat([
      this.chunk(first).subarray(start % CHUNK),
      this.chunk(last).subarray(0, ((end - 1) % CHUNK) + 1),
    ]);
  }

  close(): void {
    closeSync(this.fd);
  }
}

export class BufferSource implements ByteSource {
  constructor(private readonly buf: Buffer) {}
  get length(): number {
    return this.buf.length;
  }
  byteAt(pos: number): number {
    return pos >= 0 && pos < this.buf.length ? this.buf[pos]! : -1;
  }
  read(pos: number, len: number): Buffer {
    return this.buf.subarray(Math.max(0, pos), Math.min(this.buf.length, pos + len));
  }
  close(): void {}
}
