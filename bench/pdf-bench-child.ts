/**
 * One measured operation in a fresh process (bundled by pdf-bench.ts so every mode starts from
 * the same plain-Node baseline): `floor` (read + SHA-256 + write the same bytes), `kyso`
 * (our signer, software key: token time excluded), `signpdf` (@signpdf/signpdf with its pdf-lib
 * placeholder, the common JavaScript route). Prints {ms, maxRssMb}.
 */
import { createHash, createPrivateKey, sign as cryptoSign } from 'node:crypto';
import { open, readFile, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { signDocument } from '../src-core/sign/sign-document.js';

async function floor(input: string, output: string): Promise<void> {
  const src = await open(input, 'r');
  const dst = await open(output, 'w');
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  let pos = 0;
  for (;;) {
    const { bytesRead } = await src.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) break;
    hash.update(buf.subarray(0, bytesRead));
    await dst.write(buf, 0, bytesRead, pos);
    pos += bytesRead;
  }
  hash.digest();
  await dst.sync();
  await src.close();
  await dst.close();
}

async function kyso(input: string, output: string, certPem: string, keyPem: string, chainPem: string): Promise<void> {
  const der = (pem: string): Buffer[] =>
    [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) =>
      Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'),
    );
  const key = createPrivateKey(await readFile(keyPem, 'utf8'));
  await signDocument({
    input,
    output,
    level: 'B-B',
    placement: { signingTime: new Date() },
    signer: {
      certDer: der(await readFile(certPem, 'utf8'))[0]!,
      chainDers: der(await readFile(chainPem, 'utf8')),
      scheme: 'RSA-PKCS1',
      sign: async (tbs) => ({ signature: cryptoSign('sha256', tbs, key), scheme: 'RSA-PKCS1' }),
    },
  });
}

async function signpdf(input: string, output: string, p12: string): Promise<void> {
  const { PDFDocument } = await import('pdf-lib');
  const { pdflibAddPlaceholder } = await import('@signpdf/placeholder-pdf-lib');
  const { SUBFILTER_ETSI_CADES_DETACHED } = await import('@signpdf/utils');
  const { P12Signer } = await import('@signpdf/signer-p12');
  const signpdfMod = await import('@signpdf/signpdf');
  const doc = await PDFDocument.load(await readFile(input), { updateMetadata: false });
  pdflibAddPlaceholder({
    pdfDoc: doc,
    reason: 'bench',
    contactInfo: '',
    name: 'bench',
    location: '',
    signatureLength: 8192,
    subFilter: SUBFILTER_ETSI_CADES_DETACHED,
  });
  const withPlaceholder = Buffer.from(await doc.save({ useObjectStreams: false }));
  const signer = new P12Signer(await readFile(p12), { passphrase: 'bench' });
  // CJS/ESM interop: the default export is a SignPdf instance, possibly wrapped once more.
  type Signer = { sign(pdf: Buffer, s: unknown): Promise<Buffer> };
  const d = signpdfMod.default as unknown as Signer & { default?: Signer };
  const instance: Signer = typeof d.sign === 'function' ? d : d.default!;
  const signed = await instance.sign(withPlaceholder, signer);
  await writeFile(output, signed);
}

async function main(): Promise<void> {
  const [mode, input, output, ...rest] = process.argv.slice(2) as [string, string, string, ...string[]];
  const t0 = performance.now();
  if (mode === 'floor') await floor(input, output);
  else if (mode === 'kyso') await kyso(input, output, rest[0]!, rest[1]!, rest[2]!);
  else if (mode === 'signpdf') await signpdf(input, output, rest[0]!);
  else throw new Error(`unknown mode ${mode}`);
  const ms = performance.now() - t0;
  process.stdout.write(`${JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
}

void main();
