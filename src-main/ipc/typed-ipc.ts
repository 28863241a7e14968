/**
 * The only place ipcMain is used (lint bans it elsewhere). Each contract channel gets one
 * handler that checks the sender is our own window showing our own page, then hands the
 * payload to the shared dispatcher, which validates it with the channel's zod schema.
 */
import { channels, ipcChannel, type ApiResult, type ChannelName, type KysoApi } from '../../src-shared/api/contract.js';
import { dispatch } from '../../src-shared/api/invoke.js';
import { EVENT_CHANNEL, UiEvent } from '../../src-shared/api/ui-types.js';
import { isAppUrl } from '../app-origin.js';

export interface IpcSender {
  readonly id: number;
}
export interface IpcInvokeEvent {
  readonly sender: IpcSender;
  readonly senderFrame: { readonly url: string } | null;
}
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEvent, payload: unknown) => Promise<ApiResult<unknown>>): void;
  removeHandler(channel: string): void;
}

export function registerIpcHandlers(
  ipcMain: IpcMainLike,
  api: KysoApi,
  isTrustedSender: (sender: IpcSender) => boolean,
): () => void {
  const names = Object.keys(channels) as ChannelName[];
  for (const name of names) {
    ipcMain.handle(ipcChannel(name), async (event, payload) => {
      const frameUrl = event.senderFrame?.url ?? '';
      if (!isTrustedSender(event.sender) || !isAppUrl(frameUrl)) {
        return { ok: false, error: { code: 'IPC_FORBIDDEN', messageKey: 'error.ipcForbidden' } };
      }
      return dispatch(api, name, payload);
    });
  }
  return () => names.forEach((n) => ipcMain.removeHandler(ipcChannel(n)));
}

export interface EventTarget {
  isDestroyed(): boolean;
  send(channel: string, payload: unknown): void;
}

/**
 * Events main → renderer: every service event is validated against the contract's schema and
 * sent on the one event channel; the preload hands it to the page's listener.
 */
export function forwardEvents(target: EventTarget, subscribe: (l: (e: UiEvent) => void) => () => void): () => void {
  return subscribe((e) => {
    const parsed = UiEvent.safeParse(e);
    if (parsed.success && !target.isDestroyed()) target.send(EVENT_CHANNEL, parsed.data);
  });
}
