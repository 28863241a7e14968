/**
 * Writes a scan-like PDF of a given size: N pages, each one 8-bit grey image of random bytes
 * (incompressible, like a noisy 200-dpi scan), streamed to disk so the generator itself stays
 * small. Benchmarks then pass it through qpdf so the measured file comes from a real producer.
 */
import { randomFillSync } from 'node:crypto';
import { open } from 'node:fs/promises';

export async function makeBigScanPdf(path: string, targetBytes: number): Promise<void> {
  const side = 2000; // 2000×2000 grey = 4 MB per page
  const pageBytes = side * side;
  const pages = Math.max(1, Math.ceil(targetBytes / pageBytes));
  const fh = await open(path, 'w');
  const offsets: number[] = [];
  let pos = 0;
  const w = async (b: Buffer | string): Promise<void> => {
    const buf = typeof b === 'string' ? Buffer.from(b, 'latin1') : b;
    await fh.write(buf, 0, buf.length, pos);
    pos += buf.length;
  };
  const obj = async (n: number, body: string): Promise<void> => {
    offsets[n] = pos;
    await w(`${n} 0 obj\n${body}\nendobj\n`);
  };
  await w('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n');
  const kids: string[] = [];
  for (let i = 0; i < pages; i++) kids.push(`${3 + i * 3} 0 R`);
  await obj(1, '<< /Type /Catalog /Pages 2 0 R >>');
  await obj(2, `<< /Type /Pages /Count ${pages} /Kids [${kids.join(' ')}] >>`);
  const img = Buffer.alloc(pageBytes);
  for (let i = 0; i < pages; i++) {
    const p = 3 + i * 3;
    await obj(
      p,
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 720 720] /Resources << /XObject << /Im0 ${p + 2} 0 R >> >> /Contents ${p + 1} 0 R >>`,
    );
    const content = 'q 720 0 0 720 0 0 cm /Im0 Do Q';
    await obj(p + 1, `<< /Length ${content.length} >>\nstream\n${content}\nendstream`);
    randomFillSync(img);
    offsets[p + 2] = pos;
    await w(
      `${p + 2} 0 obj\n<< /Type /XObject /Subtype /Image /Width ${side} /Height ${side} /ColorSpace /DeviceGray /BitsPerComponent 8 /Length ${pageBytes} >>\nstream\n`,
    );
    await w(img);
    await w('\nendstream\nendobj\n');
  }
  const size = 3 + pages * 3;
  const xref = pos;
  let table = `xref\n0 ${size}\n0000000000 65535 f\r\n`;
  for (let n = 1; n < size; n++) table += `${String(offsets[n]).padStart(10, '0')} 00000 n\r\n`;
  await w(table);
  await w(`trailer\n<< /Size ${size} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  await fh.close();
}
