/** Login (password, certificate challenge), refresh rotation, logout, who am I. */
import {
  CertificateLoginRequest,
  PasswordLoginRequest,
  RefreshRequest,
  type TokenResponse,
} from '../../src-shared/api/sync-types.js';
import {
  checkValidity,
  consumeChallenge,
  createChallenge,
  parseLoginCertificate,
  verifyChallengeSignature,
} from '../auth/certificate-login.js';
import { verifyPassword } from '../auth/password-hash.js';
import { clearFailures, recordFailure, retryAfterSeconds } from '../auth/rate-limit.js';
import {
  loadUserInfo,
  revokeFamily,
  rotateRefresh,
  startSession,
  userInfoOf,
  type IssuedTokens,
} from '../auth/sessions.js';
import { one } from '../db/adapter.js';
import type { AppDeps } from '../deps.js';
import { ServerError } from '../errors.js';
import { readJson } from '../http/request-body.js';
import { sendEmpty, sendJson } from '../http/respond.js';
import type { RequestContext, RouteDef } from '../http/router.js';

export function authRoutes(deps: AppDeps): RouteDef[] {
  const { db } = deps;

  async function tokenResponse(tokens: IssuedTokens, userId: number): Promise<TokenResponse> {
    return { tokenType: 'Bearer', ...tokens, user: await loadUserInfo(db, userId) };
  }

  /** Runs a login attempt under the limiter: refused early when locked, failures counted. */
  async function limited<T>(ctx: RequestContext, key: string, attempt: () => Promise<T>): Promise<T> {
    const now = deps.now();
    const wait = await retryAfterSeconds(db, key, now, deps.rateLimit);
    if (wait > 0) {
      throw new ServerError(429, 'RATE_LIMITED', { seconds: wait }, { headers: { 'Retry-After': String(wait) } });
    }
    try {
      const r = await attempt();
      await clearFailures(db, key);
      return r;
    } catch (e) {
      if (e instanceof ServerError && e.status === 401) await recordFailure(db, key, now, deps.rateLimit);
      throw e;
    }
  }

  return [
    {
      method: 'POST',
      path: '/api/v1/auth/password',
      name: 'auth.password',
      auth: false,
      async handler(ctx) {
        const body = PasswordLoginRequest.parse(await readJson(ctx.req, deps.maxJsonBytes));
        ctx.audit.detail = `username=${body.username}`;
        const userId = await limited(ctx, `pw:${body.username.toLowerCase()}|${ctx.ip}`, async () => {
          const u = await one<{ id: number; password_hash: string | null; disabled: number }>(
            db,
            'SELECT id, password_hash, disabled FROM users WHERE username = ?',
            [body.username],
          );
          const ok = await verifyPassword(body.password, u?.password_hash);
          if (!ok || !u || u.disabled !== 0) throw new ServerError(401, 'INVALID_CREDENTIALS');
          return u.id;
        });
        const tokens = await startSession(db, userId, deps.now(), deps.sessions);
        sendJson(ctx.res, 200, await tokenResponse(tokens, userId));
      },
    },
    {
      method: 'POST',
      path: '/api/v1/auth/challenge',
      name: 'auth.challenge',
      auth: false,
      async handler(ctx) {
        await readJson(ctx.req, deps.maxJsonBytes);
        sendJson(ctx.res, 201, await createChallenge(db, deps.now()));
      },
    },
    {
      method: 'POST',
      path: '/api/v1/auth/certificate',
      name: 'auth.certificate',
      auth: false,
      async handler(ctx) {
        const body = CertificateLoginRequest.parse(await readJson(ctx.req, deps.maxJsonBytes));
        const challenge = await consumeChallenge(db, body.challengeId, deps.now());
        const parsed = parseLoginCertificate(body.certificate);
        ctx.audit.detail = `certificate=${parsed.sha256}`;
        const userId = await limited(ctx, `cert:${parsed.sha256}|${ctx.ip}`, async () => {
          // Proof of possession first: without the key nobody learns whether a certificate is bound.
          if (!verifyChallengeSignature(parsed.cert, challenge, body.signature)) {
            throw new ServerError(401, 'SIGNATURE_MISMATCH');
          }
          checkValidity(parsed.cert, deps.now());
          const bound = await one<{ user_id: number }>(
            db,
            `SELECT c.user_id FROM user_certificates c JOIN users u ON u.id = c.user_id
             WHERE c.sha256 = ? AND u.disabled = 0`,
            [parsed.sha256],
          );
          if (!bound) throw new ServerError(401, 'CERTIFICATE_NOT_BOUND');
          return bound.user_id;
        });
        const tokens = await startSession(db, userId, deps.now(), deps.sessions);
        sendJson(ctx.res, 200, await tokenResponse(tokens, userId));
      },
    },
    {
      method: 'POST',
      path: '/api/v1/auth/refresh',
      name: 'auth.refresh',
      auth: false,
      async handler(ctx) {
        const body = RefreshRequest.parse(await readJson(ctx.req, deps.maxJsonBytes));
        const { tokens, userId } = await rotateRefresh(db, body.refreshToken, deps.now(), deps.sessions);
        sendJson(ctx.res, 200, await tokenResponse(tokens, userId));
      },
    },
    {
      method: 'POST',
      path: '/api/v1/auth/logout',
      name: 'auth.logout',
      auth: true,
      async handler(ctx) {
        await revokeFamily(db, ctx.user!.familyId, 'logout', deps.now());
        sendEmpty(ctx.res, 204);
      },
    },
    {
      method: 'GET',
      path: '/api/v1/me',
      name: 'auth.me',
      auth: true,
      async handler(ctx) {
        ctx.audit.skip = true;
        sendJson(ctx.res, 200, userInfoOf(ctx.user!));
      },
    },
  ];
}
