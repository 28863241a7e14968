// The one settings model: defaults, environment, the IT department's enterprise preset (locked
// keys), the user's own file — and crash-safe writes of that file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { enterpriseConfigPath, loadEnterprise, NO_PRESET } from '../../src-core/config/enterprise-config.js';
import { FileSettingsBackend } from '../../src-core/config/settings-backend.js';
import { envSettings } from '../../src-core/config/settings-schema.js';
import { SettingsStore } from '../../src-core/config/settings-store.js';
import { openSettings } from '../../src-core/service/settings-store.js';
import { KysoError, toErrorValue } from '../../src-shared/errors.js';
import { errorText } from '../../src-shared/i18n/translate.js';

const root = mkdtempSync(join(tmpdir(), 'kyso-config-'));
let n = 0;
const fresh = (): string => {
  const d = join(root, String(n++));
  mkdirSync(d);
  return d;
};
const preset = (dir: string, body: unknown): string => {
  const p = join(dir, 'enterprise.json');
  writeFileSync(p, typeof body === 'string' ? body : JSON.stringify(body));
  return p;
};
const LOCKING = {
  version: 1,
  settings: { serverUrl: 'https://vbdh.btc.gov.vn/', revocationMode: 'offline', tsaUrl: 'http://tsa.ca.gov.vn/' },
  locked: ['serverUrl', 'revocationMode'],
};

test('per-OS preset paths, overridable for tests and packaging', () => {
  assert.equal(enterpriseConfigPath({}, 'linux'), '/etc/kyso/enterprise.json');
  assert.equal(enterpriseConfigPath({ ProgramData: 'D:\\PD' }, 'win32'), 'D:\\PD\\Kyso\\enterprise.json');
  assert.equal(enterpriseConfigPath({}, 'darwin'), '/Library/Application Support/Kyso/enterprise.json');
  assert.equal(enterpriseConfigPath({ KYSO_ENTERPRISE_CONFIG: '/x.json' }, 'linux'), '/x.json');
});

test('layers: defaults < environment < enterprise preset < user, except locked keys', async () => {
  const dir = fresh();
  const env = {
    KYSO_ENTERPRISE_CONFIG: preset(dir, LOCKING),
    KYSO_SERVER_URL: 'http://127.0.0.1:1/',
    KYSO_PROXY: 'http://proxy.local:3128/',
    KYSO_OFFLINE: '0',
  };
  // The user's file names a locked key and an IT-only key: both are ignored.
  writeFileSync(
    join(dir, 'settings.json'),
    JSON.stringify({
      serverUrl: 'https://evil.example/',
      updateUrl: 'https://evil.example/u',
      tsaUrl: 'http://tsa.local/',
    }),
  );
  const store = openSettings({ dataDir: dir, env, locale: 'vi' });
  const s = store.get();
  assert.equal(s.serverUrl, 'https://vbdh.btc.gov.vn/', 'the locked preset beats the environment and the user file');
  assert.equal(s.revocationMode, 'offline');
  assert.equal(s.tsaUrl, 'http://tsa.local/', 'an unlocked preset value is a default the user may override');
  assert.equal(s.proxy, 'http://proxy.local:3128/', 'the environment fills what nobody else set');
  assert.equal(s.updateUrl, '', 'only the preset may set the update server');
  assert.equal(s.level, 'B-B');
  assert.deepEqual(store.locked(), ['serverUrl', 'revocationMode']);
  assert.deepEqual(store.preset(), ['serverUrl', 'tsaUrl', 'revocationMode']);
  const src = store.source();
  assert.deepEqual(
    [src.serverUrl, src.tsaUrl, src.proxy, src.level, src.updateUrl],
    ['enterprise', 'user', 'env', 'default', 'default'],
  );
  assert.deepEqual(store.ignoredOnLoad.sort(), ['updateUrl']);
  assert.equal(store.enterpriseFile, env.KYSO_ENTERPRISE_CONFIG);
});

