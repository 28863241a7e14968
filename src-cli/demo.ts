/**
 * The server half of `kyso demo` (src-core may not import src-server): the reference server
 * on 127.0.0.1 with --seed-demo data in SQLite, the real upload inspector, and certificate
 * binding for the demo token.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { DemoServerStarter } from '../src-core/cli/commands/demo.js';
import { ensureDir } from '../src-core/service/data-dir.js';
import { startKysoServer } from '../src-server/app.js';
import { one } from '../src-server/db/adapter.js';
import { openDatabase } from '../src-server/db/open-db.js';
import { bindCertificate } from '../src-server/domain/accounts.js';
import { engineInspector } from '../src-server/domain/engine-inspector.js';
import { DEMO_PASSWORD, seedDemo } from '../src-server/seed/demo-seed.js';
import { BlobStore } from '../src-server/store/blob-store.js';

export const startDemoServer: DemoServerStarter = async ({ dir, port }) => {
  ensureDir(dir);
  const db = await openDatabase(join(dir, 'kyso.sqlite'));
  const blobs = new BlobStore(join(dir, 'blobs'));
  await seedDemo(db, blobs);
  const server = await startKysoServer(
    { db, blobs, inspector: engineInspector, log: () => undefined },
    { port, host: '127.0.0.1' },
  );
  return {
    url: server.url,
    accounts: [
      { username: 'duc', fullName: 'Nguyễn Văn Đức', role: 'leader', password: DEMO_PASSWORD },
      { username: 'lan', fullName: 'Phạm Thị Lan', role: 'clerk', password: DEMO_PASSWORD },
      { username: 'huong', fullName: 'Trần Thị Hương', role: 'drafter', password: DEMO_PASSWORD },
      { username: 'quantri', fullName: 'Lê Minh Tuấn', role: 'admin', password: DEMO_PASSWORD },
    ],
    async bind(username, certDer, kind) {
      const sha = createHash('sha256').update(certDer).digest('hex');
      if (await one(db, 'SELECT 1 AS x FROM user_certificates WHERE sha256 = ?', [sha])) return;
      const u = await one<{ id: number }>(db, 'SELECT id FROM users WHERE username = ?', [username]);
      if (u) await bindCertificate(db, { userId: u.id, certDer, kind });
    },
    async close() {
      await server.close();
      await db.close();
    },
  };
};
