// The Electron app's settings backend (src-main/electron-settings.ts). electron-store needs the
// Electron runtime, which cannot run on these build machines (the binary is never downloaded),
// so the store under test is `conf` — the class electron-store extends, with the same options
// and the same write path (atomically: temp, fsync, rename); electron-store only adds where the
// default folder is. What is tested is our adapter and the model over it: the same file the
// CLI reads, mode 0600, locked keys refused, a damaged file not fatal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Conf from 'conf';
import { ElectronStoreBackend, electronStoreOptions, type StoreLike } from '../../src-main/electron-settings.js';
import { loadEnterprise } from '../../src-core/config/enterprise-config.js';
import { FileSettingsBackend } from '../../src-core/config/settings-backend.js';
import { SettingsStore } from '../../src-core/config/settings-store.js';
import { toErrorValue } from '../../src-shared/errors.js';

/** What electron-store's constructor does with our options before calling conf's. */
function confLikeElectronStore(dataDir: string): StoreLike {
  const { name, ...rest } = electronStoreOptions(dataDir);
  return new Conf<Record<string, unknown>>({ ...rest, configName: name });
}

test('electron-store options: settings.json in the data folder, one file with the CLI, 0600', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kyso-estore-'));
  const backend = new ElectronStoreBackend(confLikeElectronStore(dir));
  assert.equal(backend.location, join(dir, 'settings.json'));
  await backend.write({ serverUrl: 'https://vanban.example.gov.vn', modulePaths: ['/usr/lib/libvgca.so'] });
  if (process.platform !== 'win32') assert.equal(statSync(backend.location).mode & 0o777, 0o600);
  // Byte for byte what the file backend (CLI, browser mode) writes and reads.
  const file = new FileSettingsBackend(join(dir, 'settings.json'));
  assert.deepEqual(file.read(), { serverUrl: 'https://vanban.example.gov.vn', modulePaths: ['/usr/lib/libvgca.so'] });
  const viaConf = readFileSync(backend.location);
  await file.write({ serverUrl: 'https://vanban.example.gov.vn', modulePaths: ['/usr/lib/libvgca.so'] });
  assert.deepEqual(readFileSync(backend.location), viaConf);
  // (conf hands out null-prototype objects; the fields are what counts)
  assert.deepEqual({ ...(new ElectronStoreBackend(confLikeElectronStore(dir)).read() as object) }, file.read());
});

test('over electron-store, a locked key is refused and the file stays as it was', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kyso-estore-'));
  const presetFile = join(dir, 'enterprise.json');
  writeFileSync(
    presetFile,
    JSON.stringify({ version: 1, settings: { serverUrl: 'https://vbdh.btc.gov.vn/' }, locked: ['serverUrl'] }),
  );
  const store = new SettingsStore({
    backend: new ElectronStoreBackend(confLikeElectronStore(dir)),
    enterprise: loadEnterprise(presetFile),
    locale: 'en',
  });
  await store.update({ locale: 'en', level: 'B-T' });
  const before = readFileSync(join(dir, 'settings.json'));
  await assert.rejects(
    store.update({ serverUrl: 'https://evil.example/' }),
    (e: unknown) => toErrorValue(e).code === 'SETTING_LOCKED' && toErrorValue(e).params?.keys === 'Server address',
  );
  assert.deepEqual(readFileSync(join(dir, 'settings.json')), before);
  assert.equal(store.get().serverUrl, 'https://vbdh.btc.gov.vn/');
  assert.equal(store.get().level, 'B-T');
});

test('a damaged settings file: defaults apply, the file is not replaced until the next save', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kyso-estore-'));
  writeFileSync(join(dir, 'settings.json'), '{"locale": "en",');
  const backend = new ElectronStoreBackend(confLikeElectronStore(dir));
  const store = new SettingsStore({
    backend,
    enterprise: { file: null, settings: {}, locked: new Set() },
    locale: 'vi',
  });
  assert.equal(store.get().locale, 'vi');
  assert.equal(readFileSync(join(dir, 'settings.json'), 'utf8'), '{"locale": "en",', 'kept for inspection');
  await store.update({ locale: 'en' });
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')), { locale: 'en' });
});
