// The desktop app in browser mode, end to end, against real services: the reference server with
// the engine's upload inspector, a SoftHSM2 token behind the fault module, an openssl TSA, the
// built `kyso ui`, Chromium. Screens are captured in Vietnamese and English (set
// KYSO_SCREENSHOTS_DIR=docs/screenshots to refresh the committed ones). Near the end: a second
// `kyso ui` under an enterprise preset with locked settings, and a scan of both data folders
// and their logs for every secret the run used.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { one } from '../../src-server/db/adapter.js';
import { recallDocument } from '../../src-server/domain/documents.js';
import { DEMO_PASSWORD } from '../../src-server/seed/demo-seed.js';
import { chromiumAvailable } from '../helpers/browser.js';
import { kysoBuilt, startKysoUi } from '../helpers/kyso-process.js';
import { startHarness, type Harness } from './harness.js';

// Functions passed to page.waitForFunction/evaluate run in the page; these are the names they use there.
interface PageElement {
  offsetParent: unknown;
  outerHTML: string;
  getAttribute(n: string): string | null;
  hasAttribute(n: string): boolean;
  getBoundingClientRect(): { height: number };
}
declare const document: {
  querySelector(s: string): PageElement | null;
  querySelectorAll(s: string): ArrayLike<PageElement> & Iterable<PageElement>;
  documentElement: { scrollWidth: number };
};
declare const window: { innerWidth: number };

const SHOTS = process.env.KYSO_SCREENSHOTS_DIR ?? 'test-results/screenshots';
const PIN = '12345678';
let h: Harness;
let page: Page;
const docs: Record<string, string[]> = {};
const consoleErrors: string[] = [];

async function shot(p: Page, name: string): Promise<void> {
  await p.waitForTimeout(400);
  await p.screenshot({ path: join(SHOTS, `${name}.png`) });
}

async function openByTitle(p: Page, title: string): Promise<void> {
  await p.getByTestId('nav-queue').click();
  await p.getByTestId('queue-search').fill(title);
  await p.getByTestId('queue-row').filter({ hasText: title }).first().locator('.row-main').click();
  await p.getByTestId('doc-actions').waitFor();
}

async function waitBatch(p: Page): Promise<string> {
  const batch = p.getByTestId('batch');
  await batch.waitFor();
  await p.waitForFunction(
    () => document.querySelector('[data-testid="batch"]')?.getAttribute('data-state') !== 'running',
    null,
    {
      timeout: 90000,
    },
  );
  return (await batch.getAttribute('data-state')) ?? '';
}

/** Results move on from "signed" to "uploaded" as the server acknowledges each file. */
async function settled(p: Page, expected: string[]): Promise<string[]> {
  const deadline = Date.now() + 30000;
  let now = await statuses(p);
  while (JSON.stringify(now) !== JSON.stringify(expected) && Date.now() < deadline) {
    await p.waitForTimeout(200);
    now = await statuses(p);
  }
  return now;
}

async function statuses(p: Page): Promise<string[]> {
  return p.getByTestId('batch-result').evaluateAll((els) => els.map((e) => e.getAttribute('data-status') ?? ''));
}

before(async () => {
  assert.ok(chromiumAvailable(), 'Chromium is required for e2e tests (apt-get install chromium)');
  assert.ok(kysoBuilt(), 'run "npm run build" first');
  await mkdir(SHOTS, { recursive: true });
  h = await startHarness();
  docs.approve = await h.addDocuments(1, () => 'Quyết định ban hành Quy chế ký số văn bản điện tử', [
    [['duc', 'approval']],
    [['lan', 'issue']],
  ]);
  docs.batch = await h.addDocuments(
    20,
    (i) => `Lô ký số ${String(i + 1).padStart(2, '0')} — Quyết định phân bổ dự toán`,
    [[['duc', 'approval']]],
  );
  docs.removal = await h.addDocuments(4, (i) => `Rút thiết bị ${i + 1} — Công văn hướng dẫn`, [[['duc', 'approval']]]);
  docs.offline = await h.addDocuments(1, () => 'Ký khi mất mạng — Tờ trình kế hoạch năm 2027', [[['duc', 'approval']]]);
  docs.conflict = await h.addDocuments(1, () => 'Bị thu hồi khi đang ký — Công văn số liệu quý IV', [
    [['duc', 'approval']],
  ]);
  docs.english = await h.addDocuments(3, (i) => `English run ${i + 1} — Quyết định`, [[['duc', 'approval']]]);
  page = await h.newPage('vi');
  page.setDefaultTimeout(15000);
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
});

