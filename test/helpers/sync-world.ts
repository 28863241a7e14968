// The pieces every sync test needs: the reference server with the REAL signature inspector, a
// test PKI whose person certificate is bound to duc (leader) and organisation certificate to
// lan (clerk), a fault proxy in front of the server, software signers, and temp data folders.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bindCertificate } from '../../src-server/domain/accounts.js';
import { engineInspector } from '../../src-server/domain/engine-inspector.js';
import type { DocumentSigner } from '../../src-core/sign/sign-document.js';
import { SyncEngine, type SyncEngineOptions } from '../../src-core/sync/sync-engine.js';
import { MemorySecretStore } from '../../src-core/sync/secret-store.js';
import { createTestPki, type TestPki } from './pki.js';
import { passwordOf, startHarness, type Harness, type Username } from './server-harness.js';
import { softwareSigner } from './software-signer.js';
import { startFaultProxy, type FaultProxy } from './sync-proxy.js';

export interface SyncWorld {
  h: Harness;
  pki: TestPki;
  proxy: FaultProxy;
  /** duc's personal certificate (bound). */
  ducSigner: DocumentSigner;
  dir: string;
  dataDir(name?: string): Promise<string>;
  /** An engine for `user` through the proxy, fast backoff, logging into `lines`. */
  engine(user: Username, o?: Partial<SyncEngineOptions> & { lines?: string[] }): Promise<SyncEngine>;
  versions(documentId: string): Promise<number[]>;
  idempotencyRows(documentId: string): Promise<number>;
  /** The server's copy of a device's signature journal (head null: device unknown to it). */
  serverJournal(deviceId: string): Promise<ServerJournal>;
  close(): Promise<void>;
}

export interface ServerJournal {
  head: { seq: number; hash: string } | null;
  owner: number | null;
  forkSeq: number | null;
  entries: unknown[];
}

export async function startSyncWorld(): Promise<SyncWorld> {
  const h = await startHarness('sqlite', { inspector: engineInspector });
  const pki = await createTestPki();
  await bindCertificate(h.db, { userId: h.users.duc, certDer: pki.person.certDer, kind: 'personal' });
  await bindCertificate(h.db, { userId: h.users.lan, certDer: pki.organisation.certDer, kind: 'organisation' });
  const port = Number(new URL(h.url).port);
  const proxy = await startFaultProxy(port);
  const dir = await mkdtemp(join(tmpdir(), 'kyso-sync-'));
  const engines: SyncEngine[] = [];
  let n = 0;
  const world: SyncWorld = {
    h,
    pki,
    proxy,
    ducSigner: softwareSigner(pki.person, [pki.issuing]),
    dir,
    async dataDir(name) {
      return mkdtemp(join(dir, `${name ?? 'client'}-${++n}-`));
    },
    async engine(user, o = {}) {
      const { lines, ...rest } = o;
      const e = await SyncEngine.open({
        dataDir: rest.dataDir ?? (await world.dataDir(user)),
        serverUrl: proxy.url,
        secrets: new MemorySecretStore(),
        credentials: async () => ({ kind: 'password', username: user, password: passwordOf(user) }),
        backoff: { baseMs: 50, maxMs: 400 },
        pollIntervalMs: 200,
        httpTimeoutMs: 10_000,
        log: (l) => lines?.push(l),
        ...rest,
      });
      engines.push(e);
      return e;
    },
    async versions(documentId) {
      const rows = await h.db.query<{ version: number }>(
        'SELECT version FROM document_versions WHERE document_id = ? ORDER BY version',
        [documentId],
      );
      return rows.map((r) => Number(r.version));
    },
    async idempotencyRows(documentId) {
      const rows = await h.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM idempotency WHERE document_id = ?', [
        documentId,
      ]);
      return Number(rows[0]?.n ?? 0);
    },
    async serverJournal(deviceId) {
      const d = await h.db.query<{ head_seq: number; head_hash: string; user_id: number; fork_seq: number | null }>(
        'SELECT head_seq, head_hash, user_id, fork_seq FROM journal_devices WHERE id = ?',
        [deviceId],
      );
      const rows = await h.db.query<{ entry: string }>(
        'SELECT entry FROM journal_entries WHERE device_id = ? ORDER BY seq',
        [deviceId],
      );
      const dev = d[0];
      return {
        head: dev ? { seq: Number(dev.head_seq), hash: dev.head_hash } : null,
        owner: dev ? Number(dev.user_id) : null,
        forkSeq: dev?.fork_seq == null ? null : Number(dev.fork_seq),
        entries: rows.map((r) => JSON.parse(r.entry) as unknown),
      };
    },
    async close() {
      for (const e of engines) await e.close().catch(() => undefined);
      await proxy.close();
      await h.close();
      await pki.cleanup();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return world;
}
