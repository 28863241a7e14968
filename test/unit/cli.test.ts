import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { runCli } from '../../src-core/cli/main.js';
import { COMMANDS } from '../../src-core/cli/help.js';
import type { Locale } from '../../src-shared/i18n/messages.js';

async function run(argv: string[], locale: Locale = 'en'): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await runCli(argv, { locale, stdout, stderr, env: {} });
  return { code, out, err };
}

test('--help lists the whole command contract and exits 0', async () => {
  const r = await run(['--help']);
  assert.equal(r.code, 0);
  for (const name of ['tokens', 'sign', 'batch', 'verify', 'server', 'sync', 'queue', 'ui', 'demo']) {
    assert.match(r.out, new RegExp(`kyso ${name}\\b`));
  }
});

test('every subcommand answers --help with exit 0 and says truthfully whether it is available', async () => {
  for (const [name, help] of Object.entries(COMMANDS)) {
    const r = await run([name, '--help']);
    assert.equal(r.code, 0, name);
    assert.match(r.out, /Usage:/);
    assert.equal(/not yet available/.test(r.out), help.status === 'not-yet', name);
  }
});

test('usage errors: one line, exit 64, translated', async () => {
  const en = await run(['frobnicate']);
  assert.equal(en.code, 64);
  assert.equal(en.err.trim().split('\n').length, 1);
  assert.match(en.err, /Unknown command: frobnicate/);
  const vi = await run(['frobnicate'], 'vi');
  assert.match(vi.err, /Lệnh không tồn tại: frobnicate/);
  const badFlag = await run(['ui', '--bogus']);
  assert.equal(badFlag.code, 64);
  assert.doesNotMatch(badFlag.err, /\n\s+at /, 'no stack trace');
});

test('a capability that has not landed says so with exit 70', async () => {
  const r = await run(['demo']);
  assert.equal(r.code, 70);
  assert.match(r.err, /not available in this version/);
});
