#!/usr/bin/env node
// Runs Node's built-in test runner over the chosen suites. Node 20 has no --test glob support,
// so the files are collected here; each suite runs its files one process per file.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const suites = { unit: ['test/unit'], integration: ['test/integration'], e2e: ['test/e2e'] };
const which = process.argv[2] ?? 'all';
const dirs = which === 'all' ? Object.values(suites).flat() : suites[which];
if (!dirs) {
  console.error(`unknown suite "${which}" (unit | integration | e2e | all)`);
  process.exit(64);
}
const extra = process.argv.slice(3);
const files = [];
const walk = (d) => {
  for (const name of readdirSync(d).sort()) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.test\.tsx?$/.test(name)) files.push(p);
  }
};
for (const d of dirs) walk(d);
const filter = extra.find((a) => !a.startsWith('-'));
const chosen = filter ? files.filter((f) => f.includes(filter)) : files;
if (chosen.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...chosen],
  { stdio: 'inherit', env: { ...process.env, KYSO_TEST: '1' } },
);
process.exit(r.status ?? 1);
