/**
 * pdf.js for the viewer, loaded on demand (the queue starts without it). The worker is the
 * prebuilt pdf.worker.min.mjs, emitted by Vite as a same-origin file (CSP: worker-src 'self');
 * eval is off (CSP has no 'unsafe-eval').
 */
import type * as PdfJsModule from 'pdfjs-dist';
import type { PDFDocumentProxy } from 'pdfjs-dist';

type PdfJs = typeof PdfJsModule;
let loading: Promise<PdfJs> | null = null;

export function pdfjs(): Promise<PdfJs> {
  loading ??= Promise.all([import('pdfjs-dist'), import('pdfjs-dist/build/pdf.worker.min.mjs?url')]).then(
    ([lib, worker]) => {
      lib.GlobalWorkerOptions.workerSrc = worker.default;
      return lib;
    },
  );
  return loading;
}

export async function openPdf(url: string): Promise<PDFDocumentProxy> {
  const lib = await pdfjs();
  return lib.getDocument({
    url,
    isEvalSupported: false,
    enableXfa: false,
    withCredentials: true,
    // Fonts the file does not embed are drawn with the system's (no font files fetched).
    useSystemFonts: true,
  }).promise;
}

export type { PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist';
