// The localhost bridge over real HTTP on 127.0.0.1: the one-time launch secret, Host and Origin
// checks, the session cookie, contract validation and static-file confinement; the request log.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp, mkdir, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBridge, type Bridge } from '../../src-core/bridge/bridge-server.js';
import { Logger } from '../../src-core/log/logger.js';
import { createService } from '../../src-core/service/create-service.js';
import { startUi } from '../../src-core/cli/commands/ui.js';

let bridge: Bridge;
let dir: string;
let logFile: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kyso-bridge-'));
  await mkdir(join(dir, 'www'));
  await writeFile(join(dir, 'www', 'index.html'), '<!doctype html><title>Ký Số</title>');
  await writeFile(join(dir, 'secret.txt'), 'outside the web root');
  logFile = join(dir, 'logs', 'kyso.log');
  // As `kyso ui` wires it: the service and the bridge share one redacting logger.
  const log = new Logger({ file: logFile, level: 'debug' });
  bridge = await startBridge({
    api: createService({ transport: 'browser', locale: 'vi', log }),
    staticDir: join(dir, 'www'),
    log,
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
  opts: { method?: string; headers?: Record<string, string>; body?: string; port?: number } = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: opts.port ?? bridge.port, path, method: opts.method ?? 'GET', headers: opts.headers },
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

test('the request log: one line per call with its path, status and time; never the launch secret, the cookie or a body', async () => {
  const headers = { cookie, 'content-type': 'application/json', origin: bridge.origin };
  assert.equal((await call('/api/call/tokens.state', { method: 'POST', headers, body: '{}' })).status, 200);
  await call('/api/call/app.info?probe=query-text', { method: 'POST', headers, body: '{"marker":"body-text"}' });
  await new Promise((r) => setTimeout(r, 50)); // the line is written when the answer is complete
  const text = await readFile(logFile, 'utf8');
  const lines = text
    .trim()
    .split('\n')
    .map(
      (l) =>
        JSON.parse(l) as { event: string; level: string; method?: string; path?: string; status?: number; ms?: number },
    )
    .filter((l) => l.event === 'bridge.request');
  const seen = lines.map((l) => `${l.method} ${l.path} ${l.status}`);
  for (const want of [
    'GET /launch 403',
    'GET /launch 303',
    'POST /api/call/app.info 200',
    'POST /api/call/app.setLocale 200',
    'POST /api/call/fs.readFile 200',
    'POST /api/call/app.info 415',
    'POST /api/call/app.info 413',
    'POST /api/call/tokens.state 200',
    'GET / 421',
    'GET / 200',
  ]) {
    assert.ok(seen.includes(want), `${want} in ${JSON.stringify(seen)}`);
  }
  assert.ok(lines.every((l) => typeof l.ms === 'number' && l.ms >= 0));
  assert.equal(lines.find((l) => l.path === '/api/call/tokens.state')?.level, 'info');
  assert.equal(lines.find((l) => l.path === '/' && l.status === 200)?.level, 'debug', 'static files at debug');

  const secret = new URL(bridge.launchUrl).searchParams.get('s')!;
  const session = cookie.split('=')[1]!;
  assert.ok(secret.length > 20 && session.length > 20);
  assert.ok(!text.includes(secret), 'the one-time secret is not in the log');
  assert.ok(!text.includes(session), 'the session cookie is not in the log');
  assert.doesNotMatch(text, /launch\?|query-text|body-text|"locale":"fr"|xxxxxxxx/);
});

test('kyso ui: the bridge writes to the service’s log in the data folder', async () => {
  const dataDir = join(dir, 'ui-data');
  const before = process.env.KYSO_RENDERER_DIR;
  process.env.KYSO_RENDERER_DIR = join(dir, 'www');
  const sink = { write: () => true } as unknown as NodeJS.WritableStream;
  const ui = await startUi(
    { locale: 'vi', stdout: sink, stderr: sink, env: { ...process.env, KYSO_DATA_DIR: dataDir } },
    { port: 0 },
  );
  let closed = false;
  const stop = async (): Promise<void> => {
    if (!closed) await ui.close();
    closed = true;
  };
  try {
    const port = ui.bridge.port;
    const launch = new URL(ui.bridge.launchUrl);
    const first = await call(launch.pathname + launch.search, { port });
    assert.equal(first.status, 303);
    const session = String(first.headers['set-cookie']).split(';')[0]!;
    const headers = { cookie: session, 'content-type': 'application/json', origin: ui.bridge.origin };
    assert.equal((await call('/api/call/app.info', { method: 'POST', headers, body: '{}', port })).status, 200);
    await stop();
    const text = await readFile(join(dataDir, 'logs', 'kyso.log'), 'utf8');
    const events = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; path?: string; status?: number });
    assert.ok(events.some((l) => l.event === 'ui.start'));
    assert.ok(events.some((l) => l.event === 'bridge.request' && l.path === '/launch' && l.status === 303));
    assert.ok(events.some((l) => l.event === 'bridge.request' && l.path === '/api/call/app.info' && l.status === 200));
    assert.ok(!text.includes(launch.searchParams.get('s')!), 'no launch secret');
    assert.ok(!text.includes(session.split('=')[1]!), 'no session cookie');
  } finally {
    await stop();
    if (before === undefined) delete process.env.KYSO_RENDERER_DIR;
    else process.env.KYSO_RENDERER_DIR = before;
  }
});
