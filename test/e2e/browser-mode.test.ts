// The UI in browser mode with nothing configured, served by the real `kyso ui` process and driven
// in Debian's Chromium: the one-time launch link, Vietnamese by default, the language kept by the
// service, and the way to the settings. (The full flows with a server and a token are in
// desktop-app.test.ts.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium } from '../helpers/browser.js';
import { kysoBuilt, startKysoUi, type UiProcess } from '../helpers/kyso-process.js';

const SHOTS = 'test-results/screenshots';
let ui: UiProcess;
let browser: Browser;
let page: Page;
let dataDir: string;

before(async () => {
  assert.ok(chromiumAvailable(), 'Chromium is required for e2e tests (apt-get install chromium)');
  assert.ok(kysoBuilt(), 'run "npm run build" first');
  await mkdir(SHOTS, { recursive: true });
  dataDir = await mkdtemp(join(tmpdir(), 'kyso-browser-mode-'));
  ui = await startKysoUi({ KYSO_LANG: 'vi', KYSO_DATA_DIR: dataDir, KYSO_PKCS11_MODULE: '/nonexistent/libnone.so' });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1024, height: 600 }, locale: 'vi-VN' });
});
after(async () => {
  await browser?.close();
  await ui?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

test('the launch URL opens the app; Vietnamese by default; no server yet leads to the settings', async () => {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(ui.url);
  assert.equal(new URL(page.url()).pathname, '/', 'the secret is dropped from the address bar');
  await page.getByTestId('app-mode').waitFor({ state: 'attached' });
  assert.equal(await page.locator('html').getAttribute('lang'), 'vi');
  await page.getByText('Chưa cấu hình máy chủ quản lý văn bản.').waitFor();
  assert.match(await page.getByTestId('token-status').innerText(), /Chưa cắm thiết bị ký số/);
  await page.getByRole('button', { name: 'Mở Cài đặt' }).click();
  await page.getByTestId('set-server').waitFor();
  assert.deepEqual(errors, [], 'no console errors (CSP violations show up here)');
  await page.screenshot({ path: `${SHOTS}/shell-vi.png` });
});

test('switching to English translates the page and is kept by the service', async () => {
  await page.getByLabel('Ngôn ngữ').first().selectOption('en');
  await page.getByRole('heading', { name: 'Settings' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  await page.screenshot({ path: `${SHOTS}/shell-en.png` });
  await page.reload();
  await page.getByText('No document workflow server configured.').waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
});

test('the launch link cannot be reused by another browser context', async () => {
  const other = await browser.newPage();
  const res = await other.goto(ui.url);
  assert.equal(res?.status(), 403);
  await other.close();
});
