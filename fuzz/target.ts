/** What an untrusted PDF goes through; shared by the fuzzer and the regression test. */
import { KysoError } from '../src-shared/errors.js';
import { PdfReader, PdfReadError } from '../src-core/pdf/reader.js';
import { PdfSyntaxError } from '../src-core/pdf/parser.js';
import { PdfFilterError } from '../src-core/pdf/filters.js';
import { listSignatures } from '../src-core/sign/signature-lookup.js';
import { verifyPdf, type TrustServices } from '../src-core/verify/validate.js';

/** Offline trust that knows nobody: exercises every validator path without the network. */
const nobody: TrustServices = {
  path: (leaf) => ({ status: 'no-chain', chain: [leaf], warnings: [], reasons: [] }),
  revocation: async () => ({ status: 'unknown', revokedBeforeSigning: false }),
};

export async function runTarget(file: string): Promise<void> {
  const r = PdfReader.open(file);
  try {
    const n = r.pageCount();
    if (n > 0) r.pageAt(Math.min(n - 1, 3));
    if (n < 2000) r.pages();
    listSignatures(r);
  } finally {
    r.close();
  }
  // The validator must never throw: it reports.
  const report = await verifyPdf(file, { trust: nobody, offline: true });
  if (!report) throw new Error('no report');
}

export function isExpectedError(e: unknown): boolean {
  return (
    e instanceof PdfReadError || e instanceof PdfSyntaxError || e instanceof PdfFilterError || e instanceof KysoError
  );
}
