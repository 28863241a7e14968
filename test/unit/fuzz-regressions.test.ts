// Every input the fuzzer (fuzz/fuzz-pdf.ts) ever flagged as a crash, hang or blow-up is kept in
// test/fuzz-regressions/ and must now end normally or with a typed error, quickly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isExpectedError, runTarget } from '../../fuzz/target.js';

const dir = 'test/fuzz-regressions';
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.pdf'))
  .sort();

test('the regression corpus is not empty', () => assert.ok(files.length > 0));

for (const f of files) {
  const why = readFileSync(join(dir, f.replace(/\.pdf$/, '.txt')), 'utf8').split('\n')[0];
  test(`${f}: ${why}`, async () => {
    const t0 = performance.now();
    try {
      await runTarget(join(dir, f));
    } catch (e) {
      assert.ok(isExpectedError(e), `untyped failure: ${(e as Error).stack ?? String(e)}`);
    }
    // A hang was > 5 s in the fuzzer; a generous bound here keeps the test meaningful, not flaky.
    assert.ok(performance.now() - t0 < 20000, 'no hang');
  });
}
