/**
 * Desktop UI benchmark, browser mode (the same renderer and service as the Electron app):
 *
 *  1. Opening a 600-page PDF (Ghostscript) from the queue → the first page painted. Side by
 *     side: the I/O floor (fetching the file's bytes from the local bridge) and pdf.js alone
 *     (load + render page 1, as measured inside the viewer).
 *  2. Start → an interactive queue of 5,000 items: the reference server holds 5,000 open tasks
 *     for the user; "cold" = `kyso ui` started with an empty data folder, signed in with a
 *     password, until the queue shows 5,000 items; "warm" = `kyso ui` started again on the same
 *     data folder (local queue; browser mode signs in again) until the same. Then: one keystroke of search
 *     over 5,000 items until the list is redrawn, and the frame times while scrolling the list.
 *
 * `node --import tsx bench/ui-bench.ts` (after `npm run build`); results → docs/benchmarks-ui.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Page } from 'playwright-core';
import { startKysoServer } from '../src-server/app.js';
import { one } from '../src-server/db/adapter.js';
import { openDatabase } from '../src-server/db/open-db.js';
import { createDocument } from '../src-server/domain/documents.js';
import { engineInspector } from '../src-server/domain/engine-inspector.js';
import { DEMO_ORG, DEMO_PASSWORD, seedDemo } from '../src-server/seed/demo-seed.js';
import { minimalPdf } from '../src-server/seed/minimal-pdf.js';
import { BlobStore } from '../src-server/store/blob-store.js';
import { launchChromium } from '../test/helpers/browser.js';
import { makeGhostscriptPdf } from '../test/helpers/pdf-fixtures.js';

// Functions evaluated in the page.
declare const document: {
  querySelector(s: string): { getAttribute(n: string): string | null; scrollTop: number; scrollHeight: number } | null;
};
declare function requestAnimationFrame(cb: (t: number) => void): number;

const ITEMS = Number(process.env.KYSO_BENCH_ITEMS ?? 5000);
// Other jobs may share the machine: the 1-minute load average is reported with the results.
const loadAtStart = loadavg()[0]!;
const REPEATS = 5;

interface Row {
  measure: string;
  what: string;
  ms: number;
  note: string;
}
const rows: Row[] = [];
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function startUi(
  dataDir: string,
  env: Record<string, string>,
): Promise<{ url: string; child: ChildProcess; t0: number }> {
  const t0 = Date.now();
  const child = spawn(process.execPath, ['bin/kyso', 'ui', '--no-open'], {
    env: {
      ...process.env,
      KYSO_LANG: 'vi',
      KYSO_DATA_DIR: dataDir,
      KYSO_PKCS11_MODULE: '/nonexistent/none.so',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  return { url: url.trim(), child, t0 };
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function queueReady(page: Page, n: number): Promise<void> {
  await page
    .getByTestId('queue-count')
    .filter({ hasText: new RegExp(`^${n} / ${n} `) })
    .waitFor({ timeout: 600_000 });
}

const dir = await mkdtemp(join(tmpdir(), 'kyso-ui-bench-'));
const db = await openDatabase(join(dir, 'server.sqlite'));
const blobs = new BlobStore(join(dir, 'blobs'));
await seedDemo(db, blobs);
const duc = (await one<{ id: number }>(db, 'SELECT id FROM users WHERE username = ?', ['duc']))!.id;

// ---- the documents --------------------------------------------------------------------------
const big = await readFile(await makeGhostscriptPdf(dir, 600, 'big-600.pdf'));
await createDocument(db, blobs, {
  orgId: DEMO_ORG.id,
  title: 'Tài liệu 600 trang — Báo cáo tổng hợp',
  docType: 'CV',
  sender: { organisationId: DEMO_ORG.id, name: DEMO_ORG.name },
  urgency: 3,
  dueAt: null,
  pdf: big,
  createdBy: null,
  assignments: [{ userId: duc, action: 'approval', step: 1 }],
});
const t5 = Date.now();
const actions = ['approval', 'initials', 'issue', 'appendix', 'copy', 'received', 'directive'] as const;
for (let i = 0; i < ITEMS - 1; i++) {
  await createDocument(db, blobs, {
    orgId: DEMO_ORG.id,
    title: `Công văn số ${i + 1} về việc triển khai nhiệm vụ năm 2027 (mẫu đo hiệu năng)`,
    docType: 'CV',
    sender: { organisationId: i % 3 ? DEMO_ORG.id : '000.00.00.H26', name: i % 3 ? DEMO_ORG.name : 'UBND Hà Nội' },
    urgency: (i % 5) as 0 | 1 | 2 | 3 | 4,
    dueAt: Date.now() + ((i % 40) - 10) * 24 * 3600 * 1000,
    pdf: minimalPdf([`Cong van ${i + 1}`]),
    createdBy: null,
    assignments: [{ userId: duc, action: actions[i % actions.length]!, step: 1 }],
  });
}
process.stderr.write(`bench: ${ITEMS} documents created in ${((Date.now() - t5) / 1000).toFixed(1)} s\n`);
const server = await startKysoServer({ db, blobs, inspector: engineInspector, log: () => undefined }, { port: 0 });
const browser = await launchChromium();
const env = { KYSO_SERVER_URL: server.url, KYSO_SYNC_INTERVAL_MS: '60000' };
const appDir = join(dir, 'app');

// ---- 2a. cold start: empty data folder, sign in, first sync of 5,000 ---------------------------
let ui = await startUi(appDir, env);
let ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'vi-VN' });
let page = await ctx.newPage();
await page.goto(ui.url);
await page.getByTestId('signin').waitFor();
const tLogin = Date.now();
await page.getByText('Đăng nhập bằng tên và mật khẩu').click();
await page.getByTestId('signin-user').fill('duc');
await page.getByTestId('signin-password').fill(DEMO_PASSWORD);
await page.getByTestId('signin-password-submit').click();
await page.getByTestId('queue-count').waitFor({ timeout: 600_000 });
// Done when all ITEMS (plus the seed's tasks) are shown, unfiltered.
await page.waitForFunction(
  (n) => {
    const el = document.querySelector('[data-testid="queue-count"]') as unknown as { textContent: string } | null;
    const m = /^(\d+) \/ (\d+) /.exec(el?.textContent ?? '');
    return !!m && m[1] === m[2] && Number(m[2]) >= n;
  },
  ITEMS,
  { timeout: 600_000 },
);
const itemsShown = Number(/\/ (\d+)/.exec(await page.getByTestId('queue-count').innerText())?.[1] ?? 0);
rows.push({
  measure: `queue of ${itemsShown}`,
  what: 'cold: sign in (password) → first sync → queue shown',
  ms: Date.now() - tLogin,
  note: 'empty data folder; paged pull of the whole queue (engine, SQLite store)',
});
rows.push({
  measure: `queue of ${itemsShown}`,
  what: 'cold: process start → sign-in screen',
  ms: tLogin - ui.t0,
  note: 'kyso ui spawn, bridge, page load',
});
await ctx.close();
await stop(ui.child);

// ---- 2b. warm start: same data folder (stored session, local queue) ------------------------------
// Browser mode keeps the sign-in in memory only (docs/enterprise-config.md): a restarted `kyso ui`
// asks for it again, then shows the local queue and pulls only the delta. (The Electron app keeps
// the session in the OS keychain and skips the sign-in.)
const warm: number[] = [];
let warmSignIns = 0;
for (let r = 0; r < 3; r++) {
  ui = await startUi(appDir, env);
  ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'vi-VN' });
  page = await ctx.newPage();
  await page.goto(ui.url);
  await page.locator('[data-testid="signin"], [data-testid="queue-count"]').first().waitFor({ timeout: 600_000 });
  if (await page.getByTestId('signin').isVisible()) {
    warmSignIns++;
    await page.getByText('Đăng nhập bằng tên và mật khẩu').click();
    await page.getByTestId('signin-user').fill('duc');
    await page.getByTestId('signin-password').fill(DEMO_PASSWORD);
    await page.getByTestId('signin-password-submit').click();
  }
  await queueReady(page, itemsShown);
  warm.push(Date.now() - ui.t0);
  if (r < 2) {
    await ctx.close();
    await stop(ui.child);
  }
}
rows.push({
  measure: `queue of ${itemsShown}`,
  what: 'warm: process start → interactive queue',
  ms: median(warm),
  note: `median of 3 (${warm.join(', ')} ms); local queue in the store${warmSignIns ? `; includes the password sign-in (${warmSignIns}/3 runs): browser mode does not keep the session` : '; stored session'}`,
});

// Interactive: one keystroke of search redraws the list.
const search = page.getByTestId('queue-search');
const k: number[] = [];
for (const q of ['nhiem vu 2027', 'Hà Nội', 'so 4999', '']) {
  const t0 = Date.now();
  await search.fill(q);
  await page.waitForFunction(
    (want) =>
      (document.querySelector('[data-testid="queue-search"]') as unknown as { value: string }).value === want &&
      !!document.querySelector('[data-testid="queue-count"]'),
    q,
  );
  await page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
  k.push(Date.now() - t0);
}
rows.push({
  measure: `queue of ${itemsShown}`,
  what: 'search keystroke → list redrawn',
  ms: median(k),
  note: `median of 4 queries (${k.join(', ')} ms), folded Vietnamese search`,
});

// Smooth scrolling: frame times while the windowed list scrolls 60 frames.
// tsx (esbuild keepNames) wraps named inner functions in __name(); give the page a no-op one.
await page.evaluate('globalThis.__name = (f) => f');
const frames = await page.evaluate(async () => {
  const el = document.querySelector('[data-testid="queue-list"]')!;
  const times: number[] = [];
  let last = 0;
  await new Promise<void>((resolve) => {
    let n = 0;
    const step = (t: number): void => {
      if (last) times.push(t - last);
      last = t;
      el.scrollTop += 400;
      if (++n < 61) requestAnimationFrame(step);
      else resolve();
    };
    requestAnimationFrame(step);
  });
  return times.sort((a, b) => a - b);
});
rows.push({
  measure: `queue of ${itemsShown}`,
  what: 'scrolling: frame time p50 / p95',
  ms: Math.round(frames[Math.floor(frames.length * 0.95)]! * 10) / 10,
  note: `p50 ${frames[Math.floor(frames.length / 2)]!.toFixed(1)} ms, p95 shown; 400 px per frame, windowed list (headless Chromium, software rendering)`,
});

// ---- 1. the 600-page PDF ------------------------------------------------------------------------
const open: number[] = [];
const inViewer: number[] = [];
for (let r = 0; r < REPEATS; r++) {
  await page.getByTestId('nav-queue').click();
  await search.fill('600 trang');
  const row = page.getByTestId('queue-row').filter({ hasText: '600 trang' }).first();
  await row.waitFor();
  const t0 = Date.now();
  await row.locator('.row-main').click();
  const painted = page.locator('[data-first-paint-ms]');
  await painted.waitFor({ timeout: 120_000 });
  open.push(Date.now() - t0);
  inViewer.push(Number(await painted.getAttribute('data-first-paint-ms')));
  await page.getByTestId('doc-back').click();
}
rows.push({
  measure: `open ${big.length >> 10} KiB, 600 pages`,
  what: 'kyso: click in the queue → first page painted',
  ms: open[0]!,
  note: `first open (content from the local store); then median ${median(open.slice(1))} ms`,
});
rows.push({
  measure: `open ${big.length >> 10} KiB, 600 pages`,
  what: 'pdf.js alone: load + render page 1 (inside the viewer)',
  ms: median(inViewer),
  note: `median of ${REPEATS}`,
});
// I/O floor: the same bytes fetched from the bridge by the page (blob id from document.open).
await search.fill('600 trang');
const assignment = Number(
  await page.getByTestId('queue-row').filter({ hasText: '600 trang' }).first().getAttribute('data-assignment'),
);
const floor: number[] = [];
for (let r = 0; r < REPEATS; r++) {
  floor.push(
    await page.evaluate(async (assignmentId) => {
      const g = globalThis as unknown as {
        fetch: (u: string, i?: unknown) => Promise<{ json(): Promise<unknown>; arrayBuffer(): Promise<ArrayBuffer> }>;
      };
      const opened = (await (
        await g.fetch('./api/call/document.open', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ assignmentId }),
        })
      ).json()) as { value: { blobId: string } };
      const t0 = performance.now();
      await (await g.fetch(`./api/blob/${opened.value.blobId}`)).arrayBuffer();
      return performance.now() - t0;
    }, assignment),
  );
}
rows.push({
  measure: `open ${big.length >> 10} KiB, 600 pages`,
  what: 'floor: fetch the bytes from the bridge',
  ms: Math.round(median(floor) * 10) / 10,
  note: `median of ${REPEATS}; sha256 ${createHash('sha256').update(big).digest('hex').slice(0, 12)}…`,
});

await browser.close();
await stop(ui.child);
await server.close();
await db.close();
await rm(dir, { recursive: true, force: true });

// ---- report ---------------------------------------------------------------------------------------
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
const table = [
  '| measure | what | ms | note |',
  '| --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.measure} | ${r.what} | ${r.ms} | ${r.note} |`),
].join('\n');
const doc = `# UI benchmarks

Written by \`node --import tsx bench/ui-bench.ts\` (after \`npm run build\`); do not edit by hand.
Browser mode (\`kyso ui\` + headless Debian Chromium via playwright-core): the same renderer and
service as the Electron app. ${new Date().toISOString().slice(0, 10)} on ${machine}; 1-minute load
average ${loadAtStart.toFixed(2)} before the run (above ~0.5, other jobs were sharing the cores: read the
times as upper bounds).

${table}

- **Opening a 600-page PDF**: the viewer asks pdf.js for page 1 only and lays the other 599 out
  as placeholders of page 1's size; a page is drawn when it scrolls near the view and dropped when
  it leaves; thumbnails start 150 ms after, and only for the ones in view. The floor is the time
  to fetch the bytes over the local bridge; pdf.js alone is what the viewer measures from mount to
  page 1 on the canvas.
- **The queue**: the whole list (about 3 MB of JSON for 5,000 items) crosses the bridge once and is
  filtered in the page (an index of folded text is built once); only the rows in view (plus 6) are
  in the DOM. Cold includes the engine's paged pull of 5,000 items from the server into SQLite and
  the background prefetch of their content starting meanwhile.
- Tests never assert these times; this page is where they are watched.
`;
await writeFile('docs/benchmarks-ui.md', doc);
console.log(table);
