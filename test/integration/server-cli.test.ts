// `kyso server` as the CLI runs it (src-server/cli.ts, in-process, real HTTP): usage errors,
// --help, --seed-demo on SQLite and PostgreSQL, the printed URL, demo logins and the seeded
// PDFs (checked with qpdf where installed), and a clean stop; the --log request log.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { QueuePage, TokenResponse } from '../../src-shared/api/sync-types.js';
import { runServerCommand } from '../../src-server/cli.js';
import { DEMO_PASSWORD } from '../../src-server/seed/demo-seed.js';
import { postgresSkipReason, sharedPostgres, stopSharedPostgres } from '../helpers/postgres.js';

const pgSkip = postgresSkipReason();
after(() => stopSharedPostgres());

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString('utf8')));
  return { stream, text: () => text };
}

async function runCli(args: string[], signal?: AbortSignal) {
  const out = capture();
  const err = capture();
  const code = runServerCommand(args, { stdout: out.stream, stderr: err.stream, env: {}, locale: 'en' }, { signal });
  return { code, out, err };
}

async function waitFor(pred: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const hasQpdf = spawnSync('sh', ['-c', 'command -v qpdf']).status === 0;

test('--help, bad options and an unreachable database answer with contract exit codes', async () => {
  const help = await runCli(['--help']);
  assert.equal(await help.code, 0);
  assert.match(help.out.text(), /kyso server \[--port N\]/);
  assert.match(help.out.text(), /--log FILE appends one JSON line per request/);
  const bad = await runCli(['--port', 'abc']);
  assert.equal(await bad.code, 64);
  assert.match(bad.err.text(), /^kyso server: Usage error/);
  const unknown = await runCli(['--nope']);
  assert.equal(await unknown.code, 64);
  const noLog = await runCli(['--log', '']);
  assert.equal(await noLog.code, 64);
  const noDb = await runCli(['--db', 'postgres://kyso@127.0.0.1:1/none', '--port', '0']);
  assert.equal(await noDb.code, 69);
  assert.equal(noDb.err.text().trim().split('\n').length, 1, 'one clear line');
});

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`kyso server --seed-demo on ${kind}`, { skip: kind === 'postgres' ? pgSkip : false }, () => {
    test('serves the demo organisation, users and documents in every state', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'kyso-cli-'));
      const db = kind === 'sqlite' ? join(dir, 'data', 'kyso.sqlite') : await (await sharedPostgres()).freshSchemaUrl();
      const stop = new AbortController();
      const run = await runCli(['--port', '0', '--db', db, '--blobs', join(dir, 'blobs'), '--seed-demo'], stop.signal);
      try {
        await waitFor(() => /listening on http:\/\/127\.0\.0\.1:\d+/.test(run.out.text()));
        const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(run.out.text())![1]!;
        assert.match(run.out.text(), /duc +leader/);

        const post = (path: string, body: object) =>
          fetch(`${url}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
        const statuses = new Set<string>();
        const actions = new Set<string>();
        for (const username of ['duc', 'huong', 'lan']) {
          const login = await post('/api/v1/auth/password', { username, password: DEMO_PASSWORD });
          assert.equal(login.status, 200);
          const t = (await login.json()) as TokenResponse;
          const q = (await (
            await fetch(`${url}/api/v1/queue`, { headers: { authorization: `Bearer ${t.accessToken}` } })
          ).json()) as QueuePage;
          for (const e of q.items) {
            statuses.add(e.item.status);
            actions.add(e.item.action);
          }
          if (username === 'lan') {
            const first = q.items[0]!;
            const pdf = Buffer.from(
              await (
                await fetch(`${url}/api/v1/documents/${first.item.documentId}/content`, {
                  headers: { authorization: `Bearer ${t.accessToken}` },
                })
              ).arrayBuffer(),
            );
            assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
            if (hasQpdf) {
              const f = join(dir, 'sample.pdf');
              await writeFile(f, pdf);
              const check = spawnSync('qpdf', ['--check', f], { encoding: 'utf8' });
              assert.equal(check.status, 0, check.stdout + check.stderr);
            }
          }
        }
        for (const s of ['01', '02', '03', '05', '06', '13', '15', '16'])
          assert.ok(statuses.has(s), `status ${s} seeded`);
        for (const a of ['approval', 'initials', 'issue', 'received', 'directive', 'copy'])
          assert.ok(actions.has(a), `action ${a}`);
      } finally {
        stop.abort();
        assert.equal(await run.code, 0);
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}

test('--log FILE: one line per request with route, status, time and user; no password, token or query', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kyso-cli-log-'));
  const logFile = join(dir, 'logs', 'server.log');
  const stop = new AbortController();
  const run = await runCli(
    ['--port', '0', '--db', join(dir, 'kyso.sqlite'), '--seed-demo', '--log', logFile],
    stop.signal,
  );
  const issued: string[] = [];
  let userId = 0;
  try {
    await waitFor(() => /listening on http:\/\/127\.0\.0\.1:\d+/.test(run.out.text()));
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(run.out.text())![1]!;
    const post = (path: string, body: object) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const login = await post('/api/v1/auth/password', { username: 'duc', password: DEMO_PASSWORD });
    assert.equal(login.status, 200);
    const first = (await login.json()) as TokenResponse;
    userId = first.user.id;
    const refreshed = await post('/api/v1/auth/refresh', { refreshToken: first.refreshToken });
    assert.equal(refreshed.status, 200);
    const second = (await refreshed.json()) as TokenResponse;
    issued.push(first.accessToken, first.refreshToken, second.accessToken, second.refreshToken);
    const auth = { authorization: `Bearer ${second.accessToken}` };
    assert.equal((await fetch(`${url}/api/v1/queue?limit=5&probe=query-marker`, { headers: auth })).status, 200);
    assert.equal((await fetch(`${url}/api/v1/me`, { headers: auth })).status, 200);
    assert.equal(
      (await fetch(`${url}/api/v1/queue`, { headers: { authorization: 'Bearer kat_forgedforgedforged' } })).status,
      401,
    );
    assert.equal(
      (await post('/api/v1/auth/password', { username: 'duc', password: 'wrong-password-marker' })).status,
      401,
    );
    assert.equal((await post('/api/v1/auth/refresh', { refreshToken: first.refreshToken })).status, 401, 'reused');
  } finally {
    stop.abort();
    assert.equal(await run.code, 0);
  }
  const text = await readFile(logFile, 'utf8');
  await rm(dir, { recursive: true, force: true });
  const lines = text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const requests = lines.filter((l) => l.event === 'server.request');
  const seen = requests.map((l) => `${l.method} ${l.path} ${l.action} ${l.status}${l.user ? ` user=${l.user}` : ''}`);
  for (const want of [
    'POST /api/v1/auth/password auth.password 200',
    'POST /api/v1/auth/refresh auth.refresh 200',
    `GET /api/v1/queue queue.read 200 user=${userId}`,
    `GET /api/v1/me auth.me 200 user=${userId}`,
    'GET /api/v1/queue queue.read 401',
    'POST /api/v1/auth/password auth.password 401',
    'POST /api/v1/auth/refresh auth.refresh 401',
  ]) {
    assert.ok(seen.includes(want), `${want} in ${JSON.stringify(seen, null, 1)}`);
  }
  assert.ok(requests.every((l) => typeof l.ms === 'number'));
  assert.ok(lines.some((l) => l.event === 'server.start') && lines.some((l) => l.event === 'server.stop'));
  assert.equal(issued.length, 4);
  for (const secret of [...issued, DEMO_PASSWORD, 'wrong-password-marker', 'kat_forgedforgedforged']) {
    assert.ok(!text.includes(secret), `${secret.slice(0, 6)}… is not in the log`);
  }
  assert.doesNotMatch(text, /query-marker|limit=|Bearer|authorization/i);
});