after(async () => {
  await h?.close();
});

test('opens in Vietnamese, shows the token live, and signs in with the token', async () => {
  await page.goto(h.uiUrl);
  assert.equal(new URL(page.url()).pathname, '/', 'the one-time secret leaves the address bar');
  assert.equal(await page.locator('html').getAttribute('lang'), 'vi');
  await page.getByTestId('token-holder').waitFor();
  // The token carries two personal certificates and the organisation's; the leader's is chosen.
  await page.getByTestId('cert-select').selectOption('01');
  assert.equal(await page.getByTestId('token-holder').innerText(), 'Nguyễn Văn Đức');
  assert.match(await page.getByTestId('cert-expiry').innerText(), /Hiệu lực đến/);
  assert.match(await page.getByTestId('pin-state').innerText(), /bình thường/);
  await shot(page, 'signin-vi');

  // Hot-plug: pulling the token out shows at once (events pushed to the page), and back in.
  h.configureToken({ present: 0 });
  await page.getByTestId('token-status').getByText('Chưa cắm thiết bị ký số').waitFor({ timeout: 5000 });
  await shot(page, 'token-absent-vi');
  h.configureToken({});
  await page.getByTestId('token-holder').waitFor({ timeout: 5000 });

  await page.getByTestId('signin-pin').fill(PIN);
  await page.getByTestId('signin-token').click();
  await page.getByTestId('queue-list').waitFor();
  assert.match((await page.getByTestId('sync-state').getAttribute('title')) ?? '', /Nguyễn Văn Đức \(Lãnh đạo\)/);
  assert.match(await page.getByTestId('queue-count').innerText(), /\d+ \/ \d+ văn bản/);
  await shot(page, 'queue-vi');
});

