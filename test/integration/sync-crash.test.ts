// Crash test: a client process doing sign-and-sync cycles (software signer, B-B, small PDFs) is
// killed with SIGKILL at random points and started again, over at least 200 cycles in total.
// In the end every document is on the server exactly once (one new version, one signature, one
// idempotency record), every stored file is intact (parses, hash = name), nothing is left in
// staging, the audit journal's chain verifies, and the server's copy of the journal is the
// local journal (same entries, same head, chain intact).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PdfReader } from '../../src-core/pdf/reader.js';
import { verifyJournal } from '../../src-core/sync/audit-journal.js';
import { sha256File } from '../../src-core/sync/blob-store.js';
import { MemorySecretStore } from '../../src-core/sync/secret-store.js';
import { SyncEngine } from '../../src-core/sync/sync-engine.js';
import { passwordOf } from '../helpers/server-harness.js';
import { startSyncWorld } from '../helpers/sync-world.js';

const DOCS = 200;
const KILL_BUDGET_MS = 120_000;

interface RunOutcome {
  lines: string[];
  killed: boolean;
  code: number | null;
  stderr: string;
}

test(
  `SIGKILL at random points during ${DOCS}+ sign-and-sync cycles loses and duplicates nothing`,
  { timeout: 240_000 },
  async () => {
    const w = await startSyncWorld();
    try {
      const ids: string[] = [];
      for (let i = 0; i < DOCS; i++) ids.push((await w.h.createDoc({ steps: [[['duc', 'approval']]] })).id);
      const signerFile = join(w.dir, 'signer.json');
      await writeFile(
        signerFile,
        JSON.stringify({
          keyPem: w.pki.person.keyPem,
          certDerB64: Buffer.from(w.pki.person.certDer).toString('base64'),
          chainDerB64: [Buffer.from(w.pki.issuing.certDer).toString('base64')],
        }),
      );
      const dataDir = await w.dataDir('crash');
      const env = {
        ...process.env,
        KYSO_DATA_DIR: dataDir,
        SYNC_SERVER_URL: w.h.url,
        SYNC_USER: 'duc',
        SYNC_PASSWORD: passwordOf('duc'),
        SYNC_SIGNER: signerFile,
      };

      const run = (killAfterReadyMs: number | null, killBeforeReadyMs: number | null): Promise<RunOutcome> =>
        new Promise((resolve) => {
          const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/sync-crash-driver.ts'], {
            env,
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          const lines: string[] = [];
          let stderr = '';
          let killed = false;
          const kill = (): void => {
            if (child.exitCode === null && !killed) {
              killed = true;
              child.kill('SIGKILL');
            }
          };
          const timers: NodeJS.Timeout[] = [];
          if (killBeforeReadyMs !== null) timers.push(setTimeout(kill, killBeforeReadyMs));
          child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
          createInterface({ input: child.stdout! }).on('line', (line) => {
            lines.push(line);
            if (line.startsWith('ready') && killAfterReadyMs !== null) timers.push(setTimeout(kill, killAfterReadyMs));
          });
          child.on('exit', (code) => {
            for (const t of timers) clearTimeout(t);
            resolve({ lines, killed, code, stderr });
          });
        });

      let cyclesStarted = 0;
      let cyclesEnded = 0;
      let kills = 0;
      let interrupted = 0;
      let finished = false;
      const start = Date.now();
      while (!finished && Date.now() - start < KILL_BUDGET_MS) {
        // Mostly during the cycles; one run in eight dies while starting up (during recovery).
        const early = Math.random() < 0.125;
        const o = await run(
          early ? null : Math.floor(Math.random() * 700),
          early ? Math.floor(Math.random() * 1200) : null,
        );
        cyclesStarted += o.lines.filter((l) => l.startsWith('cycle-start')).length;
        cyclesEnded += o.lines.filter((l) => l.startsWith('cycle-end')).length;
        for (const l of o.lines) {
          const m = /^ready interrupted=(\d+)/.exec(l);
          if (m) interrupted += Number(m[1]);
        }
        if (o.killed) kills++;
        else {
          assert.equal(o.code, 0, `driver failed: ${o.stderr}`);
          finished = o.lines.includes('done');
        }
      }
      if (!finished) {
        const o = await run(null, null);
        assert.equal(o.code, 0, `driver failed: ${o.stderr}`);
        cyclesStarted += o.lines.filter((l) => l.startsWith('cycle-start')).length;
        cyclesEnded += o.lines.filter((l) => l.startsWith('cycle-end')).length;
        assert.ok(o.lines.includes('done'));
      }
      console.log(
        `crash test: ${kills} kills, ${cyclesStarted} cycles started, ${cyclesEnded} completed, ${interrupted} signings rolled back, ${((Date.now() - start) / 1000).toFixed(1)} s`,
      );
      assert.ok(cyclesStarted >= DOCS, `at least ${DOCS} cycles (${cyclesStarted})`);
      assert.ok(kills >= 10, `killed often enough (${kills})`);

      // Server: exactly one signed version per document.
      for (const id of ids) assert.deepEqual(await w.versions(id), [1, 2], `versions of ${id}`);
      const sigs = await w.h.db.query<{ document_id: string; n: number }>(
        'SELECT document_id, COUNT(*) AS n FROM signatures GROUP BY document_id',
      );
      assert.equal(sigs.length, DOCS);
      assert.ok(sigs.every((r) => Number(r.n) === 1));
      for (const id of ids) assert.equal(await w.idempotencyRows(id), 1);

      // Client: recovery finds nothing to do; every document uploaded exactly once; files intact.
      const e = await SyncEngine.open({ dataDir, serverUrl: w.h.url, secrets: new MemorySecretStore() });
      try {
        assert.equal(e.recovery!.requeued, 0);
        const outbox = e.listOutbox();
        const uploaded = outbox.filter((o) => o.state === 'uploaded');
        assert.equal(uploaded.length, DOCS);
        assert.equal(new Set(uploaded.map((o) => o.documentId)).size, DOCS);
        assert.ok(
          outbox.every((o) => o.state === 'uploaded' || o.state === 'abandoned'),
          'nothing pending or failed',
        );
        for (const o of uploaded) {
          const v2 = await w.h.db.query<{ sha256: string }>(
            'SELECT sha256 FROM document_versions WHERE document_id = ? AND version = 2',
            [o.documentId],
          );
          assert.equal(v2[0]?.sha256, o.signedSha256, 'the server holds exactly the bytes signed here');
        }
        const blobs = await e.blobs.list();
        assert.ok(blobs.length >= DOCS);
        for (const sha of blobs) {
          const path = e.blobs.pathOf(sha);
          assert.equal((await sha256File(path)).sha256, sha, `blob ${sha} matches its name`);
          PdfReader.open(path).close();
        }
        assert.deepEqual(await readdir(join(dataDir, 'staging')), []);
        const j = e.verifyJournal();
        assert.equal(j.ok, true, JSON.stringify(j.problems));
        const entries = e.exportJournal().entries as { event: string; documentId: string }[];
        assert.equal(entries.filter((x) => x.event === 'uploaded').length, DOCS);
        assert.equal(
          entries.filter((x) => x.event === 'interrupted').length,
          outbox.filter((o) => o.state === 'abandoned').length,
        );

        // The server's copy of the journal: pushed across all those kills, nothing lost or doubled.
        const js = e.journalStatus();
        assert.equal(js.state, 'ok');
        assert.equal(js.unsent, 0);
        assert.equal(js.acknowledged, entries.length);
        const server = await w.serverJournal(js.deviceId!);
        assert.equal(server.owner, w.h.users.duc);
        assert.deepEqual(server.head, { seq: entries.length, hash: j.headHash }, 'same head');
        assert.equal(server.entries.length, entries.length, 'same count');
        assert.deepEqual(server.entries, entries, 'the same entries');
        const sv = verifyJournal(server.entries, { count: server.head!.seq, hash: server.head!.hash });
        assert.equal(sv.ok, true, JSON.stringify(sv.problems));
        const devices = await w.h.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM journal_devices');
        assert.equal(Number(devices[0]!.n), 1, 'one device for the one data folder');
        console.log(
          `crash test: server journal ${server.entries.length} entries, head ${server.head!.hash.slice(0, 12)}…`,
        );
      } finally {
        await e.close();
      }
    } finally {
      await w.close();
    }
  },
);
