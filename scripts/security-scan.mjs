#!/usr/bin/env node
// Security checks run by CI: Electronegativity over the Electron code (no high or medium finding
// may remain) and `npm audit` of production dependencies (no high finding). The release check of
// Electronegativity needs the internet and is skipped; so is npm audit when the registry mirror
// does not serve the advisory endpoint (it answers 405 on offline build machines) — said clearly.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const electronVersion = JSON.parse(readFileSync('node_modules/electron/package.json', 'utf8')).version;
const dir = mkdtempSync(join(tmpdir(), 'kyso-eneg-'));
let failed = false;
// One app: the global checks (navigation limits, permission handler) live in src-main.
const app = join(dir, 'app');
for (const d of ['src-main', 'src-renderer', 'src-shared']) cpSync(d, join(app, d), { recursive: true });
for (const input of [app]) {
  const out = join(dir, 'findings.csv');
  const r = spawnSync(
    process.execPath,
    [
      'node_modules/@doyensec/electronegativity/dist/index.js',
      '-i',
      input,
      '-r',
      '-v',
      'false',
      '-e',
      electronVersion,
      '-x',
      'AvailableSecurityFixesGlobalCheck',
      '-o',
      out,
    ],
    { encoding: 'utf8', timeout: 300000 },
  );
  if (r.status !== 0) {
    console.error(`electronegativity failed on ${input}: ${r.stderr}`);
    failed = true;
    continue;
  }
  const rows = readFileSync(out, 'utf8').trim().split('\n').slice(1).filter(Boolean);
  const serious = rows.filter((l) => /"(HIGH|MEDIUM)"/.test(l));
  console.log(
    `electronegativity (src-main + src-renderer + src-shared): ${rows.length} finding(s), ${serious.length} high/medium`,
  );
  for (const l of rows) console.log(`  ${l.split(',').slice(0, 5).join(',')}`);
  if (serious.length > 0) failed = true;
}
rmSync(dir, { recursive: true, force: true });

const audit = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', timeout: 120000 });
try {
  const j = JSON.parse(audit.stdout);
  if (j.error) throw new Error(j.error.summary ?? 'audit error');
  const v = j.metadata?.vulnerabilities ?? {};
  console.log(`npm audit (production): ${JSON.stringify(v)}`);
  if ((v.high ?? 0) + (v.critical ?? 0) > 0) failed = true;
} catch (e) {
  console.log(
    `npm audit: SKIPPED — the registry did not serve the advisory endpoint (${String(e.message ?? e).split('\n')[0]})`,
  );
}
process.exit(failed ? 1 : 0);
