// The service's settings channels over the one settings model: the enterprise preset's locked
// keys are reported (settings.policy) and refused with a typed error through the same dispatcher
// every transport uses; the log records it without secrets; an old plain-text refresh token
// file is removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createService } from '../../src-core/service/create-service.js';
import { dispatch } from '../../src-shared/api/invoke.js';

test('locked keys: reported, refused through the dispatcher with SETTING_LOCKED, logged; file unchanged', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kyso-svc-settings-'));
  const presetFile = join(dir, 'enterprise.json');
  writeFileSync(
    presetFile,
    JSON.stringify({
      version: 1,
      settings: { serverUrl: 'http://127.0.0.1:9/', revocationMode: 'offline', sealImage: '/opt/kyso/seal.png' },
      locked: ['serverUrl', 'revocationMode', 'sealImage'],
    }),
  );
  const dataDir = join(dir, 'data');
  mkdirSync(join(dataDir, 'sync-engine'), { recursive: true });
  const legacy = join(dataDir, 'sync-engine', 'secrets.json');
  writeFileSync(legacy, JSON.stringify({ 'refresh-token http://x': 'krt_legacyPlainTextToken0123456789' }));
  const svc = createService({
    transport: 'direct',
    locale: 'vi',
    dataDir,
    env: { KYSO_ENTERPRISE_CONFIG: presetFile, KYSO_SYNC_INTERVAL_MS: '600000' },
  });
  try {
    assert.equal(existsSync(legacy), false, 'a plain-text refresh token left by an older version is removed');
    const policy = await dispatch(svc, 'settings.policy', {});
    assert.deepEqual(policy, {
      ok: true,
      value: {
        locked: ['serverUrl', 'revocationMode', 'sealImage'],
        preset: ['serverUrl', 'revocationMode', 'sealImage'],
        enterpriseFile: presetFile,
        secretStorage: 'memory',
      },
    });
    const ok = await dispatch(svc, 'settings.update', { patch: { level: 'B-T', serverUrl: 'http://127.0.0.1:9/' } });
    assert.equal(ok.ok, true, JSON.stringify(ok));
    const file = join(dataDir, 'settings.json');
    const before = readFileSync(file);
    assert.deepEqual(JSON.parse(before.toString('utf8')), { level: 'B-T' });

    const refused = await dispatch(svc, 'settings.update', {
      patch: { serverUrl: 'https://evil.example/', revocationMode: 'online' },
    });
    assert.deepEqual(refused, {
      ok: false,
      error: {
        code: 'SETTING_LOCKED',
        messageKey: 'config.locked',
        params: { keys: 'Địa chỉ máy chủ, Kiểm tra thu hồi', names: 'serverUrl,revocationMode' },
      },
    });
    const image = await dispatch(svc, 'settings.setImage', { kind: 'seal', uploadId: 'whatever' });
    assert.equal(!image.ok && image.error.code, 'SETTING_LOCKED', 'refused before the upload is even looked at');
    const imageCleared = await dispatch(svc, 'settings.setImage', { kind: 'seal', uploadId: null });
    assert.equal(!imageCleared.ok && imageCleared.error.code, 'SETTING_LOCKED');
    assert.deepEqual(readFileSync(file), before, 'the file on disk is unchanged');
    const s = await dispatch(svc, 'settings.get', {});
    assert.ok(s.ok);
    assert.equal((s.value as { serverUrl: string }).serverUrl, 'http://127.0.0.1:9/');
    assert.equal((s.value as { revocationMode: string }).revocationMode, 'offline');

    const failedLogin = await dispatch(svc, 'session.loginPassword', { username: 'duc', password: 'KySo-demo-2026' });
    assert.equal(failedLogin.ok, false);
  } finally {
    await svc.host.close();
  }
  const log = readFileSync(join(dataDir, 'logs', 'kyso.log'), 'utf8');
  const lines = log
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const events = lines.map((l) => l.event);
  assert.equal(events[0], 'service.start');
  assert.deepEqual(lines[0]!.locked, ['serverUrl', 'revocationMode', 'sealImage']);
  assert.equal(lines[0]!.signIn, 'memory');
  assert.ok(events.includes('secrets.plainFileRemoved'));
  assert.deepEqual(
    lines.filter((l) => l.event === 'settings.refused').map((l) => l.keys),
    ['serverUrl,revocationMode', 'sealImage', 'sealImage'],
  );
  assert.ok(lines.some((l) => l.event === 'settings.changed' && JSON.stringify(l.keys) === '["level"]'));
  assert.ok(lines.some((l) => l.event === 'api.error' && l.channel === 'session.loginPassword'));
  assert.equal(events.at(-1), 'service.stop');
  assert.doesNotMatch(log, /KySo-demo-2026|krt_legacy/, 'no password, no token');
});

test('an invalid enterprise file stops the service with CONFIG_INVALID, and says so in the log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kyso-svc-settings-'));
  const presetFile = join(dir, 'enterprise.json');
  writeFileSync(presetFile, '{"version": 1, "locked": ["serverURL"]}');
  assert.throws(
    () =>
      createService({
        transport: 'direct',
        locale: 'en',
        dataDir: join(dir, 'data'),
        env: { KYSO_ENTERPRISE_CONFIG: presetFile },
      }),
    (e: unknown) => (e as { code?: string }).code === 'CONFIG_INVALID',
  );
  const log = readFileSync(join(dir, 'data', 'logs', 'kyso.log'), 'utf8');
  assert.match(log, /"event":"settings.enterpriseInvalid".*"code":"CONFIG_INVALID"/);
});
