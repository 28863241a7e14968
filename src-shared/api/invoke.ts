import type { z } from 'zod';
import { channels, isChannelName, type ApiResult, type ChannelName, type KysoApi } from './contract.js';
import { toErrorValue } from '../errors.js';

/**
 * The receiving side of every transport: checks the channel exists, validates the request,
 * calls the service, validates the response, and turns any failure into an error value.
 * IPC handlers and the HTTP bridge both call this, so validation cannot differ between them.
 */
export async function dispatch(api: KysoApi, channel: string, payload: unknown): Promise<ApiResult<unknown>> {
  if (!isChannelName(channel)) {
    return { ok: false, error: { code: 'IPC_INVALID', messageKey: 'error.ipcInvalid', params: { detail: 'channel' } } };
  }
  const spec = channels[channel];
  const parsed = spec.request.safeParse(payload ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      error: { code: 'IPC_INVALID', messageKey: 'error.ipcInvalid', params: { detail: summarize(parsed.error) } },
    };
  }
  try {
    const handler = api[channel] as (req: unknown) => Promise<unknown>;
    const value: unknown = spec.response.parse(await handler(parsed.data));
    return { ok: true, value };
  } catch (e) {
    return { ok: false, error: toErrorValue(e) };
  }
}

function summarize(err: z.ZodError): string {
  const first = err.issues[0];
  return first ? `${first.path.join('.') || '(root)'}: ${first.code}` : 'invalid';
}

/** Builds a typed client from a raw "send this channel + payload" function. */
export function createClient(send: (channel: ChannelName, payload: unknown) => Promise<ApiResult<unknown>>): KysoApi {
  const client = {} as Record<ChannelName, (req: unknown) => Promise<unknown>>;
  for (const name of Object.keys(channels) as ChannelName[]) {
    client[name] = async (req: unknown) => {
      const r = await send(name, req);
      if (!r.ok) throw r.error;
      return channels[name].response.parse(r.value);
    };
  }
  return client as unknown as KysoApi;
}
