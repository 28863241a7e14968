/**
 * Validation time (issue "Validation engine"): a file with 10 signatures and a 600-page signed
 * file, `kyso`'s validator vs poppler's `pdfsig` on the same files in the same run. Both offline:
 * our validator with --offline semantics (embedded data only), pdfsig with -nocert (no network
 * certificate checks). Median of 5 runs each, in-process for ours, a process per run for pdfsig.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createTestPki } from '../test/helpers/pki.js';
import { makeGhostscriptPdf } from '../test/helpers/pdf-fixtures.js';
import { softwareSigner } from '../test/helpers/software-signer.js';
import { signDocument } from '../src-core/sign/sign-document.js';
import { TrustStore } from '../src-core/pki/trust-store.js';
import { MemoryRevocationCache } from '../src-core/pki/revocation-cache.js';
import { createTrustServices } from '../src-core/verify/trust-services.js';
import { verifyPdf } from '../src-core/verify/validate.js';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kyso-bench-verify-'));
  const rows: Array<Record<string, string | number>> = [];
  try {
    const pki = await createTestPki({ parentDir: dir });
    const signer = softwareSigner(pki.person, [pki.issuing]);
    const store = new TrustStore();
    store.addUser(Buffer.from(pki.root.certDer), 'bench');
    const trust = await createTrustServices({ store, cache: new MemoryRevocationCache(), env: {} });

    let ten = await makeGhostscriptPdf(dir, 2, 'ten.pdf');
    for (let i = 0; i < 10; i++) {
      const out = join(dir, `ten-${i}.pdf`);
      await signDocument({
        input: ten,
        output: out,
        signer,
        level: 'B-B',
        placement: { signingTime: new Date(), pageIndex: 0, rect: [20 + i * 50, 20, 60 + i * 50, 50] },
      });
      ten = out;
    }
    const big = join(dir, 'p600-signed.pdf');
    await signDocument({
      input: await makeGhostscriptPdf(dir, 600, 'p600.pdf'),
      output: big,
      signer,
      level: 'B-B',
      placement: { signingTime: new Date() },
    });

    for (const [label, file] of [
      ['10 signatures', ten],
      ['600 pages, 1 signature', big],
    ] as const) {
      const ours: number[] = [];
      const theirs: number[] = [];
      let sigs = 0;
      for (let i = 0; i < 5; i++) {
        let t = performance.now();
        const r = await verifyPdf(file, { trust, offline: true });
        ours.push(performance.now() - t);
        sigs = r.signatures.length;
        t = performance.now();
        execFileSync('pdfsig', ['-nocert', file], { stdio: 'ignore' });
        theirs.push(performance.now() - t);
      }
      const size = (await stat(file)).size / 2 ** 20;
      rows.push({
        file: label,
        'size MB': size,
        signatures: sigs,
        tool: 'kyso verifyPdf (offline)',
        'ms (median of 5)': median(ours),
      });
      rows.push({
        file: label,
        'size MB': size,
        signatures: sigs,
        tool: 'poppler pdfsig -nocert (process)',
        'ms (median of 5)': median(theirs),
      });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify(rows)}\n`);
}

void main();
