// `kyso settings`: the same settings model from the command line — sources, locks, refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../../src-core/cli/main.js';
import type { Locale } from '../../src-shared/i18n/messages.js';

async function run(argv: string[], env: NodeJS.ProcessEnv, locale: Locale = 'en') {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await runCli(argv, { locale, stdout, stderr, env });
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'kyso-cli-settings-'));
const presetFile = join(dir, 'enterprise.json');
writeFileSync(
  presetFile,
  JSON.stringify({
    version: 1,
    settings: { serverUrl: 'https://vanban.btc.gov.vn/', updateUrl: 'https://updates.btc.gov.vn/kyso' },
    locked: ['serverUrl'],
  }),
);
const env = {
  KYSO_DATA_DIR: join(dir, 'data'),
  KYSO_ENTERPRISE_CONFIG: presetFile,
  KYSO_PROXY: 'http://duc:MatKhau2026@proxy.btc.gov.vn:3128/',
};

test('kyso settings shows each value with its source and lock, without URL credentials', async () => {
  const r = await run(['settings'], env);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /serverUrl\s+https:\/\/vanban\.btc\.gov\.vn\/\s+\(Server address; IT department, locked\)/);
  assert.match(r.out, /updateUrl\s+https:\/\/updates\.btc\.gov\.vn\/kyso\s+\(Update server; IT department\)/);
  assert.match(r.out, /proxy\s+http:\/\/\[redacted\]@proxy\.btc\.gov\.vn:3128\/\s+\(Proxy; environment\)/);
  assert.doesNotMatch(r.out, /MatKhau2026/);
  const vi = await run(['settings'], env, 'vi');
  assert.match(vi.out, /\(Địa chỉ máy chủ; bộ phận CNTT, khóa\)/);
  const json = JSON.parse((await run(['settings', '--json'], env)).out) as {
    enterprise: string;
    settings: Record<string, { value: unknown; source: string; locked: boolean }>;
  };
  assert.equal(json.enterprise, presetFile);
  assert.deepEqual(json.settings.serverUrl, {
    value: 'https://vanban.btc.gov.vn/',
    source: 'enterprise',
    locked: true,
  });
  assert.deepEqual(json.settings.level, { value: 'B-B', source: 'default', locked: false });
});

test('kyso settings set: the user’s own settings change; a locked one is refused (exit 64), file untouched', async () => {
  const ok = await run(['settings', 'set', 'level=B-LT', 'trustFiles=/a.pem:/b.pem'], env);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /Saved level, trustFiles\./);
  const file = join(dir, 'data', 'settings.json');
  const before = readFileSync(file);
  assert.deepEqual(JSON.parse(before.toString('utf8')), { level: 'B-LT', trustFiles: ['/a.pem', '/b.pem'] });
  const no = await run(['settings', 'set', 'serverUrl=https://evil.example/', 'level=B-T'], env, 'vi');
  assert.equal(no.code, 64);
  assert.equal(no.err, 'kyso: Do bộ phận CNTT thiết lập, không thể thay đổi tại đây: Địa chỉ máy chủ.\n');
  const it = await run(['settings', 'set', 'updateUrl=https://evil.example/'], env);
  assert.equal(it.code, 64, 'the update server is for the IT department only');
  assert.deepEqual(readFileSync(file), before);
  const bad = await run(['settings', 'set', 'level=B-X'], env);
  assert.equal(bad.code, 64);
  assert.equal((await run(['settings', 'set', 'colour=red'], env)).code, 64);
  const log = readFileSync(join(dir, 'data', 'logs', 'kyso.log'), 'utf8');
  assert.match(log, /"event":"settings\.refused","keys":"serverUrl","via":"cli"/);
});

test('an invalid enterprise file: exit 65 naming the file', async () => {
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{"version": 1, "locked": ["serverURL"]}');
  const r = await run(['settings'], { ...env, KYSO_ENTERPRISE_CONFIG: broken });
  assert.equal(r.code, 65);
  assert.ok(r.err.includes(broken) && /locked\.0/.test(r.err), r.err);
});
