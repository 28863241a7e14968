/**
 * Workflow server benchmark, SQLite and PostgreSQL side by side:
 *   1. initial queue sync of 5,000 items (pages of 1,000), repeated;
 *   2. a 10-change delta (10 documents touched, then one GET since=cursor), repeated;
 *   3. 200 clients polling every second for a bounded time, 40 of them also uploading a signed
 *      version every 2 s (stand-in inspector, see server-bench-child.ts), on loopback.
 * The server runs in a child process; p50/p99 are of client-observed latencies.
 *
 *   node --import tsx bench/server-bench.ts [--seconds 20] [--clients 200] [--no-postgres]
 *
 * PostgreSQL: KYSO_TEST_PG_URL if set (e.g. from scripts/start-postgres.sh, durable settings),
 * else a throw-away cluster from test/helpers/postgres.ts (fsync off: faster than a real one).
 * Results go to docs/benchmarks-server.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { QueuePage } from '../src-shared/api/sync-types.js';
import { startSession } from '../src-server/auth/sessions.js';
import type { Db } from '../src-server/db/adapter.js';
import { openDatabase } from '../src-server/db/open-db.js';
import { nextSeq, touchDocument } from '../src-server/domain/changes.js';
import { createOrganisation, createUser } from '../src-server/domain/accounts.js';
import { DEFAULT_SESSION_POLICY } from '../src-server/auth/sessions.js';
import { minimalPdf } from '../src-server/seed/minimal-pdf.js';
import { BlobStore } from '../src-server/store/blob-store.js';
import { sharedPostgres, stopSharedPostgres } from '../test/helpers/postgres.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    clients: { type: 'string', default: '200' },
    'no-postgres': { type: 'boolean', default: false },
  },
});
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
const UPLOADERS = Math.floor(CLIENTS / 5);
const SYNC_ITEMS = 5000;
const ORG = { id: '000.00.00.G22', name: 'Bộ Tài chính', abbreviation: 'BTC' };
const LONG_SESSION = { ...DEFAULT_SESSION_POLICY, accessTtlMs: 24 * 3600 * 1000 };

const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS * 2 });

interface Res {
  status: number;
  body: Buffer;
  ms: number;
}

function call(
  base: URL,
  method: string,
  path: string,
  token: string,
  headers: Record<string, string> = {},
  body?: Buffer,
): Promise<Res> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method,
        path,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { 'content-length': String(body.length) } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), ms: performance.now() - t0 }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * (s.length - 1)))]!;
}

interface Fixture {
  syncUser: { id: number; token: string };
  syncDocs: string[];
  clients: { id: number; token: string; certSha: string; docs: string[] }[];
  pdf: Buffer;
}

/** Bulk seed in one transaction per batch, with the server's own tables and change counter. */
async function seed(db: Db, blobs: BlobStore): Promise<Fixture> {
  const pdf = minimalPdf(['Bo Tai chinh', 'Cong van mau cho benchmark']);
  const blob = await blobs.put(pdf);
  const now = Date.now();
  await createOrganisation(db, ORG);
  const addDocs = async (userId: number, n: number): Promise<string[]> => {
    const ids: string[] = [];
    await db.transaction(async (tx) => {
      for (let i = 0; i < n; i++) {
        const id = randomUUID();
        ids.push(id);
        await tx.exec(
          `INSERT INTO documents (id, org_id, title, doc_type, sender_org_id, sender_name, urgency, due_at, status,
             current_version, created_at, updated_at) VALUES (?, ?, ?, 'CV', ?, ?, ?, ?, '05', 1, ?, ?)`,
          [id, ORG.id, `Công văn số ${i + 1} về việc thử tải`, ORG.id, ORG.name, i % 5, now + 86400000, now, now],
        );
        await tx.exec(
          'INSERT INTO document_versions (document_id, version, sha256, size, created_at) VALUES (?, 1, ?, ?, ?)',
          [id, blob.sha256, blob.size, now],
        );
        const seq = await nextSeq(tx);
        await tx.exec(
          `INSERT INTO assignments (document_id, user_id, action, step, state, visible_seq, change_seq, created_at, updated_at)
           VALUES (?, ?, 'approval', 1, 'open', ?, ?, ?, ?)`,
          [id, userId, seq, seq, now, now],
        );
      }
    });
    return ids;
  };
  const syncUserId = await createUser(db, {
    orgId: ORG.id,
    unitId: null,
    username: 'sync',
    fullName: 'Đồng bộ',
    title: 'x',
    role: 'leader',
  });
  const syncDocs = await addDocs(syncUserId, SYNC_ITEMS);
  const clients: Fixture['clients'] = [];
  for (let c = 0; c < CLIENTS; c++) {
    const id = await createUser(db, {
      orgId: ORG.id,
      unitId: null,
      username: `u${c}`,
      fullName: `Người dùng ${c}`,
      title: 'x',
      role: 'leader',
    });
    const certSha = createHash('sha256').update(`bench-cert-${c}`).digest('hex');
    // Bound directly: the bench has no real certificates; only the fingerprint matters to the rules.
    await db.exec(
      `INSERT INTO user_certificates (sha256, user_id, kind, subject, not_before, not_after, created_at)
       VALUES (?, ?, 'personal', 'CN=bench', 0, ?, ?)`,
      [certSha, id, now + 86400000, now],
    );
    const docs = await addDocs(id, c < UPLOADERS ? Math.ceil(SECONDS / 2) + 5 : 3);
    const token = (await startSession(db, id, now, LONG_SESSION)).accessToken;
    clients.push({ id, token, certSha, docs });
  }
  const token = (await startSession(db, syncUserId, now, LONG_SESSION)).accessToken;
  return { syncUser: { id: syncUserId, token }, syncDocs, clients, pdf };
}