test('a locked key cannot be changed: typed error in both languages, nothing written', async () => {
  const dir = fresh();
  const store = new SettingsStore({
    backend: new FileSettingsBackend(join(dir, 'settings.json')),
    enterprise: loadEnterprise(preset(dir, LOCKING)),
    locale: 'vi',
  });
  await store.update({ proxy: 'http://p:3128/' });
  const before = readFileSync(join(dir, 'settings.json'));
  let caught: unknown;
  try {
    await store.update({ proxy: 'http://other:3128/', serverUrl: 'https://evil.example/', revocationMode: 'online' });
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof KysoError, String(caught));
  const v = toErrorValue(caught);
  assert.equal(v.code, 'SETTING_LOCKED');
  assert.equal(v.messageKey, 'config.locked');
  assert.equal(v.params?.names, 'serverUrl,revocationMode');
  assert.equal(
    errorText('vi', v),
    'Do bộ phận CNTT thiết lập, không thể thay đổi tại đây: Địa chỉ máy chủ, Kiểm tra thu hồi.',
  );
  assert.match(errorText('en', { ...v, params: { keys: 'Server address' } }), /^Set by your IT department/);
  assert.deepEqual(readFileSync(join(dir, 'settings.json')), before, 'the whole patch was refused: file unchanged');
  assert.equal(store.get().proxy, 'http://p:3128/', 'the unlocked part of a refused patch is not applied either');
  assert.equal(store.get().serverUrl, 'https://vbdh.btc.gov.vn/');

  // Naming a locked key with its current value (a form sent whole) is not a change.
  const r = await store.update({ serverUrl: 'https://vbdh.btc.gov.vn/', level: 'B-T' });
  assert.deepEqual(r.changed, ['level']);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')), {
    proxy: 'http://p:3128/',
    level: 'B-T',
  });
  // The IT-only key is refused for the user too.
  await assert.rejects(
    store.update({ updateUrl: 'https://evil.example/' }),
    (e: unknown) => toErrorValue(e).code === 'SETTING_LOCKED',
  );
  assert.deepEqual(store.lockedError(['serverUrl']).params, { keys: 'Địa chỉ máy chủ', names: 'serverUrl' });
});

test('only changes are stored, so unchanged settings keep following the defaults', async () => {
  const dir = fresh();
  const file = join(dir, 'settings.json');
  const open = (url: string): SettingsStore =>
    new SettingsStore({
      backend: new FileSettingsBackend(file),
      enterprise: NO_PRESET,
      env: envSettings({ KYSO_SERVER_URL: url }),
      locale: 'vi',
    });
  const a = open('http://a.local/');
  const r = await a.update({ serverUrl: 'http://a.local/', locale: 'en' });
  assert.deepEqual(r.changed, ['locale']);
  assert.equal(open('http://b.local/').get().serverUrl, 'http://b.local/');
  assert.equal(open('http://b.local/').get().locale, 'en');
  await assert.rejects(a.update({ level: 'B-X' as 'B-B' }), (e: unknown) => toErrorValue(e).code === 'USAGE');
});

test('a damaged user file costs its bad fields only', () => {
  const dir = fresh();
  writeFileSync(
    join(dir, 'settings.json'),
    JSON.stringify({ serverUrl: 'not a url', locale: 'en', level: 'B-LT', modulePaths: 'x', old: 1 }),
  );
  const s = openSettings({ dataDir: dir, env: {}, locale: 'vi' });
  assert.equal(s.get().locale, 'en');
  assert.equal(s.get().level, 'B-LT');
  assert.equal(s.get().serverUrl, '');
  assert.deepEqual(s.ignoredOnLoad.sort(), ['modulePaths', 'old', 'serverUrl']);
  writeFileSync(join(dir, 'settings.json'), '{"locale": "en", ');
  assert.equal(openSettings({ dataDir: dir, env: {}, locale: 'vi' }).get().locale, 'vi', 'not JSON: defaults');
});