test('queue: grouped by action, filters and search', async () => {
  const all = Number(await page.getByTestId('queue-list').getAttribute('data-rows'));
  assert.ok(all > 30, `rows with group headings: ${all}`);
  await page.getByTestId('tab-directive').click();
  assert.equal(await page.getByTestId('queue-row').count(), 1);
  await page.getByTestId('tab-all').click();
  await page.getByTestId('queue-search').fill('lo ky so'); // without diacritics
  await page
    .getByTestId('queue-count')
    .filter({ hasText: /^20 \// })
    .waitFor();
  await page.getByTestId('queue-search').fill('');
});

test('open → signatures panel and stamp preview → wrong PIN shows tries left → approve → server has the signed version', async () => {
  await openByTitle(page, 'Quyết định ban hành Quy chế ký số');
  await page.getByTestId('stamp-box').waitFor();
  await page.getByTestId('verdict').waitFor();
  assert.equal(await page.getByTestId('verdict').getAttribute('data-verdict'), 'none');
  await page.locator('.page-canvas').first().waitFor();
  await page.waitForFunction(() =>
    document.querySelector('[data-testid="viewer-pages"]')?.hasAttribute('data-first-paint-ms'),
  );
  // Find, zoom, rotate work on the real document.
  await page.getByTestId('viewer-find').fill('Nguyễn Văn Đức');
  await page.getByTestId('viewer-find').press('Enter');
  await page.getByTestId('viewer-find-result').filter({ hasText: '1/1' }).waitFor();
  await shot(page, 'document-vi');

  // The stamp can be dragged; the new position goes with the signature.
  const box = (await page.getByTestId('stamp-box').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 - 30, box.y + box.height / 2 - 10, { steps: 4 });
  await page.mouse.up();
  await page.getByText('Đã chọn vị trí khác.').waitFor();

  await page.getByTestId('primary-action').click();
  await page.getByTestId('sign-dialog').waitFor();
  await shot(page, 'sign-pin-vi');
  await page.getByTestId('pin-input').fill('00000000');
  await page.getByTestId('sign-submit').click();
  await page.getByTestId('sign-error').waitFor();
  assert.match(await page.getByTestId('sign-error').innerText(), /Mã PIN không đúng\. Số lần thử còn lại đã giảm/);
  await page.getByTestId('pin-state').filter({ hasText: 'đã nhập sai' }).waitFor();
  await page.getByTestId('pin-input').fill('11111111');
  await page.getByTestId('sign-submit').click();
  await page.getByTestId('sign-error').filter({ hasText: 'CHỈ CÒN MỘT LẦN THỬ' }).waitFor();
  await page.getByTestId('pin-state').filter({ hasText: 'CHỈ CÒN 1 LẦN THỬ' }).waitFor();
  await shot(page, 'sign-final-try-vi');

  await page.getByTestId('pin-input').fill(PIN);
  await page.getByTestId('sign-submit').click();
  assert.equal(await waitBatch(page), 'done');
  assert.deepEqual(await settled(page, ['uploaded']), ['uploaded']);
  await shot(page, 'sign-done-vi');
  await page.getByTestId('batch-close').click();
  assert.equal(await h.versions(docs.approve![0]!), 2, 'the server recorded the signed version');
  const sig = await one<{ action: string; signer_kind: string }>(
    h.db,
    'SELECT action, signer_kind FROM signatures WHERE document_id = ? AND version = 2',
    [docs.approve![0]!],
  );
  assert.deepEqual({ ...sig }, { action: 'approval', signer_kind: 'personal' });
  assert.match(await page.getByTestId('pin-state').innerText(), /bình thường/, 'a good PIN resets the tries');
});

test('batch of 20 with one PIN and a progress bar', async () => {
  h.configureToken({ sign_latency_ms: 120 });
  await page.getByTestId('nav-queue').click();
  await page.getByTestId('queue-search').fill('Lô ký số');
  await page
    .getByTestId('queue-count')
    .filter({ hasText: /^20 \// })
    .waitFor();
  await page.getByLabel('Chọn tất cả văn bản đang hiện').check();
  assert.match(await page.getByTestId('sign-selected').innerText(), /Ký 20 văn bản/);
  await page.keyboard.press('Control+Enter');
  await page.getByTestId('pin-input').fill(PIN);
  await page.getByTestId('sign-submit').click();
  const bar = page.getByRole('progressbar');
  await bar.waitFor();
  const seen = new Set<string>();
  while ((await page.getByTestId('batch').getAttribute('data-state')) === 'running') {
    seen.add((await bar.getAttribute('aria-valuenow')) ?? '');
    if (seen.size === 3) await shot(page, 'sign-batch-progress-vi');
    await page.waitForTimeout(100);
  }
  assert.ok(seen.size >= 3, `the progress bar moved: ${[...seen].join(',')}`);
  assert.equal(await waitBatch(page), 'done');
  assert.equal(await bar.getAttribute('aria-valuenow'), '20');
  assert.deepEqual(await settled(page, Array(20).fill('uploaded')), Array(20).fill('uploaded'));
  await shot(page, 'sign-batch-done-vi');
  await page.getByTestId('batch-close').click();
  for (const id of docs.batch!) assert.equal(await h.versions(id), 2);
});

test('token removed mid-batch stops cleanly with a clear message', async () => {
  h.configureToken({ remove_after_signs: 2 });
  await page.getByTestId('nav-queue').click();
  await page.getByTestId('queue-search').fill('Rút thiết bị');
  await page.getByTestId('queue-count').filter({ hasText: /^4 \// }).waitFor();
  await page.getByLabel('Chọn tất cả văn bản đang hiện').check();
  await page.getByTestId('sign-selected').click();
  await page.getByTestId('pin-input').fill(PIN);
  await page.getByTestId('sign-submit').click();
  assert.equal(await waitBatch(page), 'stopped');
  assert.match(await page.getByTestId('batch-stopped').innerText(), /Thiết bị ký số đã bị rút ra/);
  assert.deepEqual(await settled(page, ['uploaded', 'uploaded', 'failed', 'cancelled']), [
    'uploaded',
    'uploaded',
    'failed',
    'cancelled',
  ]);
  await page.getByTestId('token-status').getByText('Chưa cắm thiết bị ký số').waitFor({ timeout: 5000 });
  await shot(page, 'sign-token-removed-vi');
  await page.getByTestId('batch-close').click();
  assert.deepEqual(await Promise.all(docs.removal!.map((id) => h.versions(id))), [2, 2, 1, 1]);
  h.configureToken({});
  await page.getByTestId('token-holder').waitFor({ timeout: 5000 });
});

test('sign offline → reconnect → uploaded once; a recall meanwhile becomes a conflict with the server reason', async () => {
  await h.stopServer();
  for (const title of ['Ký khi mất mạng', 'Bị thu hồi khi đang ký']) {
    await openByTitle(page, title);
    await page.getByTestId('primary-action').click();
    await page.getByTestId('pin-input').fill(PIN);
    await page.getByTestId('sign-submit').click();
    assert.equal(await waitBatch(page), 'done');
    assert.deepEqual(await statuses(page), ['signed'], 'signed and kept for upload');
    await page.getByTestId('batch-close').click();
  }
  await page.getByTestId('sync-state').filter({ hasText: 'Mất kết nối máy chủ' }).waitFor();
  await page.getByTestId('nav-outbox').click();
  await page.getByTestId('outbox-entry').first().waitFor();
  await page.waitForFunction(
    () => document.querySelectorAll('[data-testid="outbox-entry"][data-state="pending"]').length === 2,
  );
  await shot(page, 'outbox-offline-vi');

  await recallDocument(h.db, docs.conflict![0]!, 'Văn bản ban hành nhầm; đã thay bằng văn bản khác.', Date.now());
  await h.startServer();
  await page.waitForFunction(
    () =>
      document.querySelectorAll('[data-testid="outbox-entry"][data-state="uploaded"]').length >= 1 &&
      document.querySelectorAll('[data-testid="outbox-entry"][data-state="conflict"]').length === 1,
    null,
    { timeout: 20000 },
  );
  const problem = await page.getByTestId('outbox-problem').innerText();
  assert.match(problem, /thu hồi/i, problem);
  assert.match(problem, /DOCUMENT_RECALLED/);
  assert.match(problem, /bỏ bản đã ký/);
  await shot(page, 'outbox-vi');
  // Uploaded exactly once, even after retries in the sync loop.
  await page.waitForTimeout(2500);
  assert.equal(await h.versions(docs.offline![0]!), 2);
  assert.equal(await h.versions(docs.conflict![0]!), 1);
  await page.getByTestId('sync-state').filter({ hasText: 'Đã đồng bộ' }).waitFor();
});

test('a tampered file shows a failed verdict with its reason', async () => {
  const v = await one<{ sha256: string }>(
    h.db,
    'SELECT sha256 FROM document_versions WHERE document_id = ? AND version = 2',
    [docs.approve![0]!],
  );
  const signed = await readFile(h.blobs.pathOf(v!.sha256));
  const good = join(h.dir, 'da-ky.pdf');
  await writeFile(good, signed);
  await page.getByTestId('nav-verify').click();
  await page.getByTestId('verify-input').setInputFiles(good);
  await page.getByTestId('verdict').waitFor();
  assert.notEqual(await page.getByTestId('verdict').getAttribute('data-verdict'), 'failed');
  await shot(page, 'verify-signed-vi');

  // Change one letter of the document information (Chromium's /Producer), inside the signed
  // bytes: the file still opens and looks the same, but the signature no longer matches.
  const tampered = Buffer.from(signed);
  const at = tampered.indexOf('Skia');
  assert.ok(at > 0 && at < tampered.length / 2, 'the producer string is in the signed part');
  tampered[at] = 'Z'.charCodeAt(0);
  const bad = join(h.dir, 'bi-sua.pdf');
  await writeFile(bad, tampered);
  await page.getByTestId('verify-input').setInputFiles(bad);
  await page.getByTestId('verdict').and(page.locator('[data-verdict="failed"]')).waitFor();
  const reasons = await page.getByTestId('sig-reasons').first().innerText();
  assert.match(reasons, /thay đổi sau khi ký|không khớp/, reasons);
  await shot(page, 'verify-tampered-vi');
});

test('settings (images with preview) and diagnostics with a support bundle without secrets', async () => {
  await page.getByTestId('nav-settings').click();
  await page.getByTestId('settings-save').waitFor();
  const { demoSealPng, demoSignaturePng } = await import('../../src-core/service/demo-kit.js');
  await writeFile(join(h.dir, 'chu-ky.png'), demoSignaturePng());
  await writeFile(join(h.dir, 'con-dau.png'), demoSealPng());
  await page.getByTestId('image-input-signature').setInputFiles(join(h.dir, 'chu-ky.png'));
  await page.getByTestId('image-signature').locator('img').waitFor();
  await page.getByTestId('image-input-seal').setInputFiles(join(h.dir, 'con-dau.png'));
  await page.getByTestId('image-seal').locator('img').waitFor();
  await shot(page, 'settings-vi');

  await page.getByTestId('nav-diagnostics').click();
  await page.getByTestId('diag-modules').waitFor();
  assert.match(await page.getByTestId('diag-modules').innerText(), /libkyso-fault/);
  assert.match(await page.getByTestId('diag-checks').innerText(), /kết nối được/);
  await page.getByTestId('diag-bundle').click();
  const download = page.waitForEvent('download');
  await page.getByTestId('diag-bundle-link').click();
  const file = await (await download).path();
  const { gunzipSync } = await import('node:zlib');
  const text = gunzipSync(await readFile(file!)).toString('utf8');
  assert.match(text, /kyso-support-bundle/);
  assert.doesNotMatch(text, new RegExp(PIN));
  assert.doesNotMatch(text, /accessToken|refreshToken|Bearer/);
  await shot(page, 'diagnostics-vi');
  assert.deepEqual(consoleErrors, [], 'no console errors (CSP violations show up here)');
});

test('clerk issues with a number and date from the server', async () => {
  await page.getByTestId('logout').click();
  await page.getByTestId('signin').waitFor();
  await page.getByTestId('cert-select').selectOption({ label: 'Bộ Tài chính (tổ chức)' });
  await page.getByTestId('signin-pin').fill(PIN);
  await page.getByTestId('signin-token').click();
  await page.getByTestId('session-user').filter({ hasText: 'Phạm Thị Lan' }).waitFor();
  await openByTitle(page, 'Quyết định ban hành Quy chế ký số');
  await page.getByTestId('signature').first().waitFor();
  await page.getByTestId('issue-number').click();
  const issued = await page.getByTestId('issued-number').innerText();
  assert.match(issued, /Số: 01\/QĐ-BTC, ngày \d\d\/\d\d\/\d{4}/, issued);
  await shot(page, 'document-issue-vi');
  await page.getByTestId('primary-action').click();
  await page.getByTestId('pin-input').fill(PIN);
  await page.getByTestId('sign-submit').click();
  assert.equal(await waitBatch(page), 'done');
  await settled(page, ['uploaded']);
  const issuedRow = await page.getByTestId('batch-result').innerText();
  assert.deepEqual(await statuses(page), ['uploaded'], issuedRow);
  assert.match(issuedRow, /số 01\/QĐ-BTC/);
  await page.getByTestId('batch-close').click();
  const d = await one<{ notation: string; current_version: number }>(
    h.db,
    'SELECT notation, current_version FROM documents WHERE id = ?',
    [docs.approve![0]!],
  );
  assert.deepEqual({ ...d }, { notation: '01/QĐ-BTC', current_version: 3 });
  const sig = await one<{ signer_kind: string }>(
    h.db,
    "SELECT signer_kind FROM signatures WHERE document_id = ? AND action = 'issue'",
    [docs.approve![0]!],
  );
  assert.equal(sig?.signer_kind, 'organisation');
});

test('English: every screen, the batch progress and a stopped batch', async () => {
  // The bridge's session cookie belongs to the first browser context (the launch link is one-time).
  const p = await page.context().newPage();
  await p.setViewportSize({ width: 1280, height: 800 });
  await p.goto(new URL('/', h.uiUrl).toString());
  await p.getByLabel('Ngôn ngữ').selectOption('en');
  await p.getByText('Documents waiting').first().waitFor();
  assert.equal(await p.locator('html').getAttribute('lang'), 'en');
  await p.getByTestId('logout').click();
  await p.getByTestId('cert-select').selectOption('01');
  await shot(p, 'signin-en');
  await p.getByTestId('signin-pin').fill(PIN);
  await p.getByTestId('signin-token').click();
  await p.getByTestId('queue-list').waitFor();
  await shot(p, 'queue-en');

  await openByTitle(p, 'English run 1');
  await p.getByTestId('verdict').waitFor();
  await shot(p, 'document-en');
  await p.getByTestId('primary-action').click();
  await p.getByTestId('pin-input').fill('00000000');
  await p.getByTestId('sign-submit').click();
  await p.getByTestId('sign-error').waitFor();
  assert.match(await p.getByTestId('sign-error').innerText(), /Wrong PIN\. The remaining tries have gone down/);
  await shot(p, 'sign-pin-en');
  await p.getByRole('button', { name: 'Cancel' }).click();

  h.configureToken({ remove_after_signs: 1, sign_latency_ms: 400 });
  await p.getByTestId('nav-queue').click();
  await p.getByTestId('queue-search').fill('English run');
  await p
    .getByTestId('queue-count')
    .filter({ hasText: /^3 of / })
    .waitFor();
  await p.getByLabel('Select all shown documents').check();
  await p.getByTestId('sign-selected').click();
  await p.getByTestId('pin-input').fill(PIN);
  await p.getByTestId('sign-submit').click();
  await p.getByTestId('batch-result').filter({ hasText: 'signing…' }).waitFor();
  await shot(p, 'sign-batch-progress-en');
  assert.equal(await waitBatch(p), 'stopped');
  assert.match(await p.getByTestId('batch-stopped').innerText(), /The signing token was removed/);
  await shot(p, 'sign-token-removed-en');
  await p.getByTestId('batch-close').click();
  h.configureToken({});
  await p.getByTestId('token-holder').waitFor({ timeout: 5000 });

  await p.getByTestId('nav-outbox').click();
  await p.getByTestId('outbox-entry').first().waitFor();
  await shot(p, 'outbox-en');
  await p.getByTestId('nav-verify').click();
  await p.getByTestId('verify-input').setInputFiles(join(h.dir, 'bi-sua.pdf'));
  await p.getByTestId('verdict').waitFor();
  await shot(p, 'verify-tampered-en');
  await p.getByTestId('nav-settings').click();
  await p.getByTestId('image-seal').locator('img').waitFor();
  await shot(p, 'settings-en');
  await p.getByTestId('nav-diagnostics').click();
  await p.getByTestId('diag-modules').waitFor();
  await shot(p, 'diagnostics-en');
  await p.keyboard.press('F1');
  await p.getByRole('dialog').waitFor();
  await shot(p, 'shortcuts-en');
  await p.keyboard.press('Escape');
});

test('tablet sizes: 1024×600 fits, touch targets are at least 40 px', async () => {
  const p = await page.context().newPage();
  await p.setViewportSize({ width: 1024, height: 600 });
  await p.goto(new URL('/', h.uiUrl).toString());
  await p.getByTestId('queue-list').waitFor();
  const small = await p.evaluate(() =>
    [...document.querySelectorAll('button, select, input[type="search"], input[type="password"], .check')]
      .filter((e) => e.offsetParent !== null)
      .map((e) => ({ e: e.outerHTML.slice(0, 60), h: e.getBoundingClientRect().height }))
      .filter((x) => x.h < 39.5),
  );
  assert.deepEqual(small, []);
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  assert.equal(overflow, false, 'no horizontal scrolling at 1024 px');
  await shot(p, 'queue-1024x600-en');
  await p.close();
});

// ---- enterprise preset ------------------------------------------------------------------------

const MANAGED = (): string => join(h.dir, 'app-managed');

test('enterprise preset: the locked server and revocation mode are read-only, and refused even through the API', async () => {
  const presetFile = join(h.dir, 'enterprise.json');
  const serverUrl = `http://127.0.0.1:${h.serverPort}`;
  await writeFile(
    presetFile,
    JSON.stringify(
      {
        version: 1,
        settings: { serverUrl, revocationMode: 'offline', tsaUrl: h.tsa.url },
        locked: ['serverUrl', 'revocationMode'],
      },
      null,
      2,
    ),
  );
  // The environment points elsewhere: the locked preset wins over it.
  const ui = await startKysoUi({
    KYSO_DATA_DIR: MANAGED(),
    KYSO_ENTERPRISE_CONFIG: presetFile,
    KYSO_LANG: 'vi',
    KYSO_SERVER_URL: 'http://127.0.0.1:9',
    KYSO_OFFLINE: '0',
    KYSO_TRUST_FILES: h.token.pki.files.rootPem,
    KYSO_PKCS11_MODULE: h.token.module,
  });
  const p = await h.newPage('vi');
  p.setDefaultTimeout(15000);
  try {
    await p.goto(ui.url);
    await p.getByTestId('signin').locator('summary').click();
    await p.getByTestId('signin-user').fill('duc');
    await p.getByTestId('signin-password').fill(DEMO_PASSWORD);
    await p.getByTestId('signin-password-submit').click();
    await p.getByTestId('queue-list').waitFor();

    await p.getByTestId('nav-settings').click();
    await p.getByTestId('locked-serverUrl').waitFor();
    assert.equal(await p.getByTestId('locked-serverUrl').innerText(), 'Do bộ phận CNTT thiết lập');
    assert.equal(await p.getByTestId('locked-revocationMode').innerText(), 'Do bộ phận CNTT thiết lập');
    assert.match(await p.getByTestId('settings-locked-note').innerText(), /do bộ phận CNTT thiết lập/);
    assert.equal(await p.getByTestId('set-server').inputValue(), serverUrl);
    assert.equal(await p.getByTestId('set-server').getAttribute('readonly'), '');
    await assert.rejects(
      p.getByTestId('set-server').fill('https://evil.example/', { timeout: 1000 }),
      /not editable/,
      'the field takes no typing',
    );
    assert.equal(await p.locator('input[name="revocation"][value="offline"]').isChecked(), true);
    assert.equal(await p.locator('input[name="revocation"][value="online"]').isDisabled(), true);
    // A preset value that is not locked is a default the user may change.
    assert.equal(await p.getByTestId('locked-tsaUrl').count(), 0);
    assert.equal(await p.getByTestId('set-tsa').getAttribute('readonly'), null);
    assert.equal(await p.getByTestId('set-tsa').inputValue(), h.tsa.url);
    assert.equal(await p.getByTestId('signin-storage').getAttribute('data-storage'), 'memory');
    await p.getByTestId('token-holder').waitFor();
    await p.getByTestId('cert-select').selectOption('01');
    await shot(p, 'settings-locked-vi');

    // Saving the form changes what the user changed and nothing the IT department set.
    await p.getByTestId('set-level').selectOption('B-LT');
    await p.getByTestId('settings-save').click();
    await p.getByRole('status').filter({ hasText: 'Đã lưu.' }).waitFor();
    const file = join(MANAGED(), 'settings.json');
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { level: 'B-LT' }, 'only the change is stored');

    // A hostile script in the page calls the bridge itself, with the session cookie.
    const before = await readFile(file);
    // (No named functions inside: the page has none of the test runner's helpers.)
    const answers = await p.evaluate(
      async (patches) => {
        const out: unknown[] = [];
        for (const patch of patches) {
          const r = await fetch('/api/call/settings.update', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ patch }),
          });
          out.push(await r.json());
        }
        return out;
      },
      [
        { serverUrl: 'https://evil.example/' },
        { revocationMode: 'online' },
        { serverUrl: 'https://evil.example/', revocationMode: 'online', proxy: 'http://evil.example:3128/' },
      ],
    );
    const locked = (keys: string, names: string): unknown => ({
      ok: false,
      error: { code: 'SETTING_LOCKED', messageKey: 'config.locked', params: { keys, names } },
    });
    assert.deepEqual(answers, [
      locked('Địa chỉ máy chủ', 'serverUrl'),
      locked('Kiểm tra thu hồi', 'revocationMode'),
      locked('Địa chỉ máy chủ, Kiểm tra thu hồi', 'serverUrl,revocationMode'),
    ]);
    assert.deepEqual(await readFile(file), before, 'the settings file on disk is unchanged');
    const now = (await p.evaluate(async () =>
      (
        await fetch('/api/call/settings.get', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
      ).json(),
    )) as { value: { serverUrl: string; revocationMode: string; proxy: string } };
    assert.deepEqual(
      [now.value.serverUrl, now.value.revocationMode, now.value.proxy],
      [serverUrl, 'offline', ''],
      'nothing of the refused patches was applied',
    );

    // English, for the record.
    await p.getByTestId('token-bar').getByLabel('Ngôn ngữ').selectOption('en');
    await p.getByTestId('locked-serverUrl').filter({ hasText: 'Set by your IT department' }).waitFor();
    assert.match(await p.getByTestId('settings-locked-note').innerText(), /set by your IT department/);
    assert.equal(
      await p.getByTestId('set-locale').inputValue(),
      'en',
      'the form follows a language change made elsewhere',
    );
    await p.locator('.settings-form').evaluate((el) => el.scrollTo(0, 0));
    await shot(p, 'settings-locked-en');
  } finally {
    await p.context().close();
    await ui.stop();
  }
  const log = await readFile(join(MANAGED(), 'logs', 'kyso.log'), 'utf8');
  assert.equal(log.match(/"event":"settings\.refused"/g)?.length, 3, log);
  assert.match(log, /"event":"service\.start".*"locked":\["serverUrl","revocationMode"\]/);
});

// ---- secrets -----------------------------------------------------------------------------------

interface Found {
  files: number;
  bytes: number;
  text: Map<string, string>;
}

/** Every file under the folders, each as latin1 text (any byte sequence stays searchable). */
async function readAll(dirs: string[]): Promise<Found> {
  const text = new Map<string, string>();
  let bytes = 0;
  for (const d of dirs) {
    for (const e of await readdir(d, { recursive: true, withFileTypes: true })) {
      if (!e.isFile()) continue;
      const path = join(e.parentPath, e.name);
      const b = await readFile(path);
      bytes += b.length;
      text.set(path, b.toString('latin1'));
    }
  }
  return { files: text.size, bytes, text };
}

const latin1 = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

test('after the whole run: no PIN, password, token or launch secret in the data folders or their logs', async () => {
  // The flows not run yet in this UI: sign in with a password, then sync.
  await page.bringToFront();
  await page.goto(new URL('/', h.uiUrl).toString());
  await page.getByTestId('logout').click();
  await page.getByTestId('signin').locator('summary').click();
  await page.getByTestId('signin-user').fill('duc');
  await page.getByTestId('signin-password').fill(DEMO_PASSWORD);
  await page.getByTestId('signin-password-submit').click();
  await page.getByTestId('queue-list').waitFor();
  await page.getByTestId('sync-state').click();
  await page
    .getByTestId('sync-state')
    .filter({ hasText: /^(Synced|Đã đồng bộ)/ })
    .waitFor();

  const launchSecret = new URL(h.uiUrl).searchParams.get('s')!;
  const cookie = (await page.context().cookies()).find((c) => c.name === 'kyso_session')?.value;
  const tokens = h.issuedTokens();
  assert.ok(launchSecret.length >= 40 && cookie && cookie.length >= 40, 'the bridge secrets are known');
  // One pair per sign-in: three with the token, two with a password.
  assert.ok(tokens.filter((t) => t.startsWith('kat_')).length >= 5, `access tokens seen: ${tokens.length}`);
  assert.ok(tokens.filter((t) => t.startsWith('krt_')).length >= 5, 'refresh tokens seen');
  const secrets: Array<[string, string]> = [
    ['PIN', PIN],
    ['demo password', DEMO_PASSWORD],
    ['launch secret', launchSecret],
    ['bridge session cookie', cookie!],
    ...tokens.map((t): [string, string] => [`token ${t.slice(0, 8)}…`, t]),
  ];

  const all = await readAll([h.dataDir, MANAGED()]);
  // The scan reads what it claims to: the documents' titles are in the stores, the logs are there.
  assert.ok(all.files > 20 && all.bytes > 1_000_000, `${all.files} files, ${all.bytes} bytes`);
  const everything = [...all.text.values()].join('\n');
  assert.ok(
    everything.includes(latin1('Quyết định ban hành Quy chế ký số')),
    'titles found: the scan sees file contents',
  );
  for (const [what, value] of secrets) {
    for (const form of [value, Buffer.from(value).toString('base64'), encodeURIComponent(value)]) {
      const where = [...all.text].filter(([, t]) => t.includes(latin1(form))).map(([p]) => p);
      assert.deepEqual(where, [], `${what} found on disk`);
    }
  }

  // The logs saw every flow (so their cleanliness means something).
  const logs = [...all.text].filter(([p]) => p.includes(`${join('logs', 'kyso')}`));
  assert.ok(logs.length >= 2, logs.map(([p]) => p).join(', '));
  const lines = logs
    .flatMap(([, t]) => Buffer.from(t, 'latin1').toString('utf8').trim().split('\n'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const seen = (event: string, where: Record<string, unknown> = {}): number =>
    lines.filter((l) => l.event === event && Object.entries(where).every(([k, v]) => l[k] === v)).length;
  assert.ok(lines.length > 60, `${lines.length} log lines`);
  assert.ok(seen('ui.start') >= 2 && seen('service.start', { transport: 'browser' }) >= 2);
  assert.ok(seen('session.login', { method: 'certificate', user: 'duc' }) >= 2, 'token login');
  assert.ok(seen('session.login', { method: 'certificate', user: 'lan' }) >= 1, 'the clerk’s token login');
  assert.ok(seen('session.login', { method: 'password', user: 'duc' }) >= 2, 'password login');
  assert.ok(seen('api.error', { channel: 'session.loginToken' }) + seen('api.error', { code: 'PIN_INCORRECT' }) >= 1);
  assert.ok(
    seen('sign.result', { status: 'uploaded' }) >= 24,
    `uploads logged: ${seen('sign.result', { status: 'uploaded' })}`,
  );
  assert.ok(seen('sign.result', { status: 'signed' }) >= 24);
  assert.ok(seen('sign.batch.end', { state: 'stopped', stopError: 'TOKEN_REMOVED' }) >= 2, 'stopped batches');
  assert.ok(seen('sign.result', { notation: '01/QĐ-BTC' }) >= 1, 'the issue number');
  assert.ok(seen('sync.state', { to: 'offline' }) >= 1 && seen('sync.state', { to: 'idle' }) >= 2, 'sync states');
  assert.ok(seen('outbox.entry', { state: 'conflict', problem: 'DOCUMENT_RECALLED' }) >= 1, 'the conflict');
  assert.ok(seen('settings.changed') >= 1 && seen('settings.refused') === 3);
});
