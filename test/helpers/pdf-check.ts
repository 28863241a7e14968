/**
 * Independent checks of a signed PDF with tools we did not write: qpdf --check, poppler's
 * pdfsig (signature list, validity, signed ranges; -dump for the CMS blobs) and
 * openssl cms -verify / openssl ts -verify on the extracted CMS over the signed bytes.
 */
import { readFile, readdir, rm, writeFile, open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { run } from './run.js';

export interface PdfsigSignature {
  index: number;
  fieldName: string;
  type: string;
  valid: boolean;
  validation: string;
  ranges: Array<[number, number]>;
  totalDocument: boolean;
}

export async function qpdfCheck(path: string): Promise<{ ok: boolean; output: string }> {
  const r = await run('qpdf', ['--check', path]);
  return { ok: r.status === 0, output: r.stdout + r.stderr };
}

export async function pdfsig(path: string): Promise<PdfsigSignature[]> {
  const r = await run('pdfsig', ['-nocert', path]);
  const out: PdfsigSignature[] = [];
  for (const block of r.stdout.split(/^Signature #/m).slice(1)) {
    const index = Number(/^(\d+):/.exec(block)?.[1] ?? '0');
    const validation = /Signature Validation: (.*)/.exec(block)?.[1]?.trim() ?? '';
    const ranges = [...(/Signed Ranges: (.*)/.exec(block)?.[1] ?? '').matchAll(/\[(\d+) - (\d+)\]/g)].map(
      (m) => [Number(m[1]), Number(m[2])] as [number, number],
    );
    out.push({
      index,
      fieldName: /Signature Field Name: (.*)/.exec(block)?.[1]?.trim() ?? '',
      type: /Signature Type: (.*)/.exec(block)?.[1]?.trim() ?? '',
      valid: validation === 'Signature is Valid.',
      validation,
      ranges,
      totalDocument: /Total document signed/.test(block),
    });
  }
  return out;
}

/** The CMS blobs poppler finds, in its order (pdfsig -dump writes FILE.sig0, .sig1, …). */
export async function dumpSignatures(path: string, workDir: string): Promise<Buffer[]> {
  const copy = join(workDir, `dump-${basename(path)}`);
  await writeFile(copy, await readFile(path));
  await run('pdfsig', ['-dump', copy], { cwd: workDir });
  const files = (await readdir(dirname(copy))).filter((f) => f.startsWith(`${basename(copy)}.sig`)).sort();
  const blobs = await Promise.all(files.map((f) => readFile(join(dirname(copy), f))));
  await Promise.all(files.map((f) => rm(join(dirname(copy), f))));
  await rm(copy);
  return blobs;
}

/** Concatenates the signed byte ranges into one file (the "content" of a detached CMS). */
export async function signedBytes(path: string, ranges: Array<[number, number]>, out: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const parts: Buffer[] = [];
    for (const [a, b] of ranges) {
      const buf = Buffer.alloc(b - a);
      await fh.read(buf, 0, buf.length, a);
      parts.push(buf);
    }
    await writeFile(out, Buffer.concat(parts));
  } finally {
    await fh.close();
  }
  return out;
}

export async function opensslCmsVerify(
  cms: Buffer,
  contentFile: string,
  rootPem: string,
  chainPem: string,
  workDir: string,
): Promise<{ ok: boolean; output: string }> {
  const cmsFile = join(workDir, `cms-${Date.now()}-${Math.random().toString(16).slice(2)}.der`);
  await writeFile(cmsFile, cms);
  const r = await run('openssl', [
    'cms',
    '-verify',
    '-binary',
    '-inform',
    'DER',
    '-in',
    cmsFile,
    '-content',
    contentFile,
    '-CAfile',
    rootPem,
    '-certfile',
    chainPem,
    '-purpose',
    'any',
    '-out',
    '/dev/null',
  ]);
  await rm(cmsFile);
  return { ok: r.status === 0 && /Verification successful/.test(r.stderr), output: r.stderr };
}

export async function opensslTsVerify(
  token: Buffer,
  dataFile: string,
  rootPem: string,
  chainPem: string,
  workDir: string,
): Promise<{ ok: boolean; output: string }> {
  const f = join(workDir, `ts-${Date.now()}.der`);
  await writeFile(f, token);
  const r = await run('openssl', [
    'ts',
    '-verify',
    '-data',
    dataFile,
    '-in',
    f,
    '-token_in',
    '-CAfile',
    rootPem,
    '-untrusted',
    chainPem,
  ]);
  await rm(f);
  return { ok: r.status === 0 && /Verification: OK/.test(r.stdout + r.stderr), output: r.stdout + r.stderr };
}