test('an enterprise file that exists but is not valid is a clear CONFIG_INVALID; none means no preset', () => {
  const dir = fresh();
  const bad = (body: unknown, detail: RegExp): void => {
    const p = preset(dir, body);
    assert.throws(
      () => loadEnterprise(p),
      (e: unknown) =>
        e instanceof KysoError &&
        e.code === 'CONFIG_INVALID' &&
        e.params.path === p &&
        detail.test(String(e.params.detail)),
      JSON.stringify(body),
    );
  };
  bad('{ "version": 1, ', /not JSON/);
  bad({ version: 1, settings: { serverUrl: 'not a url' } }, /settings\.serverUrl/);
  bad({ version: 1, locked: ['serverURL'] }, /locked\.0/);
  bad({ version: 1, settings: { colour: 'red' } }, /settings/);
  bad({ version: 2 }, /version/);
  assert.throws(
    () => loadEnterprise(dir), // a folder: unreadable as a file
    (e: unknown) => e instanceof KysoError && e.code === 'CONFIG_INVALID' && e.params.detail === 'EISDIR',
  );
  assert.equal(
    errorText(
      'en',
      toErrorValue(
        new KysoError('CONFIG_INVALID', 'config.invalid', { path: '/etc/kyso/enterprise.json', detail: 'not JSON' }),
      ),
    ),
    'The configuration file from your IT department (/etc/kyso/enterprise.json) is not valid: not JSON. Tell your IT department; the app does not run until it can read this file.',
  );
  const withBom = preset(dir, `\uFEFF${JSON.stringify(LOCKING)}`);
  assert.deepEqual([...loadEnterprise(withBom).locked], ['serverUrl', 'revocationMode']);
  assert.deepEqual(loadEnterprise(join(dir, 'missing.json')), NO_PRESET);
  assert.throws(
    () => openSettings({ dataDir: dir, env: { KYSO_ENTERPRISE_CONFIG: preset(dir, '[') }, locale: 'vi' }),
    (e: unknown) => toErrorValue(e).code === 'CONFIG_INVALID',
  );
});

test('writes run one after another on the latest state', async () => {
  const dir = fresh();
  const store = openSettings({ dataDir: dir, env: {}, locale: 'vi' });
  await Promise.all([
    store.update({ proxy: 'http://p1:1/' }),
    store.update({ tsaUrl: 'http://t/' }),
    store.update({ level: 'B-LT' }),
  ]);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')), {
    proxy: 'http://p1:1/',
    tsaUrl: 'http://t/',
    level: 'B-LT',
  });
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.tmp')).length, 0, 'no temp files left');
});

test('crash-safe: SIGKILL during writes leaves the old or the new settings, never a torn file', async () => {
  const dir = fresh();
  const file = join(dir, 'settings.json');
  // Each write is ~30 KB (32 trust-file paths of 900 characters) so a kill often lands mid-write.
  const driver = join(dir, 'writer.mts');
  writeFileSync(
    driver,
    `import { FileSettingsBackend } from ${JSON.stringify(resolve('src-core/config/settings-backend.ts'))};
const b = new FileSettingsBackend(${JSON.stringify(file)});
const value = (i: number) => ({
  level: i % 2 ? 'B-T' : 'B-B',
  trustFiles: Array.from({ length: 32 }, (_, j) => '/' + String(i).padStart(8, '0') + '-' + j + '/'.repeat(880)),
  n: i,
});
await b.write(value(0));
process.stdout.write('ready\\n');
for (let i = 1; ; i++) await b.write(value(i));
`,
  );
  let kills = 0;
  for (let round = 0; round < 12; round++) {
    const child = spawn(process.execPath, ['--import', 'tsx', driver], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((res) => child.stdout!.once('data', () => res()));
    await new Promise((r) => setTimeout(r, 40 + Math.floor(Math.random() * 120)));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    kills++;
    const text = readFileSync(file, 'utf8');
    const v = JSON.parse(text) as { n: number; trustFiles: string[] };
    assert.equal(v.trustFiles.length, 32, `round ${round}: a complete file`);
    assert.ok(
      v.trustFiles.every((p) => p.startsWith(`/${String(v.n).padStart(8, '0')}-`)),
      'one write, not a mix',
    );
  }
  assert.equal(kills, 12);
  // Temp files of interrupted writes are cleared when the settings are next opened (once old).
  const temps = readdirSync(dir).filter((f) => f.startsWith('.settings.json.') && f.endsWith('.tmp'));
  const old = new Date(Date.now() - 120_000);
  for (const t of temps) utimesSync(join(dir, t), old, old);
  const fresher = join(dir, '.settings.json.999-young.tmp');
  writeFileSync(fresher, '{');
  new FileSettingsBackend(file);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.tmp')),
    ['.settings.json.999-young.tmp'],
    'old temps removed, a young one (another process mid-write) kept',
  );
});
