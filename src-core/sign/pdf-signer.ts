/**
 * Appends one signed revision to a PDF, the way the signer checklist says:
 *
 *  1. read the file lazily and build the update (field, widget, signature dictionary) in memory;
 *  2. copy the original bytes to a temp file beside the output while hashing them (one pass:
 *     memory does not grow with the file), then the update with its /Contents gap left out
 *     of the hash and /ByteRange already final;
 *  3. ask the producer for the CMS (or timestamp token) over that digest, patch it into the gap
 *     in place, fsync;
 *  4. re-open the result and check the new signature's coverage and digest before renaming it
 *     over the output. On any failure the temp file is removed: nothing half-written remains.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { KysoError } from '../../src-shared/errors.js';
import { IncrementalUpdate } from '../pdf/incremental-writer.js';
import { PdfReader, PdfReadError } from '../pdf/reader.js';
import { PdfSyntaxError } from '../pdf/parser.js';
import { PdfFilterError } from '../pdf/filters.js';
import { addSignatureField, BYTE_RANGE_PLACEHOLDER, docMdpLevel, type FieldOptions } from './signature-field.js';
import { readFieldLock } from './field-lock.js';
import { findSignatureByField, listSignatures } from './signature-lookup.js';
import type { HashAlg } from '../token/mechanisms.js';

const COPY_CHUNK = 1 << 20;

export interface ContentsProducer {
  hash: HashAlg;
  /** Upper bound of the DER size of what produce() returns. */
  maxBytes: number;
  /** DER for /Contents over the digest of the signed byte ranges. */
  produce(digest: Buffer): Promise<Buffer>;
}

export interface RevisionResult {
  fieldName: string;
  byteRange: [number, number, number, number];
  contents: Buffer;
  digest: Buffer;
  /** Byte length of the whole output. */
  length: number;
}

export type FieldPlacement = Omit<FieldOptions, 'contentsHexLength'>;

/**
 * Maps a parsing failure (at open or later, when objects are read lazily) to the user-facing
 * error of the `kyso` contract; anything else passes through.
 */
export function asInputError(e: unknown, path: string): unknown {
  if (e instanceof PdfReadError || e instanceof PdfSyntaxError || e instanceof PdfFilterError) {
    return new KysoError('INPUT_MALFORMED', 'error.inputMalformed', { detail: `${basename(path)}: ${e.message}` });
  }
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
    return new KysoError('INPUT_UNREADABLE', 'error.inputUnreadable', { path });
  }
  return e;
}

export function openForSigning(path: string): PdfReader {
  try {
    return PdfReader.open(path);
  } catch (e) {
    throw asInputError(e, path);
  }
}

