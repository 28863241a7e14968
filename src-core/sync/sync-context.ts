/** What the pull, push and signing steps share; built by the engine. */
import type { AuthSession } from './auth-session.js';
import type { LocalBlobStore } from './blob-store.js';
import { SyncError } from './errors.js';
import { errorFromResponse, type HttpResponse, type RequestOptions, type SyncHttp } from './http-client.js';
import type { LocalStore } from './local-store.js';
import type { Account, OutboxEntry } from './types.js';
import type { BackoffPolicy } from './backoff.js';
import type { FetchLike } from '../cms/http-exchange.js';

export type UpgradePolicy = 'before-upload' | 'after-upload' | 'never';

export interface SyncContext {
  store: LocalStore;
  blobs: LocalBlobStore;
  stagingDir: string;
  now(): number;
  random(): number;
  log(line: string): void;
  backoff: BackoffPolicy;
  account(): Account | null;
  /** Only when a server is configured. */
  http(): SyncHttp;
  auth(): AuthSession;
  /** Asks for credentials (if a provider was given) when the refresh token no longer works. */
  reLogin(): Promise<boolean>;
  upgrade: { policy: UpgradePolicy; tsaUrl: string | null; timeoutMs: number; fetchImpl?: FetchLike };
  onOutbox(e: OutboxEntry): void;
}

/**
 * A request with the access token; on 401 one refresh (or a new login through the provider) and
 * one retry. A second 401 means the credentials are not good for this call.
 */
export async function authed(
  ctx: SyncContext,
  method: string,
  path: string,
  o: RequestOptions = {},
): Promise<HttpResponse> {
  const auth = ctx.auth();
  let token: string;
  try {
    token = await auth.accessToken();
  } catch (e) {
    if (!(e instanceof SyncError && e.code === 'AUTH_REQUIRED') || !(await ctx.reLogin())) throw e;
    token = await auth.accessToken();
  }
  const first = await ctx.http().request(method, path, { ...o, token });
  if (first.status !== 401) return first;
  auth.invalidate(token);
  let fresh: string;
  try {
    fresh = await auth.refresh();
  } catch (e) {
    if (!(e instanceof SyncError && e.code === 'AUTH_REQUIRED') || !(await ctx.reLogin())) throw e;
    fresh = await auth.accessToken();
  }
  const second = await ctx.http().request(method, path, { ...o, token: fresh });
  if (second.status === 401) throw errorFromResponse(second);
  return second;
}
