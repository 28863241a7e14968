// The Electron window and IPC configuration, checked without the Electron binary: the window
// options are a pure function, and the hardening/IPC code takes structural types, driven here
// by a plain EventEmitter standing in for WebContents (the binary cannot run on this machine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mainWindowOptions } from '../../src-main/window-options.js';
import { denyPermissions, hardenContents, type HardenableContents } from '../../src-main/content-security.js';
import { registerIpcHandlers, type IpcInvokeEvent, type IpcMainLike } from '../../src-main/ipc/typed-ipc.js';
import { APP_ENTRY } from '../../src-main/app-origin.js';
import { createService } from '../../src-core/service/create-service.js';
import { channels, ipcChannel, type ApiResult } from '../../src-shared/api/contract.js';
import { CONTENT_SECURITY_POLICY } from '../../src-core/bridge/bridge-server.js';
import { readFileSync } from 'node:fs';

test('main window: isolation, sandbox, no node, no webview, devtools off by default', () => {
  const o = mainWindowOptions('/x/preload.cjs');
  const w = o.webPreferences!;
  assert.equal(w.contextIsolation, true);
  assert.equal(w.sandbox, true);
  assert.equal(w.nodeIntegration, false);
  assert.equal(w.nodeIntegrationInWorker, false);
  assert.equal(w.nodeIntegrationInSubFrames, false);
  assert.equal(w.webSecurity, true);
  assert.equal(w.allowRunningInsecureContent, false);
  assert.equal(w.webviewTag, false);
  assert.equal(w.experimentalFeatures, false);
  assert.equal(w.devTools, false);
  assert.equal(w.disableBlinkFeatures, 'Auxclick', 'middle-click cannot open new windows');
  assert.equal(w.preload, '/x/preload.cjs');
  assert.ok((o.minWidth ?? 0) <= 1024 && (o.minHeight ?? 0) <= 600, 'works from 1024x600');
});

test('CSP: no inline or remote script, no framing, and the same policy in index.html', () => {
  assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'/);
  assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval|https?:/);
  const html = readFileSync('src-renderer/index.html', 'utf8');
  const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
  assert.ok(meta?.[1], 'index.html carries a CSP meta tag');
  assert.doesNotMatch(meta[1], /unsafe-inline|unsafe-eval/);
});

class FakeContents extends EventEmitter {
  openHandler: ((d: { url: string }) => { action: 'deny' | 'allow' }) | null = null;
  setWindowOpenHandler(h: (d: { url: string }) => { action: 'deny' | 'allow' }): void {
    this.openHandler = h;
  }
}

function navigate(c: FakeContents, event: string, url: string): boolean {
  let prevented = false;
  c.emit(event, { preventDefault: () => (prevented = true) }, url);
  return prevented;
}

test('navigation away from app://, redirects, webviews and window.open are denied', () => {
  const c = new FakeContents();
  const opened: string[] = [];
  hardenContents(c as unknown as HardenableContents, (u) => opened.push(u));
  assert.equal(navigate(c, 'will-navigate', 'https://evil.example/'), true);
  assert.equal(navigate(c, 'will-navigate', 'file:///etc/passwd'), true);
  assert.equal(navigate(c, 'will-redirect', 'http://127.0.0.1:1/'), true);
  assert.equal(navigate(c, 'will-navigate', APP_ENTRY), false);
  assert.equal(navigate(c, 'will-attach-webview', ''), true);
  assert.deepEqual(c.openHandler?.({ url: 'https://ca.gov.vn/' }), { action: 'deny' });
  assert.deepEqual(c.openHandler?.({ url: 'javascript:alert(1)' }), { action: 'deny' });
  assert.deepEqual(opened, ['https://ca.gov.vn/'], 'only https links go to the system browser');
});

test('every permission request is refused', () => {
  let request: ((wc: unknown, p: string, cb: (g: boolean) => void) => void) | null = null;
  let check: ((wc: unknown, p: string) => boolean) | null = null;
  denyPermissions({
    setPermissionRequestHandler: (h) => (request = h),
    setPermissionCheckHandler: (h) => (check = h),
  });
  let granted: boolean | undefined;
  request!(null, 'media', (g) => (granted = g));
  assert.equal(granted, false);
  assert.equal(check!(null, 'notifications'), false);
});

test('IPC: every contract channel is registered, sender and frame checked, payload validated', async () => {
  const handlers = new Map<string, (e: IpcInvokeEvent, p: unknown) => Promise<ApiResult<unknown>>>();
  const ipc: IpcMainLike = { handle: (c, l) => void handlers.set(c, l), removeHandler: (c) => void handlers.delete(c) };
  const unregister = registerIpcHandlers(
    ipc,
    createService({ transport: 'electron', locale: 'vi' }),
    (s) => s.id === 7,
  );
  assert.deepEqual(
    [...handlers.keys()].sort(),
    Object.keys(channels)
      .map((c) => ipcChannel(c as keyof typeof channels))
      .sort(),
  );
  const info = handlers.get('kyso:app.info')!;

  const ok = await info({ sender: { id: 7 }, senderFrame: { url: 'app://kyso/index.html' } }, {});
  assert.equal(ok.ok, true);

  const otherWindow = await info({ sender: { id: 8 }, senderFrame: { url: 'app://kyso/index.html' } }, {});
  assert.deepEqual(otherWindow, { ok: false, error: { code: 'IPC_FORBIDDEN', messageKey: 'error.ipcForbidden' } });

  const foreignFrame = await info({ sender: { id: 7 }, senderFrame: { url: 'https://evil.example/' } }, {});
  assert.equal(foreignFrame.ok, false);

  const setLocale = handlers.get('kyso:app.setLocale')!;
  const bad = await setLocale({ sender: { id: 7 }, senderFrame: { url: 'app://kyso/' } }, { locale: 'fr' });
  assert.equal(bad.ok, false);
  assert.equal(!bad.ok && bad.error.code, 'IPC_INVALID');
  const extra = await setLocale({ sender: { id: 7 }, senderFrame: { url: 'app://kyso/' } }, { locale: 'en', x: 1 });
  assert.equal(extra.ok, false, 'unknown keys are rejected (strict schemas)');

  unregister();
  assert.equal(handlers.size, 0);
});
