// A TCP proxy in front of the reference server that plays the network's part in sync tests:
// "down" (every connection refused/reset, as with no network or a dead server), and "lose the
// answer of the next N uploads / journal pushes" (the request reaches the server, which commits
// and answers; the proxy drops the connection instead of passing the answer on — a response lost
// mid-flight).
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface FaultProxy {
  url: string;
  /** Upload requests (POST …/signed) seen, whatever happened to them. */
  readonly uploadsSeen: number;
  /** Journal pushes (POST /api/v1/journal) seen, whatever happened to them. */
  readonly journalPushesSeen: number;
  /** Connections accepted while up. */
  readonly connections: number;
  setDown(down: boolean): void;
  /** The next n uploads reach the server but their answers are dropped. */
  loseNextUploadAnswers(n: number): void;
  /** The next n journal pushes reach the server but their answers are dropped. */
  loseNextJournalAnswers(n: number): void;
  close(): Promise<void>;
}

const UPLOAD_LINE = /(^|\r\n)POST \/api\/v1\/documents\/[^ ]+\/signed HTTP\/1\.1\r\n/;
const JOURNAL_LINE = /(^|\r\n)POST \/api\/v1\/journal HTTP\/1\.1\r\n/;

export async function startFaultProxy(targetPort: number): Promise<FaultProxy> {
  let down = false;
  let loseBudget = 0;
  let uploadsSeen = 0;
  let journalBudget = 0;
  let journalPushesSeen = 0;
  let connections = 0;
  const sockets = new Set<Socket>();

  const server: Server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    connections++;
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    let dropping = false;
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('data', (chunk: Buffer) => {
      const head = chunk.toString('latin1');
      if (UPLOAD_LINE.test(head)) {
        uploadsSeen++;
        if (loseBudget > 0) {
          loseBudget--;
          dropping = true;
        }
      }
      if (JOURNAL_LINE.test(head)) {
        journalPushesSeen++;
        if (journalBudget > 0) {
          journalBudget--;
          dropping = true;
        }
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      // The server has answered (it answers only after its commit): the client never hears it.
      if (dropping) end();
      else client.write(chunk);
    });
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get uploadsSeen() {
      return uploadsSeen;
    },
    get journalPushesSeen() {
      return journalPushesSeen;
    },
    get connections() {
      return connections;
    },
    setDown(d: boolean) {
      down = d;
      if (d) for (const s of sockets) s.destroy();
    },
    loseNextUploadAnswers(n: number) {
      loseBudget = n;
    },
    loseNextJournalAnswers(n: number) {
      journalBudget = n;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
