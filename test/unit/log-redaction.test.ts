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
