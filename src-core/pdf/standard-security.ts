/**
 * The standard security handler (ISO 32000-1 §7.6.3, ISO 32000-2 §7.6.4) for files that open
 * without a password — the common "owner password only" case: RC4 (V1/V2, R2–R4), AES-128
 * (V4 AESV2) and AES-256 (V5, R5/R6). New objects in an update are encrypted with the same key,
 * except the signature's /Contents, which the standard leaves in clear.
 *
 * RC4 is written here because OpenSSL 3 (and so Node) no longer ships it by default; it is the
 * textbook algorithm and only used for files that already use it.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { KysoError } from '../../src-shared/errors.js';
import {
  PdfDict,
  PdfStream,
  PdfString,
  isArray,
  isDict,
  isName,
  isNumber,
  type PdfObject,
  type PdfRef,
} from './objects.js';
import type { SecurityHandler } from './security-handler.js';
import { PdfFilterError } from './filters.js';

const PAD = Buffer.from('28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a', 'hex');

type Method = 'rc4' | 'aesv2' | 'aesv3' | 'identity';

export function rc4(key: Buffer, data: Buffer): Buffer {
  const s = new Uint8Array(256);
  for (let i = 0; i < 256; i++) s[i] = i;
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i]! + key[i % key.length]!) & 0xff;
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  const out = Buffer.alloc(data.length);
  for (let n = 0, i = 0, j = 0; n < data.length; n++) {
    i = (i + 1) & 0xff;
    j = (j + s[i]!) & 0xff;
    [s[i], s[j]] = [s[j]!, s[i]!];
    out[n] = data[n]! ^ s[(s[i]! + s[j]!) & 0xff]!;
  }
  return out;
}

const md5 = (...parts: Buffer[]): Buffer => {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
};

function str(d: PdfDict, k: string): Buffer {
  const v = d.get(k);
  return v instanceof PdfString ? v.bytes : Buffer.alloc(0);
}

function refused(detail: string): KysoError {
  return new KysoError('INPUT_MALFORMED', 'error.inputMalformed', { detail });
}

export class StandardSecurityHandler implements SecurityHandler {
  private constructor(
    private readonly fileKey: Buffer,
    private readonly strMethod: Method,
    private readonly stmMethod: Method,
    private readonly encryptRef: PdfRef | null,
    private readonly encryptMetadata: boolean,
  ) {}

  /** Opens the handler with the empty user password, or refuses the file clearly. */
  static open(encrypt: PdfDict, id0: Buffer, encryptRef: PdfRef | null): StandardSecurityHandler {
    if (!isName(encrypt.get('Filter'), 'Standard')) {
      throw refused('encrypted with a non-standard security handler (certificate or DRM encryption)');
    }
    const v = encrypt.get('V');
    const r = encrypt.get('R');
    if (!isNumber(v) || !isNumber(r)) throw refused('bad /Encrypt dictionary');
    const encryptMetadata = encrypt.get('EncryptMetadata') !== false;
    let strMethod: Method = 'rc4';
    let stmMethod: Method = 'rc4';
    if (v >= 4) {
      const cf = encrypt.get('CF');
      const method = (filterName: string): Method => {
        if (filterName === 'Identity') return 'identity';
        const f = isDict(cf) ? cf.get(filterName) : undefined;
        const cfm = isDict(f) ? f.get('CFM') : undefined;
        if (isName(cfm, 'AESV2')) return 'aesv2';
        if (isName(cfm, 'AESV3')) return 'aesv3';
        if (isName(cfm, 'V2')) return 'rc4';
        if (isName(cfm, 'None')) return 'identity';
        throw refused(`unsupported crypt filter ${filterName}`);
      };
      const strF = encrypt.get('StrF');
      const stmF = encrypt.get('StmF');
      strMethod = method(isName(strF) ? strF.name : 'Identity');
      stmMethod = method(isName(stmF) ? stmF.name : 'Identity');
    }
    let key: Buffer;
    if (r >= 5) key = aes256Key(encrypt, r);
    else key = rc4FamilyKey(encrypt, r, id0, encryptMetadata);
    return new StandardSecurityHandler(key, strMethod, stmMethod, encryptRef, encryptMetadata);
  }

  private objectKey(ref: PdfRef, method: Method): Buffer {
    if (method === 'aesv3') return this.fileKey;
    const n = Buffer.from([
      ref.num & 0xff,
      (ref.num >> 8) & 0xff,
      (ref.num >> 16) & 0xff,
      ref.gen & 0xff,
      (ref.gen >> 8) & 0xff,
    ]);
    const salt = method === 'aesv2' ? Buffer.from('sAlT', 'latin1') : Buffer.alloc(0);
    return md5(this.fileKey, n, salt).subarray(0, Math.min(this.fileKey.length + 5, 16));
  }

  private decrypt(ref: PdfRef, data: Buffer, method: Method): Buffer {
    if (method === 'identity') return data;
    const key = this.objectKey(ref, method);
    if (method === 'rc4') return rc4(key, data);
    if (data.length < 16 || data.length % 16 !== 0) {
      // Empty strings are written as bare IVs or nothing by some producers.
      if (data.length <= 16) return Buffer.alloc(0);
      throw refused('AES data is not a whole number of blocks');
    }
    const d = createDecipheriv(method === 'aesv2' ? 'aes-128-cbc' : 'aes-256-cbc', key, data.subarray(0, 16));
    try {
      return Buffer.concat([d.update(data.subarray(16)), d.final()]);
    } catch {
      // Wrong padding means damaged data (or the wrong key): a typed error, not OpenSSL's text.
      throw new PdfFilterError(`object ${ref.num} ${ref.gen} cannot be decrypted (damaged AES data)`);
    }
  }

  private encrypt(ref: PdfRef, data: Buffer, method: Method): Buffer {
    if (method === 'identity') return data;
    const key = this.objectKey(ref, method);
    if (method === 'rc4') return rc4(key, data);
    const iv = randomBytes(16);
    const c = createCipheriv(method === 'aesv2' ? 'aes-128-cbc' : 'aes-256-cbc', key, iv);
    return Buffer.concat([iv, c.update(data), c.final()]);
  }

  decryptObject(ref: PdfRef, obj: PdfObject): PdfObject {
    if (this.encryptRef && ref.num === this.encryptRef.num) return obj;
    const walk = (o: PdfObject, depth: number): PdfObject => {
      if (depth > 64) return o;
      if (o instanceof PdfString) return new PdfString(this.decrypt(ref, o.bytes, this.strMethod), o.hex);
      if (isArray(o)) return o.map((x) => walk(x, depth + 1));
      if (o instanceof PdfStream) return new PdfStream(walk(o.dict, depth + 1) as PdfDict, o.source);
      if (o instanceof PdfDict) {
        // A signature's /Contents is never encrypted (ISO 32000-1 §7.6.1).
        const isSig = isName(o.get('Type'), 'Sig') || isName(o.get('Type'), 'DocTimeStamp') || o.has('ByteRange');
        const out = new PdfDict();
        for (const [k, v] of o.map) out.set(k, isSig && k === 'Contents' ? v : walk(v, depth + 1));
        return out;
      }
      return o;
    };
    return walk(obj, 0);
  }

  decryptStream(ref: PdfRef, data: Buffer, dict: PdfDict): Buffer {
    if (isName(dict.get('Type'), 'Metadata') && !this.encryptMetadata) return data;
    return this.decrypt(ref, data, this.stmMethod);
  }

  encryptString(ref: PdfRef, data: Buffer): Buffer {
    return this.encrypt(ref, data, this.strMethod);
  }

  encryptStream(ref: PdfRef, data: Buffer): Buffer {
    return this.encrypt(ref, data, this.stmMethod);
  }
}

