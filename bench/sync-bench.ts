/**
 * Client sync benchmark: `node --import tsx bench/sync-bench.ts` → docs/benchmarks-sync.md.
 *
 * The reference server runs in this process on a SQLite file seeded through src-server's own
 * domain functions (createDocument: 5,000 one-page PDFs, each its own content). The client is
 * the real SyncEngine with its own store (WAL, synchronous=FULL) in a fresh data folder.
 *
 *  - first sync, metadata only: login excluded; every page fetched, validated and committed;
 *  - first sync with content: the same plus downloading and storing all 5,000 PDFs (each hashed,
 *    fsynced, renamed, directory fsynced);
 *  - 10-change delta: 10 documents recalled on the server, then one round;
 *  - idle round: nothing changed (one GET /queue).
 */
import { cpus, totalmem, tmpdir } from 'node:os';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startKysoServer } from '../src-server/app.js';
import { openDatabase } from '../src-server/db/open-db.js';
import { createOrganisation, createUnit, createUser } from '../src-server/domain/accounts.js';
import { createDocument, recallDocument } from '../src-server/domain/documents.js';
import { minimalPdf } from '../src-server/seed/minimal-pdf.js';
import { BlobStore } from '../src-server/store/blob-store.js';
import { MemorySecretStore } from '../src-core/sync/secret-store.js';
import { SyncEngine } from '../src-core/sync/sync-engine.js';

const N = Number(process.env.SYNC_BENCH_ITEMS ?? 5000);
const PASSWORD = 'bench-mật-khẩu-2026';

const dir = await mkdtemp(join(tmpdir(), 'kyso-sync-bench-'));
const db = await openDatabase(join(dir, 'server.sqlite'));
const blobs = new BlobStore(join(dir, 'server-blobs'));
const org = { id: '000.00.00.G22', name: 'Bộ Tài chính', abbreviation: 'BTC' };
const userId = await db.transaction(async (tx) => {
  await createOrganisation(tx, org);
  const unit = await createUnit(tx, { orgId: org.id, name: 'Văn phòng Bộ', code: 'VP' });
  return createUser(tx, {
    orgId: org.id,
    unitId: unit,
    username: 'duc',
    fullName: 'Nguyễn Văn Đức',
    title: 'Thứ trưởng',
    role: 'leader',
    password: PASSWORD,
  });
});
const seedStart = performance.now();
const ids: string[] = [];
for (let i = 0; i < N; i++) {
  ids.push(
    await createDocument(db, blobs, {
      orgId: org.id,
      title: `Công văn số ${i + 1} về việc thử nghiệm đồng bộ`,
      docType: 'CV',
      sender: { organisationId: org.id, name: org.name },
      urgency: (i % 4) as 0 | 1 | 2 | 3,
      pdf: minimalPdf([`Cong van so ${i + 1}`, `bench ${i}`]),
      createdBy: userId,
      assignments: [{ userId, action: 'approval', step: 1 }],
    }),
  );
}
const seedS = (performance.now() - seedStart) / 1000;
const server = await startKysoServer({ db, blobs, log: () => undefined });

interface Row {
  scenario: string;
  runs: number;
  median: number;
  min: number;
  requests: string;
  note: string;
}
const rows: Row[] = [];
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function freshEngine(tag: string, prefetch: 'open' | 'none', pageSize: number): Promise<SyncEngine> {
  const e = await SyncEngine.open({
    dataDir: await mkdtemp(join(dir, `client-${tag}-`)),
    serverUrl: server.url,
    secrets: new MemorySecretStore(),
    prefetch,
    pageSize,
    upgrade: { policy: 'never' },
  });
  await e.loginWithPassword('duc', PASSWORD);
  return e;
}

