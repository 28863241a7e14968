import type { PdfRef, PdfDict, PdfObject } from './objects.js';

/** Decrypts what the reader returns and encrypts what the writer adds (standard security handler). */
export interface SecurityHandler {
  decryptObject(ref: PdfRef, obj: PdfObject): PdfObject;
  decryptStream(ref: PdfRef, data: Buffer, dict: PdfDict): Buffer;
  encryptString(ref: PdfRef, data: Buffer): Buffer;
  encryptStream(ref: PdfRef, data: Buffer): Buffer;
}
