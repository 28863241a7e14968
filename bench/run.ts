/**
 * `npm run bench [name]`: runs each benchmark in its own process and writes the results into
 * docs/benchmarks.md (one section per benchmark, replaced in place, with machine and date).
 */
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

type Row = Record<string, string | number>;
interface Bench {
  name: string;
  title: string;
  runs: Array<{ args: string[] }>;
  notes: string;
}

const BENCHES: Bench[] = [
  {
    name: 'token',
    title: 'Token signing: one login vs a login per signature',
    runs: [{ args: ['bench/token-bench.ts', '0'] }, { args: ['bench/token-bench.ts', '300'] }],
    notes:
      'RSA-2048, CKM_SHA256_RSA_PKCS over a 100-byte to-be-signed block. "300 ms/signature" injects a real token\'s pace in the fault module (native/pkcs11-fault). The peer spawns pkcs11-tool per signature (capped at 20). The floor signs in software with node:crypto.',
  },
  {
    name: 'pdf',
    title: 'PDF signing vs the I/O floor and @signpdf',
    runs: [{ args: ['bench/pdf-bench.ts'] }],
    notes:
      'Each mode runs in a fresh Node process (bundled with esbuild, same baseline). "I/O floor" reads, hashes (SHA-256) and writes the same bytes in 1 MiB chunks with fsync. kyso = incremental B-B signature, invisible field, software RSA-2048 key (token time excluded), including the re-open and re-hash check of the output. The peer loads the whole file with pdf-lib, adds its placeholder, saves (rewriting the file, which breaks earlier signatures) and signs with a P12. Aims from the issue: ≤ 1.5× floor on big files, < 50 ms fixed cost on 1 page, ≤ 150 MB peak for `kyso sign` on ≥ 100 MB, batch ≤ 1.1 × 100 × 300 ms.',
  },
  {
    name: 'verify',
    title: 'Validation: kyso vs poppler pdfsig',
    runs: [{ args: ['bench/verify-bench.ts'] }],
    notes:
      'Ours does everything the report needs: byte ranges, CMS, difference analysis (each revision compared with the one before it once, shared by every signature that precedes it — when it was done once per signature, the 10-signature file took 71.5 ms on this machine, idle, on 2026-12-05), path validation, revocation from embedded data (offline). pdfsig -nocert checks the CMS over the byte ranges and skips certificate validation; it does no difference analysis. Its process start is included.',
  },
];

function fmt(v: string | number): string {
  return typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 1)) : v;
}

function table(rows: Row[]): string {
  if (rows.length === 0) return '(no rows)\n';
  const cols = Object.keys(rows[0]!);
  return [
    `| ${cols.join(' | ')} |`,
    `| ${cols.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${cols.map((c) => fmt(r[c] ?? '')).join(' | ')} |`),
  ].join('\n');
}

const only = process.argv[2];
const doc = 'docs/benchmarks.md';
let text = existsSync(doc)
  ? readFileSync(doc, 'utf8')
  : '# Benchmarks\n\nWritten by `npm run bench`; do not edit sections by hand.\n';
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;

for (const b of BENCHES.filter((x) => !only || x.name === only)) {
  const rows: Row[] = [];
  for (const r of b.runs) {
    const out = spawnSync(process.execPath, ['--import', 'tsx', ...r.args], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (out.status !== 0) {
      console.error(out.stderr);
      process.exit(1);
    }
    const last = out.stdout.trim().split('\n').pop() ?? '[]';
    rows.push(...(JSON.parse(last) as Row[]));
  }
  const section = `<!-- bench:${b.name} -->\n## ${b.title}\n\n${new Date().toISOString().slice(0, 10)} on ${machine}.\n\n${table(rows)}\n\n${b.notes}\n<!-- /bench:${b.name} -->`;
  const re = new RegExp(`<!-- bench:${b.name} -->[\\s\\S]*?<!-- /bench:${b.name} -->`);
  text = re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}\n`;
  console.log(`${b.title}\n${table(rows)}\n`);
}
writeFileSync(doc, text);
