import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SettingsStore,
  effectiveSettings,
  enterpriseConfigPath,
  loadEnterprise,
} from '../../src-core/config/enterprise-config.js';
import { KysoError } from '../../src-shared/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'kyso-config-'));

test('per-OS preset paths, overridable for tests and packaging', () => {
  assert.equal(enterpriseConfigPath({}, 'linux'), '/etc/kyso/enterprise.json');
  assert.equal(enterpriseConfigPath({ ProgramData: 'D:\\PD' }, 'win32'), 'D:\\PD\\Kyso\\enterprise.json');
  assert.equal(enterpriseConfigPath({}, 'darwin'), '/Library/Application Support/Kyso/enterprise.json');
  assert.equal(enterpriseConfigPath({ KYSO_ENTERPRISE_CONFIG: '/x.json' }, 'linux'), '/x.json');
});

test('a locked preset cannot be changed by the user; unlocked keys can', async () => {
  const preset = join(dir, 'enterprise.json');
  writeFileSync(
    preset,
    JSON.stringify({
      version: 1,
      settings: { serverUrl: 'https://vbdh.btc.gov.vn/', tsaUrl: 'http://tsa.ca.gov.vn/', revocationMode: 'online' },
      locked: ['serverUrl', 'tsaUrl'],
    }),
  );
  const store = new SettingsStore(join(dir, 'user', 'settings.json'), loadEnterprise(preset));
  assert.equal(store.effective.values.serverUrl, 'https://vbdh.btc.gov.vn/');
  assert.equal(store.effective.source.serverUrl, 'enterprise');
  await assert.rejects(
    store.set({ serverUrl: 'https://evil.example/' }),
    (e: unknown) => e instanceof KysoError && e.messageKey === 'config.locked',
  );
  assert.equal(store.effective.values.serverUrl, 'https://vbdh.btc.gov.vn/');
  const after = await store.set({ language: 'en', revocationMode: 'offline' });
  assert.equal(after.values.language, 'en');
  assert.equal(after.values.revocationMode, 'offline', 'an unlocked preset value is a default the user may change');
  // A hand-edited user file cannot override a locked key either.
  const userFile = join(dir, 'user', 'settings.json');
  writeFileSync(userFile, JSON.stringify({ serverUrl: 'https://evil.example/', language: 'en' }));
  assert.equal(
    new SettingsStore(userFile, loadEnterprise(preset)).effective.values.serverUrl,
    'https://vbdh.btc.gov.vn/',
  );
  assert.deepEqual(
    readdirSync(join(dir, 'user')).filter((f) => f.includes('.tmp-')),
    [],
    'no temp files left',
  );
  assert.equal(JSON.parse(readFileSync(userFile, 'utf8')).language, 'en');
});

test('a malformed preset is a clear error; no preset means defaults', () => {
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ version: 1, settings: { serverUrl: 'not a url' } }));
  assert.throws(
    () => loadEnterprise(bad),
    (e: unknown) => e instanceof KysoError && e.code === 'INPUT_MALFORMED',
  );
  const none = effectiveSettings(loadEnterprise(join(dir, 'missing.json')), {});
  assert.equal(none.values.language, 'vi');
  assert.equal(none.values.idleLogoutMinutes, 5);
});
