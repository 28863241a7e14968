/**
 * The real services behind the browser-mode end-to-end tests: the reference server (SQLite, the
 * engine's upload inspector, the demo seed plus documents made for each flow), a SoftHSM2 token
 * behind the fault module (removal, PIN counting), an openssl TSA, the built `kyso ui` process
 * pointed at them, and Debian's Chromium.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Browser, Page } from 'playwright-core';
import type { RequiredAction } from '../../src-shared/api/sync-types.js';
import { startKysoServer, type KysoServer } from '../../src-server/app.js';
import { one, type Db } from '../../src-server/db/adapter.js';
import { openDatabase } from '../../src-server/db/open-db.js';
import { bindCertificate } from '../../src-server/domain/accounts.js';
import { createDocument } from '../../src-server/domain/documents.js';
import { engineInspector } from '../../src-server/domain/engine-inspector.js';
import { seedDemo, DEMO_ORG } from '../../src-server/seed/demo-seed.js';
import { BlobStore } from '../../src-server/store/blob-store.js';
import { launchChromium } from '../helpers/browser.js';
import { createFaultToken, type FaultConfig, type FaultToken } from '../helpers/fault-token.js';
import { KYSO_BIN } from '../helpers/kyso-process.js';
import { makeChromiumPdf } from '../helpers/pdf-fixtures.js';
import { startTsa, type TestTsa } from '../helpers/tsa.js';

export interface Harness {
  dir: string;
  /** The data folder of the `kyso ui` process (settings, queue, outbox, logs). */
  dataDir: string;
  token: FaultToken;
  tsa: TestTsa;
  db: Db;
  blobs: BlobStore;
  server: KysoServer | null;
  serverPort: number;
  /** Every access and refresh token the server issued, read off its responses. */
  issuedTokens(): string[];
  uiUrl: string;
  ui: ChildProcess;
  uiStderr(): string;
  browser: Browser;
  letter: Buffer;
  users: Record<'duc' | 'lan', number>;
  /** Makes documents assigned to the users, in steps. */
  addDocuments(
    n: number,
    title: (i: number) => string,
    steps: Array<Array<['duc' | 'lan', RequiredAction]>>,
  ): Promise<string[]>;
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  configureToken(cfg: FaultConfig): void;
  /** Versions stored for a document (1 = as created). */
  versions(documentId: string): Promise<number>;
  newPage(locale: 'vi' | 'en', size?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Records the tokens in every auth response (password, certificate, refresh): the server keeps
 * only their hashes, so its responses are where the values can be seen. Runs before the server's
 * own handler, on the same connection; nothing about the traffic changes.
 */
function recordTokens(server: Server, into: Set<string>): void {
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!(req.url ?? '').startsWith('/api/v1/auth/')) return;
    const chunks: Buffer[] = [];
    const write = res.write.bind(res) as (...a: unknown[]) => boolean;
    const end = res.end.bind(res) as (...a: unknown[]) => ServerResponse;
    const keep = (c: unknown): void => {
      if (typeof c === 'string') chunks.push(Buffer.from(c));
      else if (c instanceof Uint8Array) chunks.push(Buffer.from(c));
    };
    (res as { write: unknown }).write = (...a: unknown[]) => {
      keep(a[0]);
      return write(...a);
    };
    (res as { end: unknown }).end = (...a: unknown[]) => {
      if (typeof a[0] !== 'function') keep(a[0]);
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        for (const k of ['accessToken', 'refreshToken']) if (typeof body[k] === 'string') into.add(body[k] as string);
      } catch {
        // not JSON (an error page): no token in it
      }
      return end(...a);
    };
  });
}

