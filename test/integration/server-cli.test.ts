// `kyso server` as the CLI runs it (src-server/cli.ts, in-process, real HTTP): usage errors,
// --help, --seed-demo on SQLite and PostgreSQL, the printed URL, demo logins and the seeded
// PDFs (checked with qpdf where installed), and a clean stop.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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
  const bad = await runCli(['--port', 'abc']);
  assert.equal(await bad.code, 64);
  assert.match(bad.err.text(), /^kyso server: Usage error/);
  const unknown = await runCli(['--nope']);
  assert.equal(await unknown.code, 64);
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
