/**
 * A small, valid one-page PDF written by hand (pdf-lib is not a dependency): Helvetica text lines
 * on an A4 page, with a correct cross-reference table so strict readers (qpdf --check) accept it.
 * Helvetica's standard encoding has no Vietnamese letters, so text is folded to ASCII here.
 */
export function toAscii(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .replace(/[^\x20-\x7e]/g, '?');
}

function pdfString(text: string): string {
  return `(${toAscii(text).replace(/[\\()]/g, (c) => `\\${c}`)})`;
}

export function minimalPdf(lines: string[]): Buffer {
  const content = [
    'BT',
    '/F1 14 Tf',
    '16 TL',
    '72 770 Td',
    ...lines.map((l, i) => `${i === 0 ? '' : 'T* '}${pdfString(l)} Tj`),
    'ET',
  ].join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
  ];
  // The binary comment line tells transfer tools the file is not text (PDF 32000-1 7.5.2).
  let out = '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
