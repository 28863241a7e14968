/**
 * The renderer talks only to the API contract. In Electron the preload exposes
 * `window.kyso.invoke`; in browser mode the same calls go to the localhost bridge.
 */
import type { ApiResult, ChannelName, KysoApi } from '../src-shared/api/contract';
import { createClient } from '../src-shared/api/invoke';

interface PreloadBridge {
  invoke(channel: string, payload: unknown): Promise<ApiResult<unknown>>;
}

declare global {
  interface Window {
    kyso?: PreloadBridge;
  }
}

async function viaHttp(channel: ChannelName, payload: unknown): Promise<ApiResult<unknown>> {
  const res = await fetch(`/api/call/${encodeURIComponent(channel)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload ?? {}),
    credentials: 'same-origin',
  });
  if (!res.ok) return { ok: false, error: { code: 'BRIDGE_FORBIDDEN', messageKey: 'error.bridgeForbidden' } };
  return (await res.json()) as ApiResult<unknown>;
}

export function createApi(): KysoApi {
  const preload = window.kyso;
  return createClient(preload ? (c, p) => preload.invoke(c, p) : viaHttp);
}
