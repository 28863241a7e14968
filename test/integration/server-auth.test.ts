// Login to the workflow server for real, on SQLite and PostgreSQL: certificate challenge signed
// with real RSA and EC keys (certificates from the test VGCA-shaped PKI), password login with
// scrypt, rate limiting, rotating refresh tokens with reuse detection, logout, token expiry,
// and the administrator's certificate binding.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, sign } from 'node:crypto';
import type { ChallengeResponse, SyncProblem, TokenResponse } from '../../src-shared/api/sync-types.js';
import { bindCertificate } from '../../src-server/domain/accounts.js';
import { postgresSkipReason, stopSharedPostgres } from '../helpers/postgres.js';
import { createTestPki, type TestIdentity, type TestPki } from '../helpers/pki.js';
import { passwordOf, startHarness, type Harness, type HttpResult } from '../helpers/server-harness.js';

const pgSkip = postgresSkipReason();
let pki: TestPki;
let expired: TestIdentity;
let stranger: TestIdentity;

before(async () => {
  pki = await createTestPki();
  expired = await pki.issue({ name: 'expired-person', profile: 'person', validity: 'expired' });
  stranger = await pki.issue({ name: 'stranger', profile: 'person', key: { type: 'ec', curve: 'P-256' } });
});
after(async () => {
  await stopSharedPostgres();
  await pki?.cleanup();
});

const problem = (r: HttpResult): SyncProblem => r.json<SyncProblem>();

