/**
 * Real PDFs from independent producers, made by the tests themselves in a temp dir:
 * Chromium (print to PDF), Ghostscript (pdfwrite), MuPDF (mutool create), qpdf (object streams,
 * linearized, encrypted RC4 / AES-128 / AES-256, rotated), an image-only scan (pdftoppm → mutool),
 * a CropBox-offset page (Ghostscript pdfmark), and a file already signed by poppler's pdfsig
 * (NSS database). Nothing here is written by our own PDF code.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOk } from './run.js';
import type { TestIdentity } from './pki.js';

const CHROMIUM = process.env.KYSO_CHROMIUM ?? '/usr/bin/chromium';

export const LETTER_HTML = `<!doctype html><html lang="vi"><head><meta charset="utf-8"><style>
@page { size: A4; margin: 20mm 20mm 20mm 30mm }
body { font-family: 'Liberation Serif', 'Times New Roman', serif; font-size: 13pt; }
.c { text-align: center } .r { text-align: right } table { width: 100% }
</style></head><body>
<table><tr><td class="c"><b>BỘ TÀI CHÍNH</b></td><td class="c"><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br><b>Độc lập - Tự do - Hạnh phúc</b></td></tr>
<tr><td class="c">Số: ....../QĐ-BTC</td><td class="c"><i>Hà Nội, ngày ... tháng ... năm 2026</i></td></tr></table>
<h3 class="c">QUYẾT ĐỊNH<br>Về việc ban hành Quy chế ký số văn bản điện tử</h3>
<p>Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư;</p>
<p>Theo đề nghị của Chánh Văn phòng Bộ Tài chính, Đà Nẵng, Nguyễn Thị Ánh Tuyết.</p>
<table><tr><td><b><i>Nơi nhận:</i></b><br>- Như Điều 3;<br>- Lưu: VT, VP.</td>
<td class="c"><b>KT. BỘ TRƯỞNG<br>THỨ TRƯỞNG</b><br><br><br><br><br><b>Nguyễn Văn Đức</b></td></tr></table>
</body></html>`;

export interface PdfFixtures {
  dir: string;
  files: Record<string, string>;
  cleanup(): Promise<void>;
}

export type FixtureName =
  | 'chromium'
  | 'ghostscript'
  | 'mupdf'
  | 'qpdf-objstm'
  | 'qpdf-linearized'
  | 'qpdf-aes256'
  | 'qpdf-aes128'
  | 'qpdf-rc4'
  | 'rotated'
  | 'cropbox'
  | 'scan'
  | 'signed-by-poppler';

export async function makeChromiumPdf(dir: string, html = LETTER_HTML, name = 'chromium.pdf'): Promise<string> {
  const htmlPath = join(dir, `${name}.html`);
  await writeFile(htmlPath, html);
  const out = join(dir, name);
  await runOk(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--no-pdf-header-footer',
      `--user-data-dir=${join(dir, 'chromium-profile')}`,
      `--print-to-pdf=${out}`,
      htmlPath,
    ],
    { timeoutMs: 60000 },
  );
  return out;
}

export async function makeGhostscriptPdf(
  dir: string,
  pages = 1,
  name = 'ghostscript.pdf',
  pdfmark = '',
): Promise<string> {
  const ps = join(dir, `${name}.ps`);
  await writeFile(
    ps,
    `%!PS\n${pdfmark}\n/Times-Roman findfont 13 scalefont setfont\n1 1 ${pages} { /n exch def\n` +
      `72 760 moveto (CONG VAN so 123/BTC-VP  trang ) show n 10 string cvs show\n` +
      `0 1 40 { /i exch def 72 720 i 16 mul sub moveto (Noi dung van ban dong ) show i 10 string cvs show } for\n` +
      `showpage } for\n`,
  );
  const out = join(dir, name);
  await runOk('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=pdfwrite', `-sOutputFile=${out}`, ps], {
    timeoutMs: 120000,
  });
  return out;
}

export async function makeMupdfPdf(dir: string): Promise<string> {
  const page = join(dir, 'mupdf-page.txt');
  await writeFile(
    page,
    '%%MediaBox 0 0 595 842\n%%Font F1 Times-Roman\nBT /F1 14 Tf 72 770 Td (To trinh so 45/TTr-VP) Tj ET\n',
  );
  const out = join(dir, 'mupdf.pdf');
  await runOk('mutool', ['create', '-o', out, page]);
  return out;
}

/**
 * A form made by pdf-lib (object streams, fields with widget kids): text fields "so_ky_hieu",
 * "ghi_chu" and "nguoi_nhan.ho_ten" (a child under a parent field), all empty.
 */
