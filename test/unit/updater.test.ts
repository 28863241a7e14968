// Our update policy around electron-updater. The AppUpdater here is a stand-in: electron-updater
// needs the Electron runtime, which cannot run on this build machine. What is tested is our logic
// — which feed, which flags, and that nothing installs without the user's yes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { AppUpdater } from 'electron-updater';
import { startUpdater } from '../../src-main/updater.js';

class FakeUpdater extends EventEmitter {
  autoDownload = true;
  autoInstallOnAppQuit = true;
  allowDowngrade = true;
  allowPrerelease = true;
  feed: unknown = null;
  checks = 0;
  downloads = 0;
  installs = 0;
  constructor(private available: string | null) {
    super();
  }
  setFeedURL(o: unknown): void {
    this.feed = o;
  }
  async checkForUpdates(): Promise<unknown> {
    this.checks++;
    return { isUpdateAvailable: this.available !== null, updateInfo: { version: this.available ?? '0.1.0' } };
  }
  async downloadUpdate(): Promise<string[]> {
    this.downloads++;
    return [];
  }
  quitAndInstall(): void {
    this.installs++;
  }
}

const asUpdater = (f: FakeUpdater): AppUpdater => f as unknown as AppUpdater;

test('no update server configured: nothing is contacted', async () => {
  const f = new FakeUpdater('9.9.9');
  const events: string[] = [];
  await startUpdater(asUpdater(f), {
    updateUrl: undefined,
    confirmInstall: async () => true,
    log: (e) => events.push(e),
  });
  assert.equal(f.checks, 0);
  assert.equal(f.feed, null);
  assert.deepEqual(events, ['update.disabled']);
});

test('the organisation feed, no silent download or install, no downgrade or prerelease', async () => {
  const f = new FakeUpdater('0.2.0');
  const asked: string[] = [];
  await startUpdater(asUpdater(f), {
    updateUrl: 'https://updates.bo-tai-chinh.gov.vn/kyso',
    confirmInstall: async (v) => {
      asked.push(v);
      return false;
    },
    log: () => undefined,
  });
  assert.deepEqual(f.feed, { provider: 'generic', url: 'https://updates.bo-tai-chinh.gov.vn/kyso' });
  assert.deepEqual(
    [f.autoDownload, f.autoInstallOnAppQuit, f.allowDowngrade, f.allowPrerelease],
    [false, false, false, false],
  );
  assert.equal(f.downloads, 1);
  assert.deepEqual(asked, ['0.2.0']);
  assert.equal(f.installs, 0, 'the user said later');
});

test('installs only after the user says yes; nothing to do when up to date', async () => {
  const yes = new FakeUpdater('0.2.0');
  await startUpdater(asUpdater(yes), {
    updateUrl: 'https://u.example/',
    confirmInstall: async () => true,
    log: () => undefined,
  });
  assert.equal(yes.installs, 1);

  const upToDate = new FakeUpdater(null);
  let asked = false;
  await startUpdater(asUpdater(upToDate), {
    updateUrl: 'https://u.example/',
    confirmInstall: async () => (asked = true),
    log: () => undefined,
  });
  assert.equal(upToDate.downloads, 0);
  assert.equal(asked, false);
});

test('an update error (e.g. a bad signature) is logged, not thrown at the user', async () => {
  const f = new FakeUpdater(null);
  const events: Array<[string, unknown]> = [];
  await startUpdater(asUpdater(f), {
    updateUrl: 'https://u.example/',
    confirmInstall: async () => true,
    log: (e, d) => events.push([e, d]),
  });
  f.emit('error', new Error('New version 0.2.0 is not signed by the application owner'));
  assert.deepEqual(events.at(-1), [
    'update.error',
    { message: 'New version 0.2.0 is not signed by the application owner' },
  ]);
});
