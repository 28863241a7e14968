/**
 * The one API contract. Every transport (Electron IPC, the localhost HTTP bridge, the CLI's
 * direct calls) serves exactly these channels; requests and responses are validated against
 * these schemas on the receiving side of every border.
 */
import { z } from 'zod';
import type { KysoErrorValue } from '../errors.js';
import { locales } from '../i18n/messages.js';

export const AppInfo = z.object({
  name: z.string(),
  version: z.string(),
  platform: z.string(),
  transport: z.enum(['electron', 'browser', 'direct']),
  locale: z.enum(locales),
});
export type AppInfo = z.infer<typeof AppInfo>;

const Empty = z.object({}).strict();

/**
 * Channel map: name → request and response schemas. GitHub Desktop keeps one such map so that
 * both sides of IPC are typed from one place; a channel that is not here cannot be called.
 */
export const channels = {
  'app.info': { request: Empty, response: AppInfo },
  'app.setLocale': { request: z.object({ locale: z.enum(locales) }).strict(), response: AppInfo },
} as const;

export type ChannelName = keyof typeof channels;
export type RequestOf<C extends ChannelName> = z.input<(typeof channels)[C]['request']>;
export type ResponseOf<C extends ChannelName> = z.output<(typeof channels)[C]['response']>;

/** What crosses a transport: never a thrown exception, always one of these. */
export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: KysoErrorValue };

/** The service every transport exposes; src-core implements it. */
export type KysoApi = { [C in ChannelName]: (req: RequestOf<C>) => Promise<ResponseOf<C>> };

export function isChannelName(name: string): name is ChannelName {
  return Object.prototype.hasOwnProperty.call(channels, name);
}

/** The IPC channel string for a contract channel (a prefix keeps ours apart from Electron's). */
export const ipcChannel = (c: ChannelName): string => `kyso:${c}`;