export async function startHarness(): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'kyso-e2e-'));
  // The token first: it points this process's environment (inherited by `kyso ui`) at SoftHSM.
  const token = await createFaultToken({});
  const tsa = await startTsa(token.pki);
  const letter = await readFile(await makeChromiumPdf(dir));

  await mkdir(join(dir, 'server'));
  const db = await openDatabase(join(dir, 'server', 'kyso.sqlite'));
  const blobs = new BlobStore(join(dir, 'server', 'blobs'));
  await seedDemo(db, blobs);
  const id = async (u: string): Promise<number> =>
    (await one<{ id: number }>(db, 'SELECT id FROM users WHERE username = ?', [u]))!.id;
  const users = { duc: await id('duc'), lan: await id('lan') };
  await bindCertificate(db, { userId: users.duc, certDer: token.pki.person.certDer, kind: 'personal' });
  await bindCertificate(db, { userId: users.lan, certDer: token.pki.organisation.certDer, kind: 'organisation' });

  const tokens = new Set<string>();
  let server: KysoServer | null = await startKysoServer(
    { db, blobs, inspector: engineInspector, log: () => undefined },
    { port: 0 },
  );
  recordTokens(server.server, tokens);
  const serverPort = server.port;
  const dataDir = join(dir, 'app');

  const ui = spawn(process.execPath, [KYSO_BIN, 'ui', '--no-open'], {
    env: {
      ...process.env,
      KYSO_LANG: 'vi',
      KYSO_DATA_DIR: dataDir,
      // No enterprise preset for this process (whatever the machine has in /etc/kyso).
      KYSO_ENTERPRISE_CONFIG: join(dir, 'no-enterprise.json'),
      KYSO_SERVER_URL: server.url,
      KYSO_TSA_URL: tsa.url,
      KYSO_LEVEL: 'B-T',
      KYSO_PKCS11_MODULE: token.module,
      KYSO_TRUST_FILES: token.pki.files.rootPem,
      KYSO_SYNC_INTERVAL_MS: '1000',
      KYSO_OFFLINE: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  ui.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const uiUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kyso ui printed no URL: ${stderr}`)), 20000);
    createInterface({ input: ui.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve(line.trim());
    });
    ui.once('exit', (code) => reject(new Error(`kyso ui exited ${code}: ${stderr}`)));
  });
  const browser = await launchChromium();

  const h: Harness = {
    dir,
    dataDir,
    token,
    tsa,
    db,
    blobs,
    server,
    serverPort,
    issuedTokens: () => [...tokens],
    uiUrl,
    ui,
    uiStderr: () => stderr,
    browser,
    letter,
    users,
    async addDocuments(n, title, steps) {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        ids.push(
          await createDocument(db, blobs, {
            orgId: DEMO_ORG.id,
            title: title(i),
            docType: 'QĐ',
            sender: { organisationId: DEMO_ORG.id, name: DEMO_ORG.name },
            urgency: i % 3 === 0 ? 1 : 0,
            dueAt: Date.now() + (i + 1) * 24 * 3600 * 1000,
            pdf: letter,
            createdBy: null,
            assignments: steps.flatMap((step, s) =>
              step.map(([u, action]) => ({ userId: users[u], action, step: s + 1 })),
            ),
          }),
        );
      }
      return ids;
    },
    async stopServer() {
      await server?.close();
      server = null;
      h.server = null;
    },
    async startServer() {
      server = await startKysoServer(
        { db, blobs, inspector: engineInspector, log: () => undefined },
        { port: serverPort },
      );
      recordTokens(server.server, tokens);
      h.server = server;
    },
    configureToken(cfg) {
      token.configure(cfg);
    },
    async versions(documentId) {
      const r = await one<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM document_versions WHERE document_id = ?', [
        documentId,
      ]);
      return Number(r?.n ?? 0);
    },
    async newPage(locale, size = { width: 1280, height: 800 }) {
      const ctx = await browser.newContext({
        viewport: size,
        locale: locale === 'vi' ? 'vi-VN' : 'en-GB',
        acceptDownloads: true,
      });
      return ctx.newPage();
    },
    async close() {
      await browser.close().catch(() => undefined);
      await new Promise<void>((resolve) => {
        if (ui.exitCode !== null) return resolve();
        ui.once('exit', () => resolve());
        ui.kill('SIGTERM');
      });
      await server?.close();
      await db.close();
      await tsa.close();
      await token.cleanup();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return h;
}