async function startChild(dbSpec: string, blobDir: string): Promise<{ child: ChildProcess; url: URL }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/server-bench-child.ts', dbSpec, blobDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /(http:\/\/\S+)\n/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`server exited ${String(code)}`)));
  });
  return { child, url: new URL(url) };
}

type Row = Record<string, string | number>;

async function benchOne(kind: 'sqlite' | 'postgres'): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), `kyso-bench-${kind}-`));
  const dbSpec = kind === 'sqlite' ? join(dir, 'kyso.sqlite') : await (await sharedPostgres()).freshSchemaUrl();
  const blobDir = join(dir, 'blobs');
  const seedDb = await openDatabase(dbSpec);
  const blobs = new BlobStore(blobDir);
  const t0 = performance.now();
  const fx = await seed(seedDb, blobs);
  const seedMs = performance.now() - t0;
  process.stderr.write(
    `${kind}: seeded ${SYNC_ITEMS + fx.clients.reduce((a, c) => a + c.docs.length, 0)} items in ${(seedMs / 1000).toFixed(1)} s\n`,
  );
  const { child, url } = await startChild(dbSpec, blobDir);
  const rows: Row[] = [];
  try {
    // 1. Initial sync of 5,000 items.
    const initial: number[] = [];
    let lastCursor = '0';
    for (let run = 0; run < 7; run++) {
      const t = performance.now();
      let cursor = '0';
      let count = 0;
      for (;;) {
        const r = await call(url, 'GET', `/api/v1/queue?since=${cursor}&limit=1000`, fx.syncUser.token);
        const page = JSON.parse(r.body.toString()) as QueuePage;
        count += page.items.length;
        cursor = page.nextCursor;
        if (!page.hasMore) break;
      }
      if (count !== SYNC_ITEMS) throw new Error(`initial sync got ${count}`);
      if (run >= 2) initial.push(performance.now() - t); // two warm-up runs
      lastCursor = cursor;
    }
    rows.push({
      db: kind,
      scenario: `initial sync, ${SYNC_ITEMS} items (5 pages)`,
      n: initial.length,
      'p50 ms': pct(initial, 50),
      'p99 ms': pct(initial, 99),
    });

    // 2. 10-change delta.
    const delta: number[] = [];
    for (let run = 0; run < 30; run++) {
      const picked = fx.syncDocs.slice(run * 10, run * 10 + 10);
      await seedDb.transaction(async (tx) => {
        for (const id of picked) await touchDocument(tx, id, Date.now());
      });
      const r = await call(url, 'GET', `/api/v1/queue?since=${lastCursor}&limit=1000`, fx.syncUser.token);
      const page = JSON.parse(r.body.toString()) as QueuePage;
      if (page.items.length !== 10) throw new Error(`delta got ${page.items.length}`);
      lastCursor = page.nextCursor;
      if (run >= 5) delta.push(r.ms);
    }
    rows.push({
      db: kind,
      scenario: '10-change delta (one request)',
      n: delta.length,
      'p50 ms': pct(delta, 50),
      'p99 ms': pct(delta, 99),
    });

    // 3. Polling clients + uploads.
    await seedDb.close();
    const polls: number[] = [];
    const uploads: number[] = [];
    const errors: Record<string, number> = {};
    const until = performance.now() + SECONDS * 1000;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const poller = async (c: Fixture['clients'][number]): Promise<void> => {
      let cursor = '0';
      await sleep(Math.random() * 1000);
      while (performance.now() < until) {
        const started = performance.now();
        const r = await call(url, 'GET', `/api/v1/queue?since=${cursor}&limit=200`, c.token);
        if (r.status === 200) {
          polls.push(r.ms);
          cursor = (JSON.parse(r.body.toString()) as QueuePage).nextCursor;
        } else errors[`poll ${r.status}`] = (errors[`poll ${r.status}`] ?? 0) + 1;
        await sleep(Math.max(0, 1000 - (performance.now() - started)));
      }
    };
    const uploader = async (c: Fixture['clients'][number]): Promise<void> => {
      await sleep(Math.random() * 2000);
      for (const doc of c.docs) {
        if (performance.now() >= until) break;
        const started = performance.now();
        const body = Buffer.concat([
          fx.pdf,
          Buffer.from(`\n% bench-signer ${c.certSha} ${randomBytes(4).toString('hex')}\n%%EOF\n`),
        ]);
        const r = await call(
          url,
          'POST',
          `/api/v1/documents/${doc}/signed`,
          c.token,
          { 'content-type': 'application/pdf', 'if-match': '1', 'idempotency-key': `bench-${doc}` },
          body,
        );
        if (r.status === 201) uploads.push(r.ms);
        else errors[`upload ${r.status}`] = (errors[`upload ${r.status}`] ?? 0) + 1;
        await sleep(Math.max(0, 2000 - (performance.now() - started)));
      }
    };
    await Promise.all([...fx.clients.map(poller), ...fx.clients.slice(0, UPLOADERS).map(uploader)]);
    const errText = Object.entries(errors)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ');
    rows.push({
      db: kind,
      scenario: `${CLIENTS} clients polling 1/s, ${SECONDS} s`,
      n: polls.length,
      'p50 ms': pct(polls, 50),
      'p99 ms': pct(polls, 99),
      errors: errText || 'none',
    });
    rows.push({
      db: kind,
      scenario: `… with ${UPLOADERS} of them uploading every 2 s`,
      n: uploads.length,
      'p50 ms': pct(uploads, 50),
      'p99 ms': pct(uploads, 99),
    });
    return rows;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await seedDb.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

function table(rows: Row[]): string {
  const cols = ['db', 'scenario', 'n', 'p50 ms', 'p99 ms', 'errors'];
  const f = (v: string | number | undefined): string =>
    v === undefined ? '' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(1)) : v;
  return [
    `| ${cols.join(' | ')} |`,
    `| ${cols.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${cols.map((c) => f(r[c])).join(' | ')} |`),
  ].join('\n');
}