for (const pageSize of [500, 1000]) {
  const times: number[] = [];
  let pages = 0;
  for (let rep = 0; rep < 3; rep++) {
    const e = await freshEngine(`meta${pageSize}-${rep}`, 'none', pageSize);
    const t0 = performance.now();
    const r = await e.syncNow();
    times.push(performance.now() - t0);
    if (!r.ok || r.pulled.changes !== N) throw new Error(`first sync: ${JSON.stringify(r)}`);
    pages = r.pulled.pages;
    await e.close();
  }
  rows.push({
    scenario: `first sync, ${N} items, metadata only (pages of ${pageSize})`,
    runs: times.length,
    median: median(times),
    min: Math.min(...times),
    requests: `${pages} × GET /queue`,
    note: 'each page validated (zod) and committed with its cursor in one transaction',
  });
}

let deltaEngine: SyncEngine | null = null;
{
  const times: number[] = [];
  for (let rep = 0; rep < 2; rep++) {
    const e = await freshEngine(`full-${rep}`, 'open', 500);
    const t0 = performance.now();
    const r = await e.syncNow();
    times.push(performance.now() - t0);
    if (!r.ok || r.downloaded !== N) throw new Error(`first sync with content: ${JSON.stringify(r)}`);
    if (rep === 1) deltaEngine = e;
    else await e.close();
  }
  rows.push({
    scenario: `first sync, ${N} items + content (${N} PDFs)`,
    runs: times.length,
    median: median(times),
    min: Math.min(...times),
    requests: `10 × GET /queue + ${N} × GET /content`,
    note: '4 downloads in flight; each file hashed and renamed (not fsynced: re-fetchable); the server audits every read',
  });
}

{
  const e = deltaEngine!;
  const times: number[] = [];
  const idle: number[] = [];
  for (let rep = 0; rep < 10; rep++) {
    for (let k = 0; k < 10; k++) await recallDocument(db, ids[rep * 10 + k]!, 'Thu hồi để đo hiệu năng', Date.now());
    const t0 = performance.now();
    const r = await e.syncNow();
    times.push(performance.now() - t0);
    if (!r.ok || r.pulled.changes !== 10) throw new Error(`delta: ${JSON.stringify(r)}`);
    const t1 = performance.now();
    const r2 = await e.syncNow();
    idle.push(performance.now() - t1);
    if (!r2.ok || r2.pulled.changes !== 0) throw new Error('idle round saw changes');
  }
  rows.push({
    scenario: '10-change delta (10 documents recalled)',
    runs: times.length,
    median: median(times),
    min: Math.min(...times),
    requests: '1 × GET /queue',
    note: `on the store holding ${N} items`,
  });
  rows.push({
    scenario: 'idle round (no change)',
    runs: idle.length,
    median: median(idle),
    min: Math.min(...idle),
    requests: '1 × GET /queue',
    note: 'what each poll costs',
  });
  await e.close();
}

await server.close();
await db.close();
await rm(dir, { recursive: true, force: true });

const cpu = cpus();
const machine = `${cpu.length} × ${cpu[0]?.model.trim() ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const fmt = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const table = [
  '| scenario | runs | median ms | min ms | requests | note |',
  '| --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.scenario} | ${r.runs} | ${fmt(r.median)} | ${fmt(r.min)} | ${r.requests} | ${r.note} |`),
].join('\n');
const md = `# Sync client benchmarks

Written by \`node --import tsx bench/sync-bench.ts\`; do not edit by hand.

${new Date().toISOString().slice(0, 10)} — ${machine}.

${table}

- Server: the reference server in the same process (SQLite, WAL, synchronous=FULL), seeded with
  ${N} documents through \`createDocument\` (${seedS.toFixed(1)} s), one assignment each for the user.
  Client and server share one event loop, so each time includes the server's own work.
- Client: \`SyncEngine\` with a fresh data folder per first-sync run; login not timed.
- First sync, metadata only: \`prefetch: 'none'\`. With content: \`prefetch: 'open'\` (the default),
  which downloads every open task's PDF so it can be signed offline. Most of that time is the
  server's: it writes (and, with synchronous=FULL, fsyncs) an audit row for every document read.
- Delta: 10 documents recalled with \`recallDocument\` between rounds; the round pulls one page of
  10 changes and pushes nothing. Idle: the next round with no change.
`;
await writeFile('docs/benchmarks-sync.md', md);
process.stdout.write(`${md}\n`);