function signChallenge(id: TestIdentity, challenge: string, ecFormat: 'der' | 'ieee-p1363' = 'der'): string {
  const key = createPrivateKey(id.keyPem);
  const data = Buffer.from(challenge, 'utf8');
  const sig =
    id.keySpec.type === 'ec' ? sign('sha256', data, { key, dsaEncoding: ecFormat }) : sign('sha256', data, key);
  return sig.toString('base64');
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`server login on ${kind}`, { skip: kind === 'postgres' ? pgSkip : false }, () => {
    let h: Harness;

    before(async () => {
      h = await startHarness(kind, { rateLimit: { maxFailures: 5, windowMs: 15 * 60 * 1000 } });
      await bindCertificate(h.db, { userId: h.users.duc, certDer: pki.person.certDer, kind: 'personal' });
      await bindCertificate(h.db, { userId: h.users.huong, certDer: pki.personEc.certDer, kind: 'personal' });
      await bindCertificate(h.db, { userId: h.users.lan, certDer: pki.organisation.certDer, kind: 'organisation' });
      await bindCertificate(h.db, { userId: h.users.tuan, certDer: expired.certDer, kind: 'personal' });
    });
    after(async () => {
      await h?.close();
    });

    const challenge = async (): Promise<ChallengeResponse> => {
      const r = await h.http('POST', '/api/v1/auth/challenge');
      assert.equal(r.status, 201);
      return r.json<ChallengeResponse>();
    };

    const certLogin = (challengeId: string, id: TestIdentity, signature: string) =>
      h.http('POST', '/api/v1/auth/certificate', {
        body: { challengeId, certificate: Buffer.from(id.certDer).toString('base64'), signature },
      });

    test('certificate login with an RSA key (PKCS#1 v1.5, SHA-256)', async () => {
      const c = await challenge();
      assert.match(c.challenge, /^kyso-login-v1:/);
      const r = await certLogin(c.challengeId, pki.person, signChallenge(pki.person, c.challenge));
      assert.equal(r.status, 200, r.body.toString());
      const t = r.json<TokenResponse>();
      assert.equal(t.user.username, 'duc');
      assert.equal(t.user.fullName, 'Nguyễn Văn Đức');
      assert.equal(t.user.organisation.id, '000.00.00.G22');
      assert.equal(t.expiresIn, 900);
      assert.equal(t.refreshExpiresIn, 30 * 24 * 3600);
      const me = await h.http('GET', '/api/v1/me', { token: t.accessToken });
      assert.equal(me.status, 200);
      assert.equal(me.json<{ role: string }>().role, 'leader');
      // Single use: the same challenge and signature cannot log in twice.
      const replay = await certLogin(c.challengeId, pki.person, signChallenge(pki.person, c.challenge));
      assert.equal(replay.status, 401);
      assert.equal(problem(replay).code, 'CHALLENGE_INVALID');
    });

    test('certificate login with an EC P-256 key, DER and raw r||s signatures', async () => {
      for (const format of ['der', 'ieee-p1363'] as const) {
        const c = await challenge();
        const r = await certLogin(c.challengeId, pki.personEc, signChallenge(pki.personEc, c.challenge, format));
        assert.equal(r.status, 200, `${format}: ${r.body.toString()}`);
        assert.equal(r.json<TokenResponse>().user.username, 'huong');
      }
      const c = await challenge();
      const org = await certLogin(c.challengeId, pki.organisation, signChallenge(pki.organisation, c.challenge));
      assert.equal(org.json<TokenResponse>().user.username, 'lan');
    });

    test('certificate login refuses wrong keys, unbound or expired certificates, stale challenges, junk', async () => {
      let c = await challenge();
      // Signed by another key than the certificate's.
      const wrongKey = await certLogin(c.challengeId, pki.person, signChallenge(pki.personRsa3072, c.challenge));
      assert.equal(wrongKey.status, 401);
      assert.equal(problem(wrongKey).code, 'SIGNATURE_MISMATCH');
      c = await challenge();
      const otherText = await certLogin(c.challengeId, pki.person, signChallenge(pki.person, `${c.challenge}x`));
      assert.equal(problem(otherText).code, 'SIGNATURE_MISMATCH');
      c = await challenge();
      const unbound = await certLogin(c.challengeId, stranger, signChallenge(stranger, c.challenge));
      assert.equal(unbound.status, 401);
      assert.equal(problem(unbound).code, 'CERTIFICATE_NOT_BOUND');
      c = await challenge();
      const old = await certLogin(c.challengeId, expired, signChallenge(expired, c.challenge));
      assert.equal(old.status, 401);
      assert.equal(problem(old).code, 'CERTIFICATE_EXPIRED');
      const unknown = await certLogin('no-such-challenge', pki.person, 'AAAA');
      assert.equal(problem(unknown).code, 'CHALLENGE_INVALID');
      c = await challenge();
      const junk = await h.http('POST', '/api/v1/auth/certificate', {
        body: { challengeId: c.challengeId, certificate: 'AAAABBBB', signature: 'AAAA' },
      });
      assert.equal(junk.status, 400);
      assert.equal(problem(junk).code, 'CERTIFICATE_INVALID');
      const malformed = await h.http('POST', '/api/v1/auth/certificate', { body: { challengeId: c.challengeId } });
      assert.equal(malformed.status, 400);
      assert.equal(problem(malformed).code, 'VALIDATION_FAILED');
      // Challenges expire after 2 minutes.
      c = await challenge();
      h.clock.offsetMs = 3 * 60 * 1000;
      try {
        const late = await certLogin(c.challengeId, pki.person, signChallenge(pki.person, c.challenge));
        assert.equal(problem(late).code, 'CHALLENGE_INVALID');
      } finally {
        h.clock.offsetMs = 0;
      }
    });

    test('password login; wrong and unknown users look the same', async () => {
      const ok = await h.http('POST', '/api/v1/auth/password', {
        body: { username: 'lan', password: passwordOf('lan') },
      });
      assert.equal(ok.status, 200);
      assert.equal(ok.json<TokenResponse>().user.role, 'clerk');
      const wrong = await h.http('POST', '/api/v1/auth/password', { body: { username: 'lan', password: 'sai' } });
      const nobody = await h.http('POST', '/api/v1/auth/password', { body: { username: 'khongco', password: 'sai' } });
      assert.equal(wrong.status, 401);
      assert.deepEqual(problem(wrong), problem(nobody));
      assert.equal(problem(wrong).code, 'INVALID_CREDENTIALS');
      const stored = await h.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE username = ?', [
        'lan',
      ]);
      assert.match(stored[0]!.password_hash, /^scrypt\$16384\$8\$1\$/);
      assert.ok(!stored[0]!.password_hash.includes(passwordOf('lan')));
    });

    test('rate limit: 5 failures in 15 minutes lock that user from that IP (429 + Retry-After)', async () => {
      const attempt = (password: string) =>
        h.http('POST', '/api/v1/auth/password', { body: { username: 'binhadmin', password } });
      for (let i = 0; i < 5; i++) assert.equal((await attempt('sai-mat-khau')).status, 401);
      const locked = await attempt(passwordOf('binhadmin'));
      assert.equal(locked.status, 429, 'even the right password waits');
      const retry = Number(locked.headers['retry-after']);
      assert.ok(retry >= 1 && retry <= 900, `Retry-After ${retry}`);
      assert.equal(problem(locked).code, 'RATE_LIMITED');
      assert.match(problem(locked).message.vi, /Thử lại sau \d+ giây/);
      // Another user from the same address is not affected.
      assert.equal(
        (await h.http('POST', '/api/v1/auth/password', { body: { username: 'binh', password: passwordOf('binh') } }))
          .status,
        200,
      );
      // Certificate logins are limited the same way (per certificate and IP).
      for (let i = 0; i < 5; i++) {
        const c = await challenge();
        await certLogin(c.challengeId, stranger, signChallenge(stranger, c.challenge));
      }
      const c = await challenge();
      assert.equal((await certLogin(c.challengeId, stranger, signChallenge(stranger, c.challenge))).status, 429);
      h.clock.offsetMs = 15 * 60 * 1000 + 1000;
      try {
        assert.equal((await attempt(passwordOf('binhadmin'))).status, 200, 'the window passed');
      } finally {
        h.clock.offsetMs = 0;
      }
    });

    test('refresh tokens rotate; a reused one revokes the whole login', async () => {
      const first = (
        await h.http('POST', '/api/v1/auth/password', { body: { username: 'huong', password: passwordOf('huong') } })
      ).json<TokenResponse>();
      const r1 = await h.http('POST', '/api/v1/auth/refresh', { body: { refreshToken: first.refreshToken } });
      assert.equal(r1.status, 200);
      const second = r1.json<TokenResponse>();
      assert.notEqual(second.accessToken, first.accessToken);
      assert.notEqual(second.refreshToken, first.refreshToken);
      assert.equal((await h.http('GET', '/api/v1/me', { token: second.accessToken })).status, 200);

      const reuse = await h.http('POST', '/api/v1/auth/refresh', { body: { refreshToken: first.refreshToken } });
      assert.equal(reuse.status, 401);
      assert.equal(problem(reuse).code, 'REFRESH_REUSED');
      // Everything of that login is dead now, including the tokens the thief or the user got.
      assert.equal((await h.http('GET', '/api/v1/me', { token: second.accessToken })).status, 401);
      assert.equal((await h.http('GET', '/api/v1/me', { token: first.accessToken })).status, 401);
      const after = await h.http('POST', '/api/v1/auth/refresh', { body: { refreshToken: second.refreshToken } });
      assert.equal(problem(after).code, 'REFRESH_INVALID');
      // Another login of the same user is unaffected.
      const other = await h.login('huong');
      assert.equal((await h.http('GET', '/api/v1/me', { token: other })).status, 200);
      const stored = await h.db.query<{ token_hash: string }>('SELECT token_hash FROM refresh_tokens');
      assert.ok(
        stored.every((r) => /^[0-9a-f]{64}$/.test(r.token_hash)),
        'only hashes are stored',
      );
      assert.equal(
        (await h.http('POST', '/api/v1/auth/refresh', { body: { refreshToken: 'krt_nothing' } })).status,
        401,
      );
    });

    test('access tokens expire after 15 minutes; refresh tokens after 30 days; logout revokes', async () => {
      const t = (
        await h.http('POST', '/api/v1/auth/password', { body: { username: 'duc', password: passwordOf('duc') } })
      ).json<TokenResponse>();
      h.clock.offsetMs = 16 * 60 * 1000;
      try {
        assert.equal((await h.http('GET', '/api/v1/me', { token: t.accessToken })).status, 401);
        const renewed = await h.http('POST', '/api/v1/auth/refresh', { body: { refreshToken: t.refreshToken } });
        assert.equal(renewed.status, 200);
        const t2 = renewed.json<TokenResponse>();
        h.clock.offsetMs = 31 * 24 * 3600 * 1000;
        assert.equal(
          (await h.http('POST', '/api/v1/auth/refresh', { body: { refreshToken: t2.refreshToken } })).status,
          401,
        );
      } finally {
        h.clock.offsetMs = 0;
      }
      const t3 = (
        await h.http('POST', '/api/v1/auth/password', { body: { username: 'duc', password: passwordOf('duc') } })
      ).json<TokenResponse>();
      assert.equal((await h.http('POST', '/api/v1/auth/logout', { token: t3.accessToken })).status, 204);
      assert.equal((await h.http('GET', '/api/v1/me', { token: t3.accessToken })).status, 401);
      assert.equal(
        (await h.http('POST', '/api/v1/auth/refresh', { body: { refreshToken: t3.refreshToken } })).status,
        401,
      );
    });

    test('an administrator binds a certificate to a user of their own organisation only', async () => {
      const der = Buffer.from(pki.personRsa3072.certDer).toString('base64');
      const body = { certificate: der, kind: 'personal' };
      const asLeader = await h.http('POST', `/api/v1/admin/users/${h.users.tuan}/certificates`, {
        token: await h.login('duc'),
        body,
      });
      assert.equal(asLeader.status, 403);
      const otherOrg = await h.http('POST', `/api/v1/admin/users/${h.users.tuan}/certificates`, {
        token: await h.login('binhadmin'),
        body,
      });
      assert.equal(otherOrg.status, 404);
      const admin = await h.login('quantri');
      const ok = await h.http('POST', `/api/v1/admin/users/${h.users.tuan}/certificates`, { token: admin, body });
      assert.equal(ok.status, 201);
      assert.equal(
        (await h.http('POST', `/api/v1/admin/users/${h.users.tuan}/certificates`, { token: admin, body })).status,
        409,
      );
      const c = await challenge();
      const login = await certLogin(c.challengeId, pki.personRsa3072, signChallenge(pki.personRsa3072, c.challenge));
      assert.equal(login.status, 200);
      assert.equal(login.json<TokenResponse>().user.username, 'tuan');
    });
  });
}
