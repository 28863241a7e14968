// The UI in browser mode, served by the real `kyso ui` process and driven in Debian's Chromium.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium } from '../helpers/browser.js';
import { kysoBuilt, startKysoUi, type UiProcess } from '../helpers/kyso-process.js';

const SHOTS = 'test-results/screenshots';
let ui: UiProcess;
let browser: Browser;
let page: Page;

before(async () => {
  assert.ok(chromiumAvailable(), 'Chromium is required for e2e tests (apt-get install chromium)');
  assert.ok(kysoBuilt(), 'run "npm run build" first');
  await mkdir(SHOTS, { recursive: true });
  ui = await startKysoUi({ KYSO_LANG: 'vi' });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1024, height: 600 }, locale: 'vi-VN' });
});
after(async () => {
  await browser?.close();
  await ui?.stop();
});

test('the launch URL opens the app; Vietnamese by default', async () => {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(ui.url);
  assert.equal(new URL(page.url()).pathname, '/', 'the secret is dropped from the address bar');
  await page.getByRole('heading', { name: 'Ký Số' }).waitFor();
  await page.getByTestId('app-info').waitFor();
  assert.match(await page.getByTestId('app-info').innerText(), /Sẵn sàng/);
  assert.match(await page.getByTestId('app-info').innerText(), /Chế độ trình duyệt/);
  assert.equal(await page.locator('html').getAttribute('lang'), 'vi');
  assert.deepEqual(errors, [], 'no console errors (CSP violations show up here)');
  await page.screenshot({ path: `${SHOTS}/shell-vi.png` });
});

test('switching to English translates the page and is kept by the service', async () => {
  await page.getByLabel('Ngôn ngữ').selectOption('en');
  await page.getByText('Documents waiting').waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  await page.screenshot({ path: `${SHOTS}/shell-en.png` });
  await page.reload();
  await page.getByText('Documents waiting').waitFor();
});

test('the launch link cannot be reused by another browser context', async () => {
  const other = await browser.newPage();
  const res = await other.goto(ui.url);
  assert.equal(res?.status(), 403);
  await other.close();
});
