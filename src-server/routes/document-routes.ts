/** The queue feed, document content, signed uploads, issue numbers, recall and directives. */
import { z } from 'zod';
import { DirectiveCreateRequest, QueueQuery, RecallRequest } from '../../src-shared/api/sync-types.js';
import type { AppDeps } from '../deps.js';
import { ServerError, notFound } from '../errors.js';
import { createDirective, listDirectives } from '../domain/directives.js';
import {
  findManageableDocument,
  findVisibleDocument,
  getVersion,
  readQueue,
  recallDocument,
} from '../domain/documents.js';
import { allocateIssueNumber } from '../domain/registers.js';
import { acceptUpload } from '../domain/upload.js';
import { serveFile } from '../http/content.js';
import { readJson } from '../http/request-body.js';
import { sendJson } from '../http/respond.js';
import type { RouteDef } from '../http/router.js';

const DEFAULT_PAGE = 200;
const VersionParam = z.coerce.number().int().min(1).max(1_000_000_000);

export function documentRoutes(deps: AppDeps): RouteDef[] {
  const { db } = deps;
  return [
    {
      method: 'GET',
      path: '/api/v1/queue',
      name: 'queue.read',
      auth: true,
      async handler(ctx) {
        const q = QueueQuery.parse(Object.fromEntries(ctx.url.searchParams));
        const page = await readQueue(db, ctx.user!, Number(q.since ?? '0'), q.limit ?? DEFAULT_PAGE);
        ctx.audit.skip = true;
        sendJson(ctx.res, 200, page);
      },
    },
    {
      method: 'GET',
      path: '/api/v1/documents/:id/content',
      name: 'document.content',
      auth: true,
      async handler(ctx) {
        const doc = await findVisibleDocument(db, ctx.user!, ctx.params.id!);
        const vParam = ctx.url.searchParams.get('version');
        const version = vParam === null ? doc.current_version : VersionParam.parse(vParam);
        const v = await getVersion(db, doc.id, version);
        if (!v) throw notFound();
        ctx.audit.detail = `version=${version}`;
        await serveFile(ctx.req, ctx.res, {
          path: deps.blobs.pathOf(v.sha256),
          size: v.size,
          sha256: v.sha256,
          contentType: 'application/pdf',
          extraHeaders: { 'X-Document-Version': String(version) },
        });
      },
    },
    {
      method: 'POST',
      path: '/api/v1/documents/:id/signed',
      name: 'document.upload',
      auth: true,
      async handler(ctx) {
        const r = await acceptUpload(
          {
            db,
            blobs: deps.blobs,
            inspector: deps.inspector,
            maxUploadBytes: deps.maxUploadBytes,
            now: deps.now,
          },
          ctx.user!,
          ctx.params.id!,
          ctx.req,
        );
        ctx.audit.detail = `version=${r.body.version} sha256=${r.body.sha256}${r.replayed ? ' replayed' : ''}`;
        sendJson(ctx.res, r.status, r.body, {
          ETag: `"${r.body.sha256}"`,
          ...(r.replayed ? { 'Idempotent-Replayed': 'true' } : {}),
        });
      },
    },
    {
      method: 'POST',
      path: '/api/v1/documents/:id/issue-number',
      name: 'document.issueNumber',
      auth: true,
      async handler(ctx) {
        await readJson(ctx.req, deps.maxJsonBytes);
        const r = await allocateIssueNumber(db, ctx.user!, ctx.params.id!, deps.now());
        ctx.audit.detail = `notation=${r.response.notation} date=${r.response.issuedDate}`;
        sendJson(ctx.res, r.created ? 201 : 200, r.response);
      },
    },
    {
      method: 'POST',
      path: '/api/v1/documents/:id/recall',
      name: 'document.recall',
      auth: true,
      async handler(ctx) {
        const body = RecallRequest.parse(await readJson(ctx.req, deps.maxJsonBytes));
        const user = ctx.user!;
        const doc = await findManageableDocument(db, user, ctx.params.id!);
        // Administrators recall any document of their organisation; a drafter only their own.
        const allowed = user.role === 'admin' || (user.role === 'drafter' && doc.created_by === user.id);
        if (!allowed) throw new ServerError(403, 'FORBIDDEN');
        ctx.audit.detail = `reason=${body.reason}`;
        const status = doc.status === '13' ? '13' : await recallDocument(db, doc.id, body.reason, deps.now());
        sendJson(ctx.res, 200, { documentId: doc.id, status });
      },
    },
    {
      method: 'GET',
      path: '/api/v1/documents/:id/directives',
      name: 'directive.list',
      auth: true,
      async handler(ctx) {
        const doc = await findVisibleDocument(db, ctx.user!, ctx.params.id!);
        sendJson(ctx.res, 200, { items: await listDirectives(db, doc.id) });
      },
    },
    {
      method: 'POST',
      path: '/api/v1/documents/:id/directives',
      name: 'directive.create',
      auth: true,
      async handler(ctx) {
        const body = DirectiveCreateRequest.parse(await readJson(ctx.req, deps.maxJsonBytes));
        const doc = await findVisibleDocument(db, ctx.user!, ctx.params.id!);
        const d = await createDirective(db, ctx.user!, doc.id, body, deps.now());
        ctx.audit.detail = `directive=${d.id}`;
        sendJson(ctx.res, 201, d);
      },
    },
  ];
}
