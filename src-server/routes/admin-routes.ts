/** Administration: binding a token certificate to a user of the administrator's organisation. */
import { X509Certificate, createHash } from 'node:crypto';
import { z } from 'zod';
import { CertKind } from '../../src-shared/api/sync-types.js';
import { one } from '../db/adapter.js';
import type { AppDeps } from '../deps.js';
import { ServerError, notFound } from '../errors.js';
import { bindCertificate } from '../domain/accounts.js';
import { removeAssignment } from '../domain/documents.js';
import { readJson } from '../http/request-body.js';
import { sendEmpty, sendJson } from '../http/respond.js';
import type { RouteDef } from '../http/router.js';

const BindRequest = z
  .object({
    certificate: z
      .string()
      .regex(/^[A-Za-z0-9+/]+={0,2}$/)
      .max(16384),
    kind: CertKind,
  })
  .strict();

export function adminRoutes(deps: AppDeps): RouteDef[] {
  const { db } = deps;
  return [
    {
      method: 'DELETE',
      path: '/api/v1/admin/assignments/:assignmentId',
      name: 'admin.removeAssignment',
      auth: true,
      async handler(ctx) {
        const admin = ctx.user!;
        const id = Number(ctx.params.assignmentId);
        if (!Number.isSafeInteger(id)) throw notFound();
        if (admin.role !== 'admin') throw new ServerError(403, 'FORBIDDEN');
        await removeAssignment(db, admin, id, deps.now());
        ctx.audit.detail = `assignment=${id}`;
        sendEmpty(ctx.res, 204);
      },
    },
    {
      method: 'POST',
      path: '/api/v1/admin/users/:userId/certificates',
      name: 'admin.bindCertificate',
      auth: true,
      async handler(ctx) {
        const body = BindRequest.parse(await readJson(ctx.req, deps.maxJsonBytes));
        const admin = ctx.user!;
        if (admin.role !== 'admin') throw new ServerError(403, 'FORBIDDEN');
        const userId = Number(ctx.params.userId);
        const target = Number.isSafeInteger(userId)
          ? await one(db, 'SELECT 1 AS x FROM users WHERE id = ? AND org_id = ?', [userId, admin.orgId])
          : undefined;
        if (!target) throw notFound();
        const der = Buffer.from(body.certificate, 'base64');
        try {
          new X509Certificate(der);
        } catch {
          throw new ServerError(400, 'CERTIFICATE_INVALID');
        }
        const existing = await one(db, 'SELECT 1 AS x FROM user_certificates WHERE sha256 = ?', [
          createHash('sha256').update(der).digest('hex'),
        ]);
        if (existing) throw new ServerError(409, 'VALIDATION_FAILED', { detail: 'certificate already bound' });
        const sha256 = await bindCertificate(db, { userId, certDer: der, kind: body.kind }, deps.now());
        ctx.audit.detail = `user=${userId} certificate=${sha256} kind=${body.kind}`;
        sendJson(ctx.res, 201, { userId, sha256, kind: body.kind });
      },
    },
  ];
}
