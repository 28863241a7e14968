/**
 * The one place that talks to pdf.js (legacy build, for Node). There is no Web Worker in Node:
 * importing pdf.worker.mjs registers `globalThis.pdfjsWorker`, and pdf.js then runs its worker code
 * in this thread over a loopback port (its "fake worker"), which is what v5 expects in Node.
 * Everything leaving this module is plain typed data; pdf.js's loose types (`any[]` transforms)
 * stop here.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as PdfjsModule from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { PDFDocumentProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { KysoError } from '../../src-shared/errors.js';
import { projectRoot } from '../util/paths.js';

type PdfjsLib = typeof PdfjsModule;

let lib: Promise<PdfjsLib> | null = null;

/**
 * pdf.mjs constructs a DOMMatrix when it loads. In Node it polyfills it from @napi-rs/canvas (its
 * optional dependency) through `createRequire(import.meta.url)`, which is empty once esbuild has
 * bundled us as CommonJS; loading the package from the project root works in both forms.
 */
function ensureDomPolyfills(): void {
  const g = globalThis as Record<string, unknown>;
  if (g.DOMMatrix) return;
  try {
    const canvas = createRequire(join(projectRoot(), 'package.json'))('@napi-rs/canvas') as Record<string, unknown>;
    for (const k of ['DOMMatrix', 'ImageData', 'Path2D']) if (!g[k] && canvas[k]) g[k] = canvas[k];
  } catch {
    // pdf.js tries again itself and reports what is missing.
  }
}

function pdfjs(): Promise<PdfjsLib> {
  lib ??= (async () => {
    ensureDomPolyfills();
    await import('pdfjs-dist/legacy/build/pdf.worker.mjs');
    const m = await import('pdfjs-dist/legacy/build/pdf.mjs');
    // Only used if the global above were missing (a bundler dropping the side effect).
    if (!m.GlobalWorkerOptions.workerSrc) m.GlobalWorkerOptions.workerSrc = 'pdfjs-dist/legacy/build/pdf.worker.mjs';
    return m;
  })();
  return lib;
}

/** A text run as pdf.js reports it, in PDF user space. */
export interface RawTextItem {
  str: string;
  /** Text rendering matrix at the start of the run (includes the font size). */
  transform: [number, number, number, number, number, number];
  /** Advance of the run along its baseline, user space units. */
  width: number;
  /** Font size in user space units. */
  height: number;
  /** Font ascent and descent as fractions of the size (descent negative). */
  ascent: number;
  descent: number;
  hasEOL: boolean;
}

export interface RawPage {
  index: number;
  /** Visible page size (CropBox ∩ MediaBox, after /Rotate). */
  width: number;
  height: number;
  rotate: number;
  /** User space → visible coordinates (origin at the lower-left of the visible page). */
  toVisible(x: number, y: number): [number, number];
  items: RawTextItem[];
}

export interface PdfTextSource {
  numPages: number;
  page(index: number): Promise<RawPage>;
  close(): Promise<void>;
}

function dataDir(name: string): string | undefined {
  const dir = join(projectRoot(), 'node_modules', 'pdfjs-dist', name);
  return existsSync(dir) ? `${dir}/` : undefined;
}

export async function openTextSource(path: string): Promise<PdfTextSource> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    throw new KysoError('INPUT_UNREADABLE', 'error.inputUnreadable', { path });
  }
  const m = await pdfjs();
  let doc: PDFDocumentProxy;
  try {
    doc = await m.getDocument({
      // A copy: pdf.js may transfer (detach) the buffer it is given.
      data: new Uint8Array(bytes),
      verbosity: m.VerbosityLevel.ERRORS,
      isEvalSupported: false,
      disableFontFace: true,
      useSystemFonts: false,
      // Metrics of the 14 standard fonts and predefined CMaps, for files that do not embed them.
      standardFontDataUrl: dataDir('standard_fonts'),
      cMapUrl: dataDir('cmaps'),
      cMapPacked: true,
    }).promise;
  } catch (e) {
    throw new KysoError('INPUT_MALFORMED', 'appearance.anchor.unreadable', {
      detail: e instanceof Error ? e.message : String(e),
    });
  }
  return {
    numPages: doc.numPages,
    async page(index: number): Promise<RawPage> {
      const page = await doc.getPage(index + 1);
      const viewport = page.getViewport({ scale: 1 });
      const content = await page.getTextContent();
      const items: RawTextItem[] = [];
      for (const it of content.items) {
        if (!('str' in it)) continue;
        const t = (it.transform as unknown[]).map(Number);
        if (t.length !== 6 || !t.every(Number.isFinite)) continue;
        const style = content.styles[it.fontName];
        items.push({
          str: it.str,
          transform: t as RawTextItem['transform'],
          width: it.width,
          height: it.height,
          ascent: style && style.ascent > 0 ? style.ascent : 0.8,
          descent: style && style.descent < 0 ? style.descent : -0.2,
          hasEOL: it.hasEOL,
        });
      }
      const height = viewport.height;
      return {
        index,
        width: viewport.width,
        height,
        rotate: page.rotate,
        toVisible(x: number, y: number): [number, number] {
          // The viewport's y grows downwards from the top; visible coordinates grow upwards.
          const [vx, vy] = viewport.convertToViewportPoint(x, y) as [number, number];
          return [vx, height - vy];
        },
        items,
      };
    },
    close: () => doc.destroy(),
  };
}
