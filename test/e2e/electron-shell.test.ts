// The real Electron shell, where its binary exists. On machines where the binary cannot be
// downloaded (ELECTRON_SKIP_BINARY_DOWNLOAD=1), this says so and skips; everything the shell
// does besides loading the window is covered by unit tests and the browser-mode e2e tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { _electron as electron } from 'playwright-core';

function electronBinary(): string | null {
  try {
    const path = createRequire(import.meta.url)('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
const reason = 'SKIPPED: Electron binary not installed here (ELECTRON_SKIP_BINARY_DOWNLOAD); shell test needs it';
if (!binary) console.log(reason);

test('Electron shell opens one isolated window on app://kyso', { skip: binary ? false : reason }, async () => {
  const app = await electron.launch({ executablePath: binary!, args: ['.'], env: { ...process.env, KYSO_LANG: 'vi' } });
  try {
    const win = await app.firstWindow();
    await win.getByRole('heading', { name: 'Ký Số' }).waitFor();
    assert.match(win.url(), /^app:\/\/kyso\//);
    assert.equal(await win.evaluate(() => typeof (globalThis as { require?: unknown }).require), 'undefined');
    assert.equal(await win.evaluate(() => typeof (globalThis as { process?: unknown }).process), 'undefined');
    const windows = await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length);
    assert.equal(windows, 1);
    const opened = await win.evaluate(
      () => (globalThis as unknown as { open(u: string): unknown }).open('https://example.com/') === null,
    );
    assert.equal(opened, true, 'window.open is denied');
  } finally {
    await app.close();
  }
});
