/**
 * `kyso server [--port N] [--host ADDR] [--db PATH | --db postgres://...] [--blobs DIR] [--seed-demo] [--log FILE]`
 * Prints the listening URL on stdout and serves until SIGINT/SIGTERM (or the abort signal).
 * Exit codes follow the kyso contract: 0 after a clean stop, 64 usage, 69 database unavailable.
 */
import { dirname, join, resolve } from 'node:path';
import { closeSync, openSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Logger } from '../src-core/log/logger.js';
import type { Locale } from '../src-shared/i18n/messages.js';
import { t } from '../src-shared/i18n/translate.js';
import { startKysoServer, DEFAULT_MAX_UPLOAD_BYTES } from './app.js';
import type { Db } from './db/adapter.js';
import { isPostgresUrl, openDatabase } from './db/open-db.js';
import type { UploadInspector } from './domain/inspector.js';
import { seedDemo } from './seed/demo-seed.js';
import { BlobStore } from './store/blob-store.js';

export interface ServerCommandContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  locale: Locale;
}

export interface ServerCommandOptions {
  /** The PDF signature engine; without it uploads are refused with 503 (fail closed). */
  inspector?: UploadInspector;
  /** Stops the server like SIGINT does (tests, embedding). */
  signal?: AbortSignal;
}

export const SERVER_USAGE = `Usage:
  kyso server [--port N] [--host ADDR] [--db PATH | --db postgres://USER@HOST:PORT/DB] [--blobs DIR]
              [--max-upload-mb N] [--seed-demo] [--log FILE]

Runs the reference document workflow server (sync API under /api/v1, contract in
docs/sync-api.openapi.yaml). Defaults: --port 8787, --host 127.0.0.1,
--db ./kyso-server-data/kyso.sqlite (or $KYSO_SERVER_DB), document files in --blobs
(default: "blobs" next to the SQLite file, ./kyso-server-data/blobs with PostgreSQL).
--seed-demo adds Bộ Tài chính (000.00.00.G22) with demo users and documents, once.
--log FILE appends one JSON line per request (method, path without the query, route,
status, milliseconds, user id once signed in), redacted; never bodies, headers or tokens.
Rotated at 5 MB (server.log → server.1.log … server.5.log).
Stops on Ctrl+C (SIGINT) or SIGTERM.
`;

const EXIT_OK = 0;
const EXIT_USAGE = 64;
const EXIT_UNAVAILABLE = 69;

export async function runServerCommand(
  args: string[],
  ctx: ServerCommandContext,
  opts: ServerCommandOptions = {},
): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        db: { type: 'string' },
        blobs: { type: 'string' },
        'max-upload-mb': { type: 'string' },
        'seed-demo': { type: 'boolean' },
        log: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    ctx.stderr.write(`kyso server: ${t(ctx.locale, 'error.usage', { detail: (e as Error).message })}\n`);
    return EXIT_USAGE;
  }
  if (values.help) {
    ctx.stdout.write(SERVER_USAGE);
    return EXIT_OK;
  }
  const port = values.port === undefined ? 8787 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    ctx.stderr.write(`kyso server: ${t(ctx.locale, 'error.usage', { detail: `--port ${values.port ?? ''}` })}\n`);
    return EXIT_USAGE;
  }
  const maxMb = values['max-upload-mb'] === undefined ? undefined : Number(values['max-upload-mb']);
  if (maxMb !== undefined && !(Number.isFinite(maxMb) && maxMb > 0)) {
    ctx.stderr.write(`kyso server: ${t(ctx.locale, 'error.usage', { detail: '--max-upload-mb' })}\n`);
    return EXIT_USAGE;
  }
  let requestLog: Logger | undefined;
  if (values.log !== undefined) {
    try {
      if (values.log.trim() === '') throw new Error('--log needs a file name');
      requestLog = new Logger({ file: resolve(values.log) });
      closeSync(openSync(requestLog.file, 'a', 0o600)); // writable now, not silently later
    } catch (e) {
      const detail = `--log ${values.log}: ${(e as Error).message.split('\n')[0]}`;
      ctx.stderr.write(`kyso server: ${t(ctx.locale, 'error.usage', { detail })}\n`);
      return EXIT_USAGE;
    }
  }
  const dbSpec = values.db ?? ctx.env.KYSO_SERVER_DB ?? join('kyso-server-data', 'kyso.sqlite');
  const blobDir = resolve(
    values.blobs ??
      ctx.env.KYSO_SERVER_BLOBS ??
      (isPostgresUrl(dbSpec) ? join('kyso-server-data', 'blobs') : join(dirname(resolve(dbSpec)), 'blobs')),
  );

  let db: Db;
  try {
    db = await openDatabase(dbSpec);
  } catch (e) {
    // The message of a driver error names host and database, never the password.
    ctx.stderr.write(`kyso server: database unavailable: ${(e as Error).message.split('\n')[0]}\n`);
    return EXIT_UNAVAILABLE;
  }
  try {
    const blobs = new BlobStore(blobDir);
    if (values['seed-demo']) {
      const accounts = await seedDemo(db, blobs);
      if (accounts) {
        ctx.stdout.write('Demo data (Bộ Tài chính, 000.00.00.G22):\n');
        for (const a of accounts)
          ctx.stdout.write(`  ${a.username.padEnd(8)} ${a.role.padEnd(8)} ${a.fullName}  password: ${a.password}\n`);
      } else {
        ctx.stdout.write('Demo data already present.\n');
      }
    }
    const server = await startKysoServer(
      {
        db,
        blobs,
        inspector: opts.inspector,
        maxUploadBytes: maxMb === undefined ? DEFAULT_MAX_UPLOAD_BYTES : Math.floor(maxMb * 1024 * 1024),
        log: (line) => ctx.stderr.write(`${line}\n`),
        ...(requestLog ? { requestLog } : {}),
      },
      { port, host: values.host ?? '127.0.0.1' },
    );
    ctx.stdout.write(`kyso server listening on ${server.url}\n`);
    requestLog?.info('server.start', { url: server.url });
    await new Promise<void>((done) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        opts.signal?.removeEventListener('abort', stop);
        done();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      if (opts.signal?.aborted) stop();
      else opts.signal?.addEventListener('abort', stop);
    });
    await server.close();
    requestLog?.info('server.stop', {});
    return EXIT_OK;
  } catch (e) {
    ctx.stderr.write(`kyso server: ${(e as Error).message.split('\n')[0]}\n`);
    return (e as { code?: unknown }).code === 'EADDRINUSE' ? EXIT_UNAVAILABLE : 70;
  } finally {
    await db.close().catch(() => undefined);
  }
}
