/**
 * PDF signing benchmark (issue "PDF signing engine"), all in one run on the same files:
 *  - signing vs the I/O floor (read + SHA-256 + write of the same bytes, same process kind) on a
 *    1-page, a 600-page (Ghostscript) and a ≥100 MB scan PDF (random-noise pages through qpdf);
 *  - the peer: @signpdf/signpdf with its pdf-lib placeholder on the same files;
 *  - the fixed cost on the 1-page file (software key: token time excluded);
 *  - peak RSS of the real `kyso sign` CLI (SoftHSM token) on the big file;
 *  - `kyso batch` of 100 files with 300 ms injected per token signature.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { createFaultToken } from '../test/helpers/fault-token.js';
import { makeGhostscriptPdf } from '../test/helpers/pdf-fixtures.js';
import { runOk } from '../test/helpers/run.js';
import { makeBigScanPdf } from './make-big-pdf.js';

const ex = promisify(execFile);
type Row = Record<string, string | number>;
const rows: Row[] = [];
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function child(mode: string, args: string[]): Promise<{ ms: number; maxRssMb: number }> {
  const { stdout } = await ex(process.execPath, ['dist/bench/pdf-bench-child.cjs', mode, ...args], {
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as { ms: number; maxRssMb: number };
}

async function main(): Promise<void> {
  await build({
    entryPoints: ['bench/pdf-bench-child.ts'],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: 'dist/bench/pdf-bench-child.cjs',
    logLevel: 'error',
    logOverride: { 'empty-import-meta': 'silent' },
    external: ['pkcs11js'],
  });
  const dir = await mkdtemp(join(tmpdir(), 'kyso-bench-pdf-'));
  const ft = await createFaultToken({});
  try {
    const pki = ft.pki;
    const p12 = join(dir, 'signer.p12');
    // node-forge (used by the peer) reads only the classic PKCS#12 algorithms.
    await runOk('openssl', [
      'pkcs12',
      '-export',
      '-in',
      pki.person.certPath,
      '-inkey',
      pki.person.keyPath,
      '-out',
      p12,
      '-passout',
      'pass:bench',
      '-keypbe',
      'PBE-SHA1-3DES',
      '-certpbe',
      'PBE-SHA1-3DES',
      '-macalg',
      'sha1',
    ]);
    const chain = join(dir, 'chain.pem');
    await writeFile(chain, pki.issuing.certPem);

    const onePage = await makeGhostscriptPdf(dir, 1, 'one-page.pdf');
    const pages600 = await makeGhostscriptPdf(dir, 600, 'pages-600.pdf');
    const rawScan = join(dir, 'scan-raw.pdf');
    await makeBigScanPdf(rawScan, 100 * 1024 * 1024);
    const scan = join(dir, 'scan-100mb.pdf');
    await runOk('qpdf', [rawScan, scan], { timeoutMs: 300000 });
    await rm(rawScan);

    const files: Array<[string, string, number]> = [
      ['1 page (Ghostscript)', onePage, 20],
      ['600 pages (Ghostscript)', pages600, 5],
      ['scan (qpdf)', scan, 3],
    ];
    for (const [label, file, n] of files) {
      const size = (await stat(file)).size;
      const out = join(dir, 'out.pdf');
      const measure = async (mode: string, extra: string[]): Promise<{ ms: number; mem: number }> => {
        const ms: number[] = [];
        let mem = 0;
        for (let i = 0; i < n; i++) {
          await rm(out, { force: true });
          const r = await child(mode, [file, out, ...extra]);
          ms.push(r.ms);
          mem = Math.max(mem, r.maxRssMb);
        }
        return { ms: median(ms), mem };
      };
      const floor = await measure('floor', []);
      const kyso = await measure('kyso', [pki.person.certPath, pki.person.keyPath, chain]);
      let peer: { ms: number; mem: number } | null = null;
      try {
        peer = await measure('signpdf', [p12]);
      } catch (e) {
        process.stderr.write(`signpdf failed on ${label}: ${(e as Error).message.split('\n')[0]}\n`);
      }
      const base = { file: label, 'size MB': size / 2 ** 20 };
      rows.push({
        ...base,
        method: 'I/O floor: read + SHA-256 + write',
        'ms (median)': floor.ms,
        '× floor': 1,
        'peak RSS MB': floor.mem,
      });
      rows.push({
        ...base,
        method: 'kyso (software key, B-B)',
        'ms (median)': kyso.ms,
        '× floor': kyso.ms / floor.ms,
        'peak RSS MB': kyso.mem,
      });
      rows.push({
        ...base,
        method: '@signpdf/signpdf + pdf-lib placeholder',
        'ms (median)': peer ? peer.ms : 'failed',
        '× floor': peer ? peer.ms / floor.ms : '-',
        'peak RSS MB': peer ? peer.mem : '-',
      });
    }

    // Peak memory of the real CLI with the token on the big file.
    const env = { ...process.env, KYSO_PIN: ft.userPin, KYSO_LANG: 'en' };
    ft.configure({});
    const timed = await ex(
      '/usr/bin/time',
      [
        '-f',
        '%M %e',
        process.execPath,
        'bin/kyso',
        'sign',
        scan,
        '-o',
        join(dir, 'cli-out.pdf'),
        '--module',
        ft.module,
        '--pin-env',
        'KYSO_PIN',
        '--cert',
        '01',
      ],
      { env },
    );
    const [kb, secs] = timed.stderr.trim().split('\n').pop()!.split(' ').map(Number) as [number, number];
    rows.push({
      file: 'scan (qpdf)',
      'size MB': (await stat(scan)).size / 2 ** 20,
      method: '`kyso sign` CLI with SoftHSM token (whole process)',
      'ms (median)': secs * 1000,
      '× floor': '-',
      'peak RSS MB': kb / 1024,
    });

    // Batch of 100 with 300 ms per signature.
    const inDir = join(dir, 'batch-in');
    await mkdir(inDir);
    for (let i = 0; i < 100; i++) await copyFile(onePage, join(inDir, `van-ban-${String(i).padStart(3, '0')}.pdf`));
    ft.configure({ sign_latency_ms: 300 });
    const t0 = Date.now();
    await ex(
      process.execPath,
      [
        'bin/kyso',
        'batch',
        inDir,
        '-o',
        join(dir, 'batch-out'),
        '--module',
        ft.module,
        '--pin-env',
        'KYSO_PIN',
        '--cert',
        '01',
      ],
      { env, maxBuffer: 16 << 20 },
    );
    const batchMs = Date.now() - t0;
    rows.push({
      file: '100 × 1 page',
      'size MB': '-',
      method: '`kyso batch`, token at 300 ms/signature (ideal 30 000 ms)',
      'ms (median)': batchMs,
      '× floor': `${(batchMs / 30000).toFixed(3)} × ideal`,
      'peak RSS MB': '-',
    });
  } finally {
    await ft.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify(rows)}\n`);
}

void main();
