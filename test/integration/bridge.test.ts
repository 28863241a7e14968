// The localhost bridge over real HTTP on 127.0.0.1: the one-time launch secret, Host and Origin
// checks, the session cookie, contract validation and static-file confinement.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBridge, type Bridge } from '../../src-core/bridge/bridge-server.js';
import { createService } from '../../src-core/service/create-service.js';

let bridge: Bridge;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kyso-bridge-'));
  await mkdir(join(dir, 'www'));
  await writeFile(join(dir, 'www', 'index.html'), '<!doctype html><title>Ký Số</title>');
  await writeFile(join(dir, 'secret.txt'), 'outside the web root');
  bridge = await startBridge({
    api: createService({ transport: 'browser', locale: 'vi' }),
    staticDir: join(dir, 'www'),
  });
});
after(async () => {
  await bridge.close();
  await rm(dir, { recursive: true, force: true });
});

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: bridge.port, path, method: opts.method ?? 'GET', headers: opts.headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

let cookie = '';

test('only 127.0.0.1 is bound and the launch URL carries a secret', () => {
  assert.match(bridge.launchUrl, /^http:\/\/127\.0\.0\.1:\d+\/launch\?s=[A-Za-z0-9_-]{40,}$/);
});

test('without the session cookie nothing is served', async () => {
  assert.equal((await call('/')).status, 403);
  const api = await call('/api/call/app.info', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(api.status, 403);
});

test('a wrong secret is refused; the right one sets an HttpOnly SameSite cookie once', async () => {
  assert.equal((await call('/launch?s=wrong')).status, 403);
  const path = new URL(bridge.launchUrl).pathname + new URL(bridge.launchUrl).search;
  const first = await call(path);
  assert.equal(first.status, 303);
  const setCookie = String(first.headers['set-cookie']);
  assert.match(setCookie, /HttpOnly/);
  assert.match(setCookie, /SameSite=Strict/);
  cookie = setCookie.split(';')[0]!;
  const second = await call(path);
  assert.equal(second.status, 403, 'the secret is one-time');
});

test('DNS rebinding: a foreign Host header is refused even with the cookie', async () => {
  const r = await call('/', { headers: { cookie, host: `evil.example:${bridge.port}` } });
  assert.equal(r.status, 421);
});

test('a foreign Origin is refused even with the cookie', async () => {
  const r = await call('/api/call/app.info', {
    method: 'POST',
    headers: { cookie, origin: 'https://evil.example', 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(r.status, 403);
});

test('the contract is served and validated', async () => {
  const headers = { cookie, 'content-type': 'application/json', origin: bridge.origin };
  const ok = await call('/api/call/app.info', { method: 'POST', headers, body: '{}' });
  assert.equal(ok.status, 200);
  const value = JSON.parse(ok.body) as { ok: boolean; value: { transport: string; locale: string } };
  assert.equal(value.ok, true);
  assert.equal(value.value.transport, 'browser');

  const bad = JSON.parse(
    (await call('/api/call/app.setLocale', { method: 'POST', headers, body: '{"locale":"fr"}' })).body,
  ) as { ok: boolean; error: { code: string } };
  assert.deepEqual([bad.ok, bad.error.code], [false, 'IPC_INVALID']);

  const unknown = JSON.parse((await call('/api/call/fs.readFile', { method: 'POST', headers, body: '{}' })).body) as {
    ok: boolean;
  };
  assert.equal(unknown.ok, false);

  const notJson = await call('/api/call/app.info', {
    method: 'POST',
    headers: { ...headers, 'content-type': 'text/plain' },
    body: '{}',
  });
  assert.equal(notJson.status, 415, 'a simple cross-site form post cannot reach the API');
  const big = await call('/api/call/app.info', { method: 'POST', headers, body: 'x'.repeat(2 << 20) });
  assert.equal(big.status, 413);
});

test('static files: served with CSP; nothing outside the web root', async () => {
  const page = await call('/', { headers: { cookie } });
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
  assert.equal((await call('/../secret.txt', { headers: { cookie } })).status, 404);
  assert.equal((await call('/%2e%2e/secret.txt', { headers: { cookie } })).status, 404);
});