/** Algorithm 2 with the empty user password, checked against /U (Algorithms 4/5). */
function rc4FamilyKey(e: PdfDict, r: number, id0: Buffer, encryptMetadata: boolean): Buffer {
  const lengthBits = e.get('Length');
  const n = r === 2 ? 5 : isNumber(lengthBits) ? lengthBits / 8 : 5;
  const p = e.get('P');
  const pBuf = Buffer.alloc(4);
  pBuf.writeInt32LE(isNumber(p) ? p | 0 : 0);
  const parts = [PAD, str(e, 'O').subarray(0, 32), pBuf, id0];
  if (r >= 4 && !encryptMetadata) parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff]));
  let key = md5(...parts);
  if (r >= 3) for (let i = 0; i < 50; i++) key = md5(key.subarray(0, n));
  key = key.subarray(0, n);
  const u = str(e, 'U');
  let ok: boolean;
  if (r === 2) ok = rc4(key, PAD).equals(u.subarray(0, 32));
  else {
    let x = rc4(key, md5(PAD, id0));
    for (let i = 1; i <= 19; i++) x = rc4(Buffer.from(key.map((b) => b ^ i)), x);
    ok = x.equals(u.subarray(0, 16));
  }
  if (!ok) throw refused('the document needs a password to open; Ký Số signs only documents that open without one');
  return key;
}

/** R5/R6 (AES-256): validate the empty user password and unwrap the file key from /UE. */
function aes256Key(e: PdfDict, r: number): Buffer {
  const u = str(e, 'U');
  const ue = str(e, 'UE');
  if (u.length < 48 || ue.length < 32) throw refused('bad AES-256 /U or /UE');
  const pw = Buffer.alloc(0);
  const hash =
    r === 5
      ? (salt: Buffer) => createHash('sha256').update(pw).update(salt).digest()
      : (salt: Buffer) => hash2B(pw, salt, Buffer.alloc(0));
  if (!hash(u.subarray(32, 40)).equals(u.subarray(0, 32))) {
    throw refused('the document needs a password to open; Ký Số signs only documents that open without one');
  }
  const ik = hash(u.subarray(40, 48));
  const d = createDecipheriv('aes-256-cbc', ik, Buffer.alloc(16));
  d.setAutoPadding(false);
  return Buffer.concat([d.update(ue.subarray(0, 32)), d.final()]);
}

/** ISO 32000-2 Algorithm 2.B. */
function hash2B(pw: Buffer, salt: Buffer, udata: Buffer): Buffer {
  let k = createHash('sha256').update(pw).update(salt).update(udata).digest();
  for (let i = 0; ; i++) {
    const k1 = Buffer.concat(Array(64).fill(Buffer.concat([pw, k, udata])) as Buffer[]);
    const c = createCipheriv('aes-128-cbc', k.subarray(0, 16), k.subarray(16, 32));
    c.setAutoPadding(false);
    const e = Buffer.concat([c.update(k1), c.final()]);
    let sum = 0;
    for (let j = 0; j < 16; j++) sum += e[j]!;
    const alg = ['sha256', 'sha384', 'sha512'][sum % 3]!;
    k = createHash(alg).update(e).digest();
    // ISO 32000-2 counts rounds from 1: stop when round ≥ 64 and the last byte ≤ round − 32.
    if (i >= 63 && e[e.length - 1]! <= i - 31) break;
  }
  return k.subarray(0, 32);
}
