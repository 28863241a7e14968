/** The desktop clients' signature journals: push and head for the device's user, reading for administrators. */
import {
  AdminJournalEntriesQuery,
  AdminJournalQuery,
  DeviceId,
  JournalHeadQuery,
  JournalPushRequest,
  type JournalEntryWire,
} from '../../src-shared/api/journal-types.js';
import type { AppDeps } from '../deps.js';
import { ServerError, notFound } from '../errors.js';
import { journalHead, listJournalDevices, pushJournal, readJournalEntries, recordFork } from '../domain/journal.js';
import { readJson } from '../http/request-body.js';
import { sendJson } from '../http/respond.js';
import type { RouteDef } from '../http/router.js';

/** A push of up to 500 entries (≈ 1 KB each at most) needs more than the usual 64 KiB JSON limit. */
export const JOURNAL_MAX_JSON_BYTES = 1024 * 1024;
const DEFAULT_ENTRIES_PAGE = 500;

export function journalRoutes(deps: AppDeps): RouteDef[] {
  const { db } = deps;
  return [
    {
      method: 'POST',
      path: '/api/v1/journal',
      name: 'journal.push',
      auth: true,
      async handler(ctx) {
        const json = await readJson(ctx.req, Math.max(deps.maxJsonBytes, JOURNAL_MAX_JSON_BYTES));
        const body = JournalPushRequest.parse(json);
        // The entries exactly as sent (validated above): their hash is recomputed over these.
        const raw = (json as { entries: JournalEntryWire[] }).entries;
        try {
          const r = await pushJournal(db, ctx.user!, body.deviceId, raw, deps.now());
          ctx.audit.detail = `device=${body.deviceId} seq=${raw[0]!.seq}..${raw[raw.length - 1]!.seq} accepted=${r.accepted} held=${r.alreadyHeld} head=${r.head.seq}`;
          sendJson(ctx.res, 200, r);
        } catch (e) {
          if (e instanceof ServerError && e.code === 'JOURNAL_FORK') {
            await recordFork(db, body.deviceId, Number(e.params.seq), deps.now());
          }
          throw e;
        }
      },
    },
    {
      method: 'GET',
      path: '/api/v1/journal/head',
      name: 'journal.head',
      auth: true,
      async handler(ctx) {
        const q = JournalHeadQuery.parse(Object.fromEntries(ctx.url.searchParams));
        const head = await journalHead(db, ctx.user!, q.deviceId);
        ctx.audit.skip = true;
        sendJson(ctx.res, 200, { deviceId: q.deviceId, head });
      },
    },
    {
      method: 'GET',
      path: '/api/v1/admin/journal',
      name: 'admin.journalDevices',
      auth: true,
      async handler(ctx) {
        const q = AdminJournalQuery.parse(Object.fromEntries(ctx.url.searchParams));
        const admin = ctx.user!;
        if (admin.role !== 'admin') throw new ServerError(403, 'FORBIDDEN');
        ctx.audit.detail = q.userId !== undefined ? `user=${q.userId}` : 'all devices';
        sendJson(ctx.res, 200, { items: await listJournalDevices(db, admin, q.userId) });
      },
    },
    {
      method: 'GET',
      path: '/api/v1/admin/journal/:deviceId',
      name: 'admin.journalEntries',
      auth: true,
      async handler(ctx) {
        const q = AdminJournalEntriesQuery.parse(Object.fromEntries(ctx.url.searchParams));
        const admin = ctx.user!;
        if (admin.role !== 'admin') throw new ServerError(403, 'FORBIDDEN');
        const deviceId = DeviceId.safeParse(ctx.params.deviceId);
        if (!deviceId.success) throw notFound();
        const r = await readJournalEntries(db, admin, deviceId.data, q.afterSeq ?? 0, q.limit ?? DEFAULT_ENTRIES_PAGE);
        ctx.audit.detail = `device=${deviceId.data} after=${q.afterSeq ?? 0} entries=${r.entries.length}`;
        sendJson(ctx.res, 200, r);
      },
    },
  ];
}