const rows: Row[] = [];
rows.push(...(await benchOne('sqlite')));
let pgNote = 'not run (--no-postgres)';
if (!values['no-postgres']) {
  rows.push(...(await benchOne('postgres')));
  pgNote = process.env.KYSO_TEST_PG_URL
    ? 'the server given by KYSO_TEST_PG_URL'
    : 'a throw-away local cluster (test/helpers/postgres.ts: fsync, synchronous_commit and full_page_writes off — faster writes than a production server)';
  await stopSharedPostgres();
}
agent.destroy();

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
const md = `# Workflow server benchmarks

Written by \`node --import tsx bench/server-bench.ts\`; do not edit by hand.

${new Date().toISOString().slice(0, 10)} — ${machine}.

${table(rows)}

- Server in a child process (\`bench/server-bench-child.ts\`), clients in this one, HTTP/1.1 keep-alive on 127.0.0.1.
- SQLite: one file, WAL, synchronous=FULL (every accepted upload fsynced). PostgreSQL: ${pgNote}.
- Initial sync: 5 pages of 1,000 items, whole-sync time after two warm-up runs. Delta: 10 documents
  touched in the database, then one \`GET /queue?since=\` (time of that request).
- Load: each client polls \`GET /queue?since=<its cursor>\` once a second (random start); uploaders
  post a signed version (≈1 KB, streamed to disk, fsynced, prefix-hashed, one transaction) every 2 s.
  Uploads are judged by a stand-in inspector (the real PDF signature check is not wired yet and
  will add its own cost).
- Successful polls are not audited; uploads are.
- Reading the SQLite p99 under load: better-sqlite3 is synchronous, so each upload's COMMIT (an
  fsync, synchronous=FULL) runs on the server's event loop and every poll waiting behind it sees
  those milliseconds. PostgreSQL commits off the loop. SQLite suits one office; PostgreSQL many.
`;
await writeFile('docs/benchmarks-server.md', md);
process.stdout.write(md);
