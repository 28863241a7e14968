import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '../../src-core/log/logger.js';
import { redact, redactText } from '../../src-core/log/redact.js';

const SECRETS = [
  '12345678',
  'eyJhbGciOiJIUzI1NiJ9.payload.sig',
  'r3fr3sh-t0k3n-value',
  'mật-khẩu-duc-2026',
  'oneTimeSecretXYZ123',
];

test('secrets are removed by key and by shape', () => {
  const out = JSON.stringify(
    redact({
      pin: '12345678',
      password: 'mật-khẩu-duc-2026',
      headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig' },
      refreshToken: 'r3fr3sh-t0k3n-value',
      note: 'GET /launch?s=oneTimeSecretXYZ123 then Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig',
      cmd: 'kyso sign a.pdf --pin 12345678',
      doc: 'Quyết định 123/QĐ-BTC',
    }),
  );
  for (const s of SECRETS) assert.ok(!out.includes(s), `${s} leaked: ${out}`);
  assert.ok(out.includes('Quyết định 123/QĐ-BTC'), 'ordinary text stays');
  assert.equal(redactText('-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----'), '[redacted private key]');
});

test('the log rotates by size and never contains a secret', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kyso-log-'));
  const log = new Logger({ file: join(dir, 'kyso.log'), maxBytes: 2000, keep: 3 });
  for (let i = 0; i < 100; i++)
    log.info('sign.login', { pin: SECRETS[0], i, url: `http://127.0.0.1:1/launch?s=${SECRETS[4]}` });
  const files = readdirSync(dir).sort();
  assert.deepEqual(files, ['kyso.1.log', 'kyso.2.log', 'kyso.3.log', 'kyso.log']);
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    for (const s of SECRETS) assert.ok(!text.includes(s), `${s} in ${f}`);
    for (const line of text.trim().split('\n')) JSON.parse(line);
  }
});

test('URL credentials, cookie headers and the server’s tokens are removed from free text', () => {
  const access = 'kat_Zq3vX9cYt0bW8nM2kL5jH7gF1dS4aP6oI9uY2tR5eW8';
  const refresh = 'krt_Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3Ab4C';
  const text = redactText(
    `proxy http://nguyen.van.duc:MatKhau%402026@proxy.btc.gov.vn:3128/ failed; Cookie: kyso_session=abc; theme=dark\n` +
      `Set-Cookie: sid=xyz; HttpOnly\nresponse {"accessToken":"${access}","refreshToken":"${refresh}"} then ${refresh} again`,
  );
  for (const s of ['MatKhau', 'nguyen.van.duc', 'kyso_session=abc', 'theme=dark', 'sid=xyz', access, refresh]) {
    assert.ok(!text.includes(s), `${s} leaked: ${text}`);
  }
  assert.match(text, /http:\/\/\[redacted\]@proxy\.btc\.gov\.vn:3128\//, 'the host stays for support');
  assert.match(text, /Cookie: \[redacted\]/);
  // Keys: the whole value goes, whatever it looks like.
  assert.deepEqual(redact({ headers: { Cookie: 'a=b', 'set-cookie': ['c=d'] }, refresh_token: 'x' }), {
    headers: { Cookie: '[redacted]', 'set-cookie': '[redacted]' },
    refresh_token: '[redacted]',
  });
});

test('the logger cannot be made to lie about its fixed fields, and never throws', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kyso-log-'));
  const log = new Logger({ file: join(dir, 'kyso.log') });
  log.info('sign.result', { event: 'forged', level: 'debug', t: 'yesterday', status: 'uploaded' });
  const line = JSON.parse(readFileSync(join(dir, 'kyso.log'), 'utf8')) as Record<string, unknown>;
  assert.equal(line.event, 'sign.result');
  assert.equal(line.level, 'info');
  assert.notEqual(line.t, 'yesterday');
  assert.equal(line.status, 'uploaded');
  // A file that cannot be written (a folder in its place): the caller goes on.
  const blocked = new Logger({ file: dir });
  assert.doesNotThrow(() => blocked.error('x', { n: 1 }));
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  assert.doesNotThrow(() => log.info('deep', circular));
});
