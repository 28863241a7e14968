/**
 * Mutation fuzzer for the PDF reader and the validator (Jazzer.js does not load on this glibc, so
 * this is our own loop). Seeds are real files from several producers plus signed ones; each
 * round mutates a seed (bit flips, byte runs, deletions, duplications, number tweaks, splices,
 * truncation), then runs what an untrusted PDF meets: PdfReader.open, pageCount/pageAt/pages,
 * listSignatures, and verifyPdf offline. Expected failures are typed (PdfReadError, KysoError,
 * …); anything else is a crash, a round over the time budget is a hang, and the heap is watched
 * for blow-ups. Findings are saved under test/fuzz-regressions/ and replayed by a unit test.
 *
 *   node --import tsx fuzz/fuzz-pdf.ts --minutes 30 [--seed 42]
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { runTarget, isExpectedError } from './target.js';
import { makeSeeds } from './seeds.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '1' },
    seed: { type: 'string', default: String(Date.now()) },
    out: { type: 'string', default: 'test/fuzz-regressions' },
  },
});
let rng = Number(values.seed) >>> 0 || 1;
const rand = (n: number): number => {
  // xorshift32: reproducible from --seed.
  rng ^= rng << 13;
  rng ^= rng >>> 17;
  rng ^= rng << 5;
  return (rng >>> 0) % Math.max(1, n);
};

const INTERESTING = [
  '0',
  '-1',
  '4294967295',
  '99999999999',
  '2147483648',
  '1e308',
  'R',
  'obj',
  'endobj',
  'stream',
  '<<',
  '>>',
  '[',
  ']',
  '/Prev',
  '/Length',
  '/Size',
  '/XRefStm',
  '/ByteRange',
  '/Contents',
  'null',
  '%%EOF',
  'startxref',
  'xref',
];

function mutate(seed: Buffer, other: Buffer): Buffer {
  let b = Buffer.from(seed);
  const rounds = 1 + rand(4);
  for (let r = 0; r < rounds; r++) {
    const pos = rand(b.length);
    switch (rand(9)) {
      case 0: // bit flip
        b[pos] = b[pos]! ^ (1 << rand(8));
        break;
      case 1: {
        // random bytes
        const n = 1 + rand(16);
        for (let i = 0; i < n && pos + i < b.length; i++) b[pos + i] = rand(256);
        break;
      }
      case 2: // delete a run
        b = Buffer.concat([b.subarray(0, pos), b.subarray(Math.min(b.length, pos + 1 + rand(64)))]);
        break;
      case 3: {
        // duplicate a run
        const n = 1 + rand(256);
        b = Buffer.concat([b.subarray(0, pos), b.subarray(pos, pos + n), b.subarray(pos)]);
        break;
      }
      case 4: {
        // insert an interesting token
        const tok = Buffer.from(` ${INTERESTING[rand(INTERESTING.length)]!} `, 'latin1');
        b = Buffer.concat([b.subarray(0, pos), tok, b.subarray(pos)]);
        break;
      }
      case 5: {
        // tweak a number near pos
        const s = b.toString('latin1');
        const re = /\d+/g;
        re.lastIndex = pos;
        const m = re.exec(s);
        if (m) {
          const v = [
            String(Number(m[0]) + 1),
            String(Math.max(0, Number(m[0]) - 1)),
            '0',
            '999999999',
            String(Number(m[0]) * 2),
          ][rand(5)]!;
          b = Buffer.from(s.slice(0, m.index) + v + s.slice(m.index + m[0].length), 'latin1');
        }
        break;
      }
      case 6: // truncate
        b = b.subarray(0, Math.max(1, pos));
        break;
      case 7: {
        // splice from another seed
        const o = rand(other.length);
        b = Buffer.concat([b.subarray(0, pos), other.subarray(o, o + 1 + rand(512)), b.subarray(pos)]);
        break;
      }
      default: {
        // point the last startxref somewhere else
        const s = b.toString('latin1');
        const i = s.lastIndexOf('startxref');
        if (i >= 0) b = Buffer.from(s.slice(0, i) + `startxref\n${rand(b.length)}\n%%EOF\n`, 'latin1');
      }
    }
  }
  return b;
}

async function main(): Promise<void> {
  const minutes = Number(values.minutes);
  const work = await mkdtemp(join(tmpdir(), 'kyso-fuzz-'));
  await mkdir(values.out, { recursive: true });
  const seeds = await makeSeeds(work);
  const deadline = Date.now() + minutes * 60000;
  const stats = {
    runs: 0,
    expected: 0,
    ok: 0,
    crashes: 0,
    hangs: 0,
    slowestMs: 0,
    maxHeapMb: 0,
    distinctErrors: new Set<string>(),
  };
  const file = join(work, 'input.pdf');
  const t0 = performance.now();
  while (Date.now() < deadline) {
    const seed = seeds[rand(seeds.length)]!;
    const input = mutate(seed, seeds[rand(seeds.length)]!);
    await writeFile(file, input);
    const start = performance.now();
    let finding: string | null = null;
    try {
      await runTarget(file);
      stats.ok++;
    } catch (e) {
      if (isExpectedError(e)) {
        stats.expected++;
        stats.distinctErrors.add((e as Error).message.replace(/\d+/g, 'N').slice(0, 80));
      } else finding = `crash: ${(e as Error)?.stack ?? String(e)}`;
    }
    const ms = performance.now() - start;
    stats.slowestMs = Math.max(stats.slowestMs, ms);
    if (!finding && ms > 5000) finding = `hang: ${ms.toFixed(0)} ms`;
    const heap = process.memoryUsage().heapUsed / 2 ** 20;
    stats.maxHeapMb = Math.max(stats.maxHeapMb, heap);
    if (!finding && heap > 1024) finding = `memory: ${heap.toFixed(0)} MB heap`;
    if (finding) {
      const name = createHash('sha256').update(input).digest('hex').slice(0, 16);
      await writeFile(join(values.out, `${name}.pdf`), input);
      await writeFile(join(values.out, `${name}.txt`), `${finding}\n`);
      if (finding.startsWith('crash')) stats.crashes++;
      else stats.hangs++;
      process.stderr.write(`FINDING ${name}: ${finding.split('\n')[0]}\n`);
    }
    stats.runs++;
    if (stats.runs % 500 === 0) {
      process.stderr.write(
        `${stats.runs} runs, ${(stats.runs / ((performance.now() - t0) / 1000)).toFixed(1)}/s, crashes ${stats.crashes}, hangs ${stats.hangs}\n`,
      );
    }
  }
  const secs = (performance.now() - t0) / 1000;
  const summary = {
    seed: values.seed,
    minutes,
    runs: stats.runs,
    perSecond: Number((stats.runs / secs).toFixed(1)),
    parsedFine: stats.ok,
    rejectedWithTypedError: stats.expected,
    distinctRejections: stats.distinctErrors.size,
    crashes: stats.crashes,
    hangsOrBlowups: stats.hangs,
    slowestMs: Math.round(stats.slowestMs),
    maxHeapMb: Math.round(stats.maxHeapMb),
    seeds: seeds.length,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  await rm(work, { recursive: true, force: true });
  void readdir;
  void readFile;
}

void main();