export async function makePdfLibForm(dir: string): Promise<string> {
  const { PDFDocument, StandardFonts } = await import('pdf-lib');
  const doc = await PDFDocument.create();
  doc.setProducer('pdf-lib (https://github.com/Hopding/pdf-lib)');
  const page = doc.addPage([595, 842]);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  page.drawText('Phieu trinh - form test', { x: 72, y: 770, size: 14, font });
  const form = doc.getForm();
  form.createTextField('so_ky_hieu').addToPage(page, { x: 72, y: 700, width: 200, height: 24 });
  form.createTextField('ghi_chu').addToPage(page, { x: 72, y: 650, width: 400, height: 24 });
  form.createTextField('nguoi_nhan.ho_ten').addToPage(page, { x: 72, y: 600, width: 300, height: 24 });
  const out = join(dir, 'pdf-lib-form.pdf');
  await writeFile(out, await doc.save());
  return out;
}

/** Signs with poppler's pdfsig through an NSS database holding the identity. */
export async function signWithPoppler(dir: string, input: string, id: TestIdentity, out: string): Promise<string> {
  const nss = join(dir, 'nssdb');
  await runOk('mkdir', ['-p', nss]);
  await runOk('certutil', ['-N', '-d', `sql:${nss}`, '--empty-password']);
  const p12 = join(dir, 'poppler.p12');
  await runOk('openssl', [
    'pkcs12',
    '-export',
    '-in',
    id.certPath,
    '-inkey',
    id.keyPath,
    '-out',
    p12,
    '-passout',
    'pass:p12pass',
    '-name',
    'poppler-signer',
  ]);
  await runOk('pk12util', ['-i', p12, '-d', `sql:${nss}`, '-W', 'p12pass']);
  await runOk('pdfsig', [
    '-add-signature',
    '-nssdir',
    `sql:${nss}`,
    '-nick',
    'poppler-signer',
    '-reason',
    'Poppler test',
    input,
    out,
  ]);
  return out;
}

export async function makeFixtures(
  which: readonly FixtureName[],
  opts: { signer?: TestIdentity } = {},
): Promise<PdfFixtures> {
  const dir = await mkdtemp(join(tmpdir(), 'kyso-pdf-'));
  const files: Record<string, string> = {};
  const need = (n: FixtureName): boolean => which.includes(n);
  try {
    const chromium = await makeChromiumPdf(dir);
    if (need('chromium')) files.chromium = chromium;
    if (need('ghostscript')) files.ghostscript = await makeGhostscriptPdf(dir);
    if (need('mupdf')) files.mupdf = await makeMupdfPdf(dir);
    const q = async (name: FixtureName, args: string[]): Promise<void> => {
      if (!need(name)) return;
      const out = join(dir, `${name}.pdf`);
      await runOk(
        'qpdf',
        [...args.slice(0, -1), chromium, out].filter((a) => a !== '__IN__'),
      );
      files[name] = out;
    };
    await q('qpdf-objstm', ['--object-streams=generate', '__IN__']);
    await q('qpdf-linearized', ['--linearize', '__IN__']);
    if (need('qpdf-aes256')) {
      files['qpdf-aes256'] = join(dir, 'qpdf-aes256.pdf');
      await runOk('qpdf', ['--encrypt', '', 'owner-secret', '256', '--', chromium, files['qpdf-aes256']]);
    }
    if (need('qpdf-aes128')) {
      files['qpdf-aes128'] = join(dir, 'qpdf-aes128.pdf');
      await runOk('qpdf', [
        '--encrypt',
        '',
        'owner-secret',
        '128',
        '--use-aes=y',
        '--',
        chromium,
        files['qpdf-aes128'],
      ]);
    }
    if (need('qpdf-rc4')) {
      files['qpdf-rc4'] = join(dir, 'qpdf-rc4.pdf');
      await runOk('qpdf', [
        '--allow-weak-crypto',
        '--encrypt',
        '',
        'owner-secret',
        '128',
        '--use-aes=n',
        '--',
        chromium,
        files['qpdf-rc4'],
      ]);
    }
    if (need('rotated')) {
      files.rotated = join(dir, 'rotated.pdf');
      await runOk('qpdf', ['--rotate=+90:1', chromium, files.rotated]);
    }
    if (need('cropbox')) {
      files.cropbox = await makeGhostscriptPdf(dir, 1, 'cropbox.pdf', '[ /CropBox [60 80 540 800] /PAGES pdfmark');
    }
    if (need('scan')) {
      const png = join(dir, 'scan');
      await runOk('pdftoppm', ['-png', '-r', '200', '-singlefile', chromium, png]);
      files.scan = join(dir, 'scan.pdf');
      await runOk('mutool', ['convert', '-o', files.scan, `${png}.png`]);
    }
    if (need('signed-by-poppler')) {
      if (!opts.signer) throw new Error('signed-by-poppler needs opts.signer');
      files['signed-by-poppler'] = await signWithPoppler(
        dir,
        chromium,
        opts.signer,
        join(dir, 'signed-by-poppler.pdf'),
      );
    }
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return { dir, files, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
