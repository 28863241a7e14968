/**
 * `kyso sync [--server URL] [--verbose] [--json]`: one sync round — pull the queue, push the
 * outbox and the signature journal, fetch content for offline signing — with the status on
 * stderr (and, with --json, the round's result as one JSON object on stdout for scripts).
 *
 * Credentials: a stored refresh token (data dir secrets.json, 0600), else KYSO_USER and
 * KYSO_PASSWORD_ENV (the NAME of the variable holding the password: never the password itself on
 * a command line). Data dir: KYSO_DATA_DIR or the OS default. Server: --server, KYSO_SERVER_URL,
 * or the one remembered from the last login.
 *
 * Exit: 0 round complete; 2 complete but some signature is in conflict or refused, or the server
 * refused the signature journal (fork / broken chain) — each needs a person; 64 usage (no server); 69 server unreachable / data dir busy (the outbox is kept);
 * 77 not logged in or login refused; 70 anything else.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Locale } from '../../../src-shared/i18n/messages.js';
import { t } from '../../../src-shared/i18n/translate.js';
import type { Credentials } from '../../sync/auth-session.js';
import { defaultDataDir } from '../../sync/data-dir.js';
import { SyncError, type SyncErrorValue } from '../../sync/errors.js';
import { FileSecretStore } from '../../sync/secret-store.js';
import { SyncEngine } from '../../sync/sync-engine.js';
import type { SyncStatus } from '../../sync/types.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';

export const SYNC_EXIT = { OK: 0, ATTENTION: 2 } as const;

export function syncExitCode(e: SyncErrorValue): number {
  switch (e.code) {
    case 'OFFLINE':
    case 'SERVER_UNAVAILABLE':
    case 'RATE_LIMITED':
    case 'STORE_LOCKED':
      return EXIT.UNAVAILABLE;
    case 'AUTH_REQUIRED':
    case 'AUTH_FAILED':
    case 'ACCOUNT_MISMATCH':
      return EXIT.PIN;
    case 'NO_SERVER':
      return EXIT.USAGE;
    default:
      return EXIT.NOT_IMPLEMENTED;
  }
}

export function envCredentials(env: NodeJS.ProcessEnv): Credentials | null {
  const username = env.KYSO_USER;
  const varName = env.KYSO_PASSWORD_ENV;
  const password = varName ? env[varName] : undefined;
  return username && password ? { kind: 'password', username, password } : null;
}

export function statusLine(s: SyncStatus, locale: Locale): string {
  switch (s.summary) {
    case 'signed-out':
      return t(locale, 'sync.status.signedOut');
    case 'conflict':
      return t(locale, 'sync.status.conflict', { count: s.conflicts + s.rejected });
    case 'offline':
      return t(locale, 'sync.status.offline', { since: s.offlineSince ?? '?', count: s.pending });
    case 'pending':
      return t(locale, 'sync.status.pending', { count: s.pending });
    case 'error':
      return s.lastError ? t(locale, s.lastError.messageKey, s.lastError.params) : t(locale, 'error.internal');
    default:
      return t(locale, 'sync.status.synced', { open: s.queueOpen });
  }
}

export async function runSync(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      server: { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const dataDir = defaultDataDir(ctx.env);
  const creds = envCredentials(ctx.env);
  const err = (line: string): void => void ctx.stderr.write(`kyso sync: ${line}\n`);
  let engine: SyncEngine;
  try {
    engine = await SyncEngine.open({
      dataDir,
      ...((values.server ?? ctx.env.KYSO_SERVER_URL) ? { serverUrl: values.server ?? ctx.env.KYSO_SERVER_URL } : {}),
      secrets: new FileSecretStore(join(dataDir, 'secrets.json')),
      credentials: async () => creds,
      env: ctx.env,
      acceptLanguage: ctx.locale,
      log: values.verbose ? (line) => err(line) : () => undefined,
    });
  } catch (e) {
    if (e instanceof SyncError) {
      err(t(ctx.locale, e.messageKey, e.params));
      return syncExitCode(e);
    }
    throw e;
  }
  try {
    if (!engine.serverUrl) {
      err(t(ctx.locale, 'sync.error.noServer'));
      return EXIT.USAGE;
    }
    const mode = await engine.connectionMode();
    if (mode?.mode === 'proxy-unsupported') err(t(ctx.locale, 'sync.proxyUnsupported', { proxy: mode.proxy ?? '' }));
    const r = await engine.syncNow();
    if (!r.ok && r.error) {
      const e = r.error;
      err(
        e.code === 'AUTH_REQUIRED' && !creds
          ? t(ctx.locale, 'sync.error.noCredentials')
          : t(ctx.locale, e.messageKey, e.params),
      );
    } else {
      err(t(ctx.locale, 'sync.round', { changes: r.pulled.changes, downloaded: r.downloaded, uploaded: r.uploaded }));
    }
    const titles = new Map((await engine.listQueue({ includeRemoved: true })).map((i) => [i.id, i.title]));
    for (const o of engine.listOutbox()) {
      const title = titles.get(o.assignmentId) ?? o.documentId;
      if (o.state === 'conflict' && o.conflict) {
        const reason = o.conflict.reason ? ` (${o.conflict.reason})` : '';
        err(t(ctx.locale, 'sync.item.conflict', { title, code: o.conflict.code, reason }));
      } else if (o.state === 'rejected') {
        err(
          t(ctx.locale, 'sync.item.rejected', { title, code: o.lastError?.problem?.code ?? o.lastError?.code ?? '?' }),
        );
      }
    }
    const status = engine.status();
    err(statusLine(status, ctx.locale));
    if (values.json) {
      const { pulled, uploaded, downloaded, conflicts, rejected, pending, upgraded, error } = r;
      const result = {
        ok: r.ok,
        summary: status.summary,
        pulled,
        uploaded,
        downloaded,
        conflicts,
        rejected,
        pending,
        upgraded,
        journal: { ...status.journal, pushed: r.journal.pushed },
        error: error ? { code: error.code, message: t(ctx.locale, error.messageKey, error.params) } : null,
      };
      ctx.stdout.write(`${JSON.stringify(result)}\n`);
    }
    if (!r.ok && r.error) return syncExitCode(r.error);
    const journalStopped = status.journal.state === 'fork' || status.journal.state === 'rejected';
    return status.conflicts + status.rejected > 0 || journalStopped ? SYNC_EXIT.ATTENTION : SYNC_EXIT.OK;
  } finally {
    await engine.close();
  }
}