export async function appendSignedRevision(
  input: string,
  output: string,
  placement: FieldPlacement,
  producer: ContentsProducer,
  prepare?: (reader: PdfReader, update: IncrementalUpdate) => void,
): Promise<RevisionResult> {
  const reader = openForSigning(input);
  const tmp = join(dirname(output), `.${basename(output)}.kyso-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  let fh: FileHandle | null = null;
  try {
    if (placement.kind === 'sig' && docMdpLevel(reader) === 1) {
      throw new KysoError('INPUT_MALFORMED', 'error.inputMalformed', {
        detail: 'the document is certified with "no changes allowed" (DocMDP P=1)',
      });
    }
    if (
      placement.kind === 'sig' &&
      listSignatures(reader).some((s) => readFieldLock(reader, s.sig, s.field)?.p === 1)
    ) {
      throw new KysoError('INPUT_MALFORMED', 'error.inputMalformed', {
        detail: 'an earlier signature locks the document with "no changes allowed" (/Lock P=1)',
      });
    }
    const update = new IncrementalUpdate(reader);
    prepare?.(reader, update);
    const hexLen = producer.maxBytes * 2;
    const { fieldName } = addSignatureField(reader, update, { ...placement, contentsHexLength: hexLen });
    const built = update.build();
    const rev = built.bytes;
    const base = reader.length;

    // Locate the placeholders in the update (ours are unique: we wrote them).
    const brRel = rev.indexOf(BYTE_RANGE_PLACEHOLDER, 0, 'latin1');
    const gapRel = rev.indexOf(`/Contents <${'0'.repeat(16)}`, brRel, 'latin1') + '/Contents '.length;
    if (brRel < 0 || gapRel < '/Contents '.length) throw new Error('signature placeholders not found');
    const gapEndRel = gapRel + hexLen + 2;
    const total = base + rev.length;
    const byteRange: [number, number, number, number] = [
      0,
      base + gapRel,
      base + gapEndRel,
      total - (base + gapEndRel),
    ];
    const brText = `[0 ${byteRange[1]} ${byteRange[2]} ${byteRange[3]}`;
    if (brText.length + 1 > BYTE_RANGE_PLACEHOLDER.length) throw new Error('byte range does not fit its placeholder');
    Buffer.from(brText.padEnd(BYTE_RANGE_PLACEHOLDER.length - 1, ' ') + ']', 'latin1').copy(rev, brRel);

    // One pass over the original: hash and copy.
    const hash = createHash(producer.hash.replace('-', '').toLowerCase());
    fh = await open(tmp, 'wx', 0o600);
    const src = await open(input, 'r');
    try {
      const buf = Buffer.allocUnsafe(COPY_CHUNK);
      let pos = 0;
      while (pos < base) {
        const { bytesRead } = await src.read(buf, 0, Math.min(COPY_CHUNK, base - pos), pos);
        if (bytesRead === 0) throw new Error('input shrank while signing');
        const chunk = buf.subarray(0, bytesRead);
        hash.update(chunk);
        await fh.write(chunk, 0, bytesRead, pos);
        pos += bytesRead;
      }
    } finally {
      await src.close();
    }
    hash.update(rev.subarray(0, gapRel));
    hash.update(rev.subarray(gapEndRel));
    await fh.write(rev, 0, rev.length, base);
    const digest = hash.digest();

    const contents = await producer.produce(digest);
    if (contents.length > producer.maxBytes) {
      throw new KysoError('INTERNAL', 'error.internal');
    }
    const hex = Buffer.from(contents.toString('hex').padEnd(hexLen, '0'), 'latin1');
    await fh.write(hex, 0, hex.length, base + gapRel + 1);
    await fh.sync();
    await fh.close();
    fh = null;

    // Check what we wrote before anyone sees it.
    await verifyWritten(tmp, fieldName, byteRange, base, rev, hex, gapRel);
    await rename(tmp, output);
    await syncDir(dirname(output));
    return { fieldName, byteRange, contents, digest, length: total };
  } catch (e) {
    if (fh) await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw asInputError(e, input);
  } finally {
    reader.close();
  }
}

/**
 * Appends an update that carries no signature (the DSS of B-LT): same copy-then-append, fsync,
 * re-open and rename discipline as a signed revision.
 */
export async function appendPlainRevision(
  input: string,
  output: string,
  prepare: (reader: PdfReader, update: IncrementalUpdate) => void,
): Promise<{ length: number }> {
  const reader = openForSigning(input);
  const tmp = join(dirname(output), `.${basename(output)}.kyso-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  let fh: FileHandle | null = null;
  try {
    const update = new IncrementalUpdate(reader);
    prepare(reader, update);
    const rev = update.build().bytes;
    const base = reader.length;
    fh = await open(tmp, 'wx', 0o600);
    const src = await open(input, 'r');
    try {
      const buf = Buffer.allocUnsafe(COPY_CHUNK);
      let pos = 0;
      while (pos < base) {
        const { bytesRead } = await src.read(buf, 0, Math.min(COPY_CHUNK, base - pos), pos);
        if (bytesRead === 0) throw new Error('input shrank while writing');
        await fh.write(buf, 0, bytesRead, pos);
        pos += bytesRead;
      }
    } finally {
      await src.close();
    }
    await fh.write(rev, 0, rev.length, base);
    await fh.sync();
    await fh.close();
    fh = null;
    openForSigning(tmp).close();
    await rename(tmp, output);
    await syncDir(dirname(output));
    return { length: base + rev.length };
  } catch (e) {
    if (fh) await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw asInputError(e, input);
  } finally {
    reader.close();
  }
}

/**
 * Re-opens what we wrote and checks it before anyone sees it: the new revision parses, our field
 * is found with the byte range we computed, it reaches the end of the file, and the bytes after
 * the original (our whole update, /Contents included) read back exactly as produced. The
 * original part is not hashed a second time: it was hashed while being copied from the same
 * buffers, and re-reading 100 MB would cost as much again as the copy itself.
 */
async function verifyWritten(
  path: string,
  fieldName: string,
  byteRange: [number, number, number, number],
  base: number,
  update: Buffer,
  contentsHex: Buffer,
  gapRel: number,
): Promise<void> {
  const r = openForSigning(path);
  try {
    const found = findSignatureByField(r, fieldName);
    if (!found || found.byteRange.join() !== byteRange.join())
      throw new Error('written signature not found on re-open');
    if (byteRange[2] + byteRange[3] !== r.length || r.length !== base + update.length) {
      throw new Error('byte range does not cover the file');
    }
  } finally {
    r.close();
  }
  const expected = Buffer.from(update);
  contentsHex.copy(expected, gapRel + 1);
  const fh = await open(path, 'r');
  try {
    const back = Buffer.alloc(expected.length);
    await fh.read(back, 0, back.length, base);
    if (!back.equals(expected)) throw new Error('the written update does not read back as produced');
  } finally {
    await fh.close();
  }
}

export async function digestRanges(path: string, br: readonly number[], hashAlg: HashAlg): Promise<Buffer> {
  const hash = createHash(hashAlg.replace('-', '').toLowerCase());
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(COPY_CHUNK);
    for (let i = 0; i + 1 < br.length; i += 2) {
      let pos = br[i]!;
      const end = pos + br[i + 1]!;
      while (pos < end) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(COPY_CHUNK, end - pos), pos);
        if (bytesRead === 0) throw new Error('byte range past the end of the file');
        hash.update(buf.subarray(0, bytesRead));
        pos += bytesRead;
      }
    }
  } finally {
    await fh.close();
  }
  return hash.digest();
}

async function syncDir(dir: string): Promise<void> {
  // Makes the rename durable; not supported on Windows, where rename is already journaled.
  if (process.platform === 'win32') return;
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
