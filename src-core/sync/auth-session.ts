/**
 * Login, access token, refresh with rotation. The access token lives in memory only; the
 * refresh token in the SecretStore, rewritten BEFORE the new access token is used: the server
 * rotates it on every use and treats a second use of an old one as theft (the whole login is
 * revoked). Refreshes are single-flight for the same reason. If the process dies between the
 * server's rotation and our write, the stored token is stale: the next refresh fails, the token
 * is dropped and the engine asks for credentials again — a new login, never a silent loop.
 */
import type { TokenResponse, UserInfo } from '../../src-shared/api/sync-types.js';
import type { DocumentSigner } from '../sign/sign-document.js';
import { SyncError } from './errors.js';
import { errorFromResponse, parseJson, type SyncHttp } from './http-client.js';
import { ChallengeResponseSchema, TokenResponseSchema, UserInfoSchema } from './response-schemas.js';
import type { SecretStore } from './secret-store.js';

export interface ChallengeSigner {
  certificateDer: Buffer;
  /** Signs the UTF-8 bytes of the challenge: RSA PKCS#1 v1.5 + SHA-256 or ECDSA P-256 + SHA-256. */
  signChallenge(data: Buffer): Promise<Buffer>;
}

/**
 * A token's DocumentSigner can log in too: its sign() hashes and signs arbitrary bytes. Not for
 * RSA-PSS keys (the server accepts PKCS#1 v1.5 and ECDSA only).
 */
export function challengeSignerFrom(signer: DocumentSigner): ChallengeSigner {
  return {
    certificateDer: signer.certDer,
    signChallenge: async (data) => (await signer.sign(data, 'SHA-256')).signature,
  };
}

export type Credentials =
  { kind: 'password'; username: string; password: string } | { kind: 'certificate'; signer: ChallengeSigner };

/** Refresh this long before the access token's stated expiry (clock skew, slow requests). */
const EXPIRY_MARGIN_MS = 30_000;

export class AuthSession {
  private access: { token: string; expiresAt: number } | null = null;
  private refreshing: Promise<string> | null = null;

  constructor(
    private readonly http: SyncHttp,
    private readonly secrets: SecretStore,
    private readonly hooks: {
      now?: () => number;
      /** Called with the user of every token response, before the tokens are used. */
      onUser?: (user: UserInfo) => Promise<void> | void;
    } = {},
  ) {}

  get secretKey(): string {
    return `refresh-token ${this.http.baseUrl}`;
  }

  private now(): number {
    return this.hooks.now?.() ?? Date.now();
  }

  async hasRefreshToken(): Promise<boolean> {
    return (await this.secrets.get(this.secretKey)) !== null;
  }

  async login(c: Credentials): Promise<UserInfo> {
    return c.kind === 'password' ? this.loginWithPassword(c.username, c.password) : this.loginWithCertificate(c.signer);
  }

  async loginWithPassword(username: string, password: string): Promise<UserInfo> {
    const r = await this.http.request('POST', '/api/v1/auth/password', { json: { username, password } });
    if (r.status !== 200) throw loginError(r);
    return this.accept(parseJson(r, TokenResponseSchema));
  }

  async loginWithCertificate(signer: ChallengeSigner): Promise<UserInfo> {
    const c = await this.http.request('POST', '/api/v1/auth/challenge', { json: {} });
    if (c.status !== 201) throw errorFromResponse(c);
    const challenge = parseJson(c, ChallengeResponseSchema);
    const signature = await signer.signChallenge(Buffer.from(challenge.challenge, 'utf8'));
    const r = await this.http.request('POST', '/api/v1/auth/certificate', {
      json: {
        challengeId: challenge.challengeId,
        certificate: signer.certificateDer.toString('base64'),
        signature: signature.toString('base64'),
      },
    });
    if (r.status !== 200) throw loginError(r);
    return this.accept(parseJson(r, TokenResponseSchema));
  }

  private async accept(t: TokenResponse): Promise<UserInfo> {
    await this.hooks.onUser?.(t.user);
    await this.secrets.set(this.secretKey, t.refreshToken);
    this.access = { token: t.accessToken, expiresAt: this.now() + t.expiresIn * 1000 };
    return t.user;
  }

  /** A valid access token: the cached one, or a fresh one from the stored refresh token. */
  async accessToken(): Promise<string> {
    if (this.access && this.access.expiresAt - EXPIRY_MARGIN_MS > this.now()) return this.access.token;
    return this.refresh();
  }

  /** The server said 401 to this token: forget it (the next call refreshes). */
  invalidate(token: string): void {
    if (this.access?.token === token) this.access = null;
  }

  refresh(): Promise<string> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<string> {
    const refreshToken = await this.secrets.get(this.secretKey);
    if (!refreshToken) throw new SyncError('AUTH_REQUIRED', 'sync.error.authRequired');
    const r = await this.http.request('POST', '/api/v1/auth/refresh', { json: { refreshToken } });
    if (r.status === 400 || r.status === 401) {
      // Expired, revoked or reused: it will never work again.
      await this.secrets.delete(this.secretKey);
      this.access = null;
      throw new SyncError('AUTH_REQUIRED', 'sync.error.authRequired', {}, { status: r.status });
    }
    if (r.status !== 200) throw errorFromResponse(r);
    const t = parseJson(r, TokenResponseSchema);
    await this.accept(t);
    return t.accessToken;
  }

  async whoAmI(): Promise<UserInfo> {
    const token = await this.accessToken();
    const r = await this.http.request('GET', '/api/v1/me', { token });
    if (r.status !== 200) throw errorFromResponse(r);
    return parseJson(r, UserInfoSchema);
  }

  async logout(): Promise<void> {
    const token = this.access?.token;
    this.access = null;
    try {
      if (token) await this.http.request('POST', '/api/v1/auth/logout', { token });
    } catch {
      // Offline: the tokens expire on their own; forgetting them here is what matters.
    } finally {
      await this.secrets.delete(this.secretKey);
    }
  }
}

function loginError(r: { status: number; headers: Headers; body: Buffer }): SyncError {
  const e = errorFromResponse(r);
  if (r.status === 401 || r.status === 400) {
    return new SyncError(
      'AUTH_FAILED',
      'sync.error.authFailed',
      { detail: e.problem?.detail ?? `HTTP ${r.status}` },
      {
        status: r.status,
        ...(e.problem ? { problem: e.problem } : {}),
      },
    );
  }
  return e;
}
