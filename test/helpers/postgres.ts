// A throw-away PostgreSQL for the server tests. With KYSO_TEST_PG_URL set, that server is used;
// otherwise a private cluster is made with initdb in a temp dir (socket dir there too), started
// with pg_ctl on 127.0.0.1 and a free port, and removed at the end. As root the cluster runs as
// the `postgres` system user (postgres refuses to run as root).
//
// Missing PostgreSQL: in CI (CI set) that is a failure; on a developer machine the PG half of the
// tests is skipped with a clear "SKIPPED: PostgreSQL not installed" line.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PostgresCluster {
  /** Connection URL of a database the tests may use freely. */
  url: string;
  /** A URL for a fresh, empty schema in that database (one per test server: no cross-talk). */
  freshSchemaUrl(): Promise<string>;
  stop(): Promise<void>;
}

function findBinDir(): string | null {
  const fromPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (fromPath.status === 0 && fromPath.stdout.trim() !== '') {
    // Debian links only some tools into PATH; use the real directory so pg_ctl is found beside it.
    const real = execFileSync('readlink', ['-f', fromPath.stdout.trim()], { encoding: 'utf8' }).trim();
    return join(real, '..');
  }
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : null;
}

/**
 * Decides at test-registration time whether the PostgreSQL half can run. Returns a skip reason,
 * or false when it can. Throws in CI when PostgreSQL is missing, so CI cannot pass without it.
 */
export function postgresSkipReason(): string | false {
  if (process.env.KYSO_TEST_PG_URL) return false;
  if (findBinDir() !== null) return false;
  if (process.env.CI) {
    throw new Error('PostgreSQL is required in CI but initdb was not found (install the postgresql package)');
  }
  const reason = 'SKIPPED: PostgreSQL not installed (initdb not found); set KYSO_TEST_PG_URL or install postgresql';
  console.log(reason);
  return reason;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function systemUser(name: string): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

async function schemaFactory(url: string): Promise<() => Promise<string>> {
  return async () => {
    const schema = `kyso_t_${randomBytes(6).toString('hex')}`;
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(`CREATE SCHEMA ${schema}`);
    } finally {
      await c.end();
    }
    const u = new URL(url);
    u.searchParams.set('options', `-c search_path=${schema}`);
    return u.toString();
  };
}

async function startCluster(): Promise<PostgresCluster> {
  const bin = findBinDir();
  if (!bin) throw new Error('initdb not found');
  const dir = mkdtempSync(join(tmpdir(), 'kyso-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? systemUser('postgres') : null;
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' };
  const as = owner ? { uid: owner.uid, gid: owner.gid } : {};

  // test/helpers/run.ts cannot switch user; execFile can (uid/gid), which root needs here.
  const exec = (tool: string, args: string[], timeout = 60_000): Promise<void> =>
    new Promise((resolve, reject) => {
      execFile(join(bin, tool), args, { cwd: dir, env, timeout, ...as }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${tool} failed: ${String(stderr).trim() || String(stdout).trim() || err.message}`));
        else resolve();
      });
    });

  try {
    await exec('initdb', ['-D', data, '-U', 'kyso', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    let port = 0;
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      try {
        await exec('pg_ctl', [
          '-D',
          data,
          '-l',
          join(dir, 'server.log'),
          '-w',
          '-t',
          '60',
          '-o',
          // Throw-away data: durability settings off for speed; many clients for the concurrency tests.
          `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`,
          'start',
        ]);
        break;
      } catch (e) {
        if (attempt >= 2) throw e;
      }
    }
    const admin = new pg.Client({ host: '127.0.0.1', port, user: 'kyso', database: 'postgres' });
    await admin.connect();
    await admin.query('CREATE DATABASE kyso_test');
    await admin.end();
    const url = `postgres://kyso@127.0.0.1:${port}/kyso_test`;

    let stopped = false;
    const stopSync = (): void => {
      if (stopped) return;
      stopped = true;
      spawnSync(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], { cwd: dir, env, ...as });
      rmSync(dir, { recursive: true, force: true });
    };
    // A test process that dies before after() must not leave a postgres running.
    process.once('exit', stopSync);
    return {
      url,
      freshSchemaUrl: await schemaFactory(url),
      stop: () => {
        process.off('exit', stopSync);
        stopSync();
        return Promise.resolve();
      },
    };
  } catch (e) {
    spawnSync(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop'], { cwd: dir, env, ...as });
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

let shared: Promise<PostgresCluster> | null = null;

/** One cluster per test process, started on first use. */
export function sharedPostgres(): Promise<PostgresCluster> {
  if (!shared) {
    const external = process.env.KYSO_TEST_PG_URL;
    shared = external
      ? schemaFactory(external).then((freshSchemaUrl) => ({
          url: external,
          freshSchemaUrl,
          stop: () => Promise.resolve(),
        }))
      : startCluster();
  }
  return shared;
}

export async function stopSharedPostgres(): Promise<void> {
  if (!shared) return;
  const s = shared;
  shared = null;
  await (await s).stop();
}
