/**
 * The renderer talks only to the API contract. In Electron the preload exposes
 * `window.kyso.invoke` and `window.kyso.onEvent`; in browser mode the same calls go to the
 * localhost bridge (POST /api/call/<channel>, events over server-sent events at /api/events).
 * Files go through ./api/blob/<id> (download) and ./api/upload (a dropped PDF, an image) in both.
 */
import type { ApiResult, ChannelName, KysoApi } from '../src-shared/api/contract';
import { createClient } from '../src-shared/api/invoke';
import { UiEvent } from '../src-shared/api/ui-types';

interface PreloadBridge {
  invoke(channel: string, payload: unknown): Promise<ApiResult<unknown>>;
  onEvent?(listener: (e: unknown) => void): () => void;
}

declare global {
  interface Window {
    kyso?: PreloadBridge;
  }
}

async function viaHttp(channel: ChannelName, payload: unknown): Promise<ApiResult<unknown>> {
  let res: Response;
  try {
    res = await fetch(`./api/call/${encodeURIComponent(channel)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload ?? {}),
      credentials: 'same-origin',
    });
  } catch {
    return { ok: false, error: { code: 'INTERNAL', messageKey: 'ui.error.appUnreachable' } };
  }
  if (!res.ok) return { ok: false, error: { code: 'BRIDGE_FORBIDDEN', messageKey: 'error.bridgeForbidden' } };
  return (await res.json()) as ApiResult<unknown>;
}

export function createApi(): KysoApi {
  const preload = window.kyso;
  return createClient(preload ? (c, p) => preload.invoke(c, p) : viaHttp);
}

/** Subscribes to the service's events; returns the unsubscribe function. */
export function subscribeEvents(listener: (e: UiEvent) => void): () => void {
  const accept = (raw: unknown): void => {
    const parsed = UiEvent.safeParse(raw);
    if (parsed.success) listener(parsed.data);
  };
  const preload = window.kyso;
  if (preload?.onEvent) return preload.onEvent(accept);
  if (typeof EventSource === 'undefined') return () => undefined;
  const source = new EventSource('./api/events', { withCredentials: true });
  source.onmessage = (m: MessageEvent<string>) => {
    try {
      accept(JSON.parse(m.data));
    } catch {
      // ignore a malformed event
    }
  };
  return () => source.close();
}

/** Uploads a file the user chose or dropped; the answer is an id for verify.file / settings.setImage. */
export async function uploadFile(file: File): Promise<string> {
  const res = await fetch(`./api/upload?name=${encodeURIComponent(file.name)}`, {
    method: 'POST',
    headers: { 'content-type': file.type || 'application/octet-stream' },
    body: file,
    credentials: 'same-origin',
  });
  const body = (await res.json().catch(() => null)) as { uploadId?: string; error?: unknown } | null;
  if (!res.ok || !body?.uploadId)
    throw body?.error ?? { code: 'INPUT_UNREADABLE', messageKey: 'error.inputUnreadable', params: { path: file.name } };
  return body.uploadId;
}

export const blobUrl = (id: string, download = false): string =>
  `./api/blob/${encodeURIComponent(id)}${download ? '?download=1' : ''}`;
