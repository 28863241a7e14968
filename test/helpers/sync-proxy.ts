// A TCP proxy in front of the reference server that plays the network's part in sync tests:
// "down" (every connection refused/reset, as with no network or a dead server), and "lose the
// answer of the next N uploads" (the request reaches the server, which commits and answers; the
// proxy drops the connection instead of passing the answer on — a response lost mid-flight).
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface FaultProxy {
  url: string;
  /** Upload requests (POST …/signed) seen, whatever happened to them. */
  readonly uploadsSeen: number;
  /** Connections accepted while up. */
  readonly connections: number;
  setDown(down: boolean): void;
  /** The next n uploads reach the server but their answers are dropped. */
  loseNextUploadAnswers(n: number): void;
  close(): Promise<void>;
}

const UPLOAD_LINE = /(^|\r\n)POST \/api\/v1\/documents\/[^ ]+\/signed HTTP\/1\.1\r\n/;

export async function startFaultProxy(targetPort: number): Promise<FaultProxy> {
  let down = false;
  let loseBudget = 0;
  let uploadsSeen = 0;
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
      if (UPLOAD_LINE.test(chunk.toString('latin1'))) {
        uploadsSeen++;
        if (loseBudget > 0) {
          loseBudget--;
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
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
