// pdf.js ships no typings for its worker module; we import it only for its side effect
// (registering globalThis.pdfjsWorker, see pdfjs-adapter.ts).
declare module 'pdfjs-dist/legacy/build/pdf.worker.mjs' {
  export const WorkerMessageHandler: unknown;
}
