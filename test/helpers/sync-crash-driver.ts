// Child process of the sync crash test: sign-and-sync cycles against a real server with a
// software signer, until every task is signed and acknowledged and the server holds the whole
// signature journal. The test kills it with SIGKILL
// at random points and starts it again; each start runs the engine's recovery.
//
// env: KYSO_DATA_DIR, SYNC_SERVER_URL, SYNC_USER, SYNC_PASSWORD, SYNC_SIGNER (JSON file:
// { keyPem, certDerB64, chainDerB64[] }). stdout: one event per line (ready, cycle-start ID,
// signed ID, cycle-end ID N, round-failed CODE, done).
import { createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DocumentSigner } from '../../src-core/sign/sign-document.js';
import { FileSecretStore } from '../../src-core/sync/secret-store.js';
import { SyncEngine } from '../../src-core/sync/sync-engine.js';

const env = process.env;
const dataDir = env.KYSO_DATA_DIR!;
const spec = JSON.parse(readFileSync(env.SYNC_SIGNER!, 'utf8')) as {
  keyPem: string;
  certDerB64: string;
  chainDerB64: string[];
};
const key = createPrivateKey(spec.keyPem);
const signer: DocumentSigner = {
  certDer: Buffer.from(spec.certDerB64, 'base64'),
  chainDers: spec.chainDerB64.map((c) => Buffer.from(c, 'base64')),
  scheme: 'RSA-PKCS1',
  sign: async (tbs, hash) => ({ signature: sign(hash.replace('-', '').toLowerCase(), tbs, key), scheme: 'RSA-PKCS1' }),
};
const out = (line: string): void => void process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const engine = await SyncEngine.open({
    dataDir,
    serverUrl: env.SYNC_SERVER_URL!,
    secrets: new FileSecretStore(join(dataDir, 'secrets.json')),
    credentials: async () => ({ kind: 'password', username: env.SYNC_USER!, password: env.SYNC_PASSWORD! }),
    backoff: { baseMs: 20, maxMs: 200 },
    log: (l) => void process.stderr.write(`${l}\n`),
  });
  const rec = engine.recovery!;
  out(
    `ready interrupted=${rec.interrupted} staged=${rec.stagingRemoved} requeued=${rec.requeued} damaged=${rec.damaged}`,
  );
  for (;;) {
    const r = await engine.syncNow();
    if (!r.ok) {
      out(`round-failed ${r.error?.code ?? '?'}`);
      await new Promise((res) => setTimeout(res, 50));
      continue;
    }
    const queue = await engine.listQueue();
    const todo = queue.filter(
      (i) =>
        i.assignmentState === 'open' &&
        i.status !== '13' &&
        i.contentAvailable &&
        !(i.outbox && (i.outbox.state === 'pending' || i.outbox.state === 'signing')),
    );
    if (todo.length === 0) {
      const s = engine.status();
      // A refused journal would never drain: stop loudly instead of looping.
      if (s.journal.state !== 'ok')
        throw new Error(`journal sync ${s.journal.state}: ${JSON.stringify(s.journal.problem)}`);
      if (s.pending === 0 && queue.every((i) => i.assignmentState !== 'open')) {
        // Done when the server also holds the whole journal (a kill may have cut the last push).
        if (s.journal.unsent === 0) break;
        await new Promise((res) => setTimeout(res, 20));
      }
      continue;
    }
    // Random order: kills land on different documents and steps.
    const item = todo[Math.floor(Math.random() * todo.length)]!;
    out(`cycle-start ${item.documentId}`);
    await engine.sign({ assignmentId: item.id, signer });
    out(`signed ${item.documentId}`);
    const after = await engine.syncNow();
    out(`cycle-end ${item.documentId} ${after.uploaded}`);
  }
  await engine.close();
  out('done');
}

main().catch((e: unknown) => {
  process.stderr.write(`driver failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
