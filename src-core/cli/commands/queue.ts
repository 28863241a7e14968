/**
 * `kyso queue [--json]`: the local queue as last synced — no network, no lock, safe to run
 * beside the app. JSON: { dataDir, account, lastSyncAt, cursor, items[], outbox[], counts }.
 */
import { parseArgs } from 'node:util';
import type { Locale } from '../../../src-shared/i18n/messages.js';
import { t } from '../../../src-shared/i18n/translate.js';
import { defaultDataDir } from '../../sync/data-dir.js';
import { SyncError } from '../../sync/errors.js';
import {
  localItemState,
  readQueueSnapshot,
  type LocalItemState,
  type QueueSnapshot,
} from '../../sync/queue-snapshot.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';

const STATE_KEY = {
  open: 'sync.local.open',
  'signed-pending': 'sync.local.signedPending',
  uploaded: 'sync.local.uploaded',
  conflict: 'sync.local.conflict',
  rejected: 'sync.local.rejected',
  done: 'sync.local.done',
  recalled: 'sync.local.recalled',
  removed: 'sync.local.removed',
} as const satisfies Record<LocalItemState, string>;

const URGENCY = ['', 'khẩn', 'thượng khẩn', 'hỏa tốc', 'hỏa tốc hẹn giờ'];

export async function runQueue(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } }, strict: true, allowPositionals: false });
  let snap: QueueSnapshot;
  try {
    snap = readQueueSnapshot(defaultDataDir(ctx.env));
  } catch (e) {
    if (e instanceof SyncError) {
      ctx.stderr.write(`kyso queue: ${t(ctx.locale, e.messageKey, e.params)}\n`);
      return EXIT.DATA;
    }
    throw e;
  }
  if (values.json) {
    const items = snap.items.map((i) => ({ ...i, localState: localItemState(i) }));
    ctx.stdout.write(`${JSON.stringify({ ...snap, items }, null, 2)}\n`);
    return EXIT.OK;
  }
  ctx.stdout.write(render(snap, ctx.locale));
  return EXIT.OK;
}

function render(s: QueueSnapshot, locale: Locale): string {
  const lines: string[] = [];
  lines.push(
    s.lastSyncAt && s.account
      ? t(locale, 'queue.lastSync', { at: s.lastSyncAt, server: s.account.serverUrl, user: s.account.username })
      : t(locale, 'queue.neverSynced'),
  );
  if (s.items.length === 0) lines.push(t(locale, 'queue.empty'));
  for (const i of s.items) {
    const state = t(locale, STATE_KEY[localItemState(i)]);
    const parts = [
      i.notation ?? i.docType,
      i.action,
      URGENCY[i.urgency] ?? '',
      i.dueAt ? `≤ ${i.dueAt.slice(0, 10)}` : '',
    ]
      .filter((p) => p !== '')
      .join(' · ');
    lines.push(`  [${state}] ${i.title} — ${parts}  (#${i.id}, ${i.documentId} v${i.version})`);
    if (i.outbox?.state === 'conflict' && i.outbox.conflict) {
      lines.push(`      ${i.outbox.conflict.code}${i.outbox.conflict.reason ? `: ${i.outbox.conflict.reason}` : ''}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
