/**
 * The server under benchmark, in its own process so the load generator does not share its event
 * loop. Argument: DB spec and blob dir. Prints the URL, stops on SIGTERM.
 *
 * Uploads are judged by a BENCH STAND-IN inspector: the appended revision names its signer in a
 * comment (`% bench-signer <sha256>`). The real PDF inspector is not wired yet; its cost is not
 * in these numbers.
 */
import { readFile } from 'node:fs/promises';
import { startKysoServer } from '../src-server/app.js';
import { openDatabase } from '../src-server/db/open-db.js';
import type { UploadInspector } from '../src-server/domain/inspector.js';
import { BlobStore } from '../src-server/store/blob-store.js';

const [dbSpec, blobDir] = process.argv.slice(2);
if (!dbSpec || !blobDir) throw new Error('usage: server-bench-child.ts DB BLOBS');

const inspector: UploadInspector = {
  async inspect(file, priorLength) {
    const tail = (await readFile(file)).subarray(priorLength).toString('latin1');
    const m = /% bench-signer ([0-9a-f]{64})/.exec(tail);
    return m
      ? { newSignatures: [{ valid: true, signerCertSha256: m[1]!, signerKind: 'personal' }], errors: [] }
      : { newSignatures: [], errors: ['no bench signer'] };
  },
};

const db = await openDatabase(dbSpec);
const server = await startKysoServer({ db, blobs: new BlobStore(blobDir), inspector, log: () => undefined });
process.stdout.write(`${server.url}\n`);
process.once('SIGTERM', () => {
  void server
    .close()
    .then(() => db.close())
    .then(() => process.exit(0));
});
