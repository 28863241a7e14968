/**
 * Preload (sandboxed): exposes `window.kyso.invoke(channel, payload)`, limited to the contract's
 * channels, and `window.kyso.onEvent(listener)` for the one event channel. No Node or Electron
 * object crosses into the page.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { ipcChannel, isChannelName, type ApiResult } from '../src-shared/api/contract.js';
import { EVENT_CHANNEL } from '../src-shared/api/ui-types.js';

const bridge = {
  invoke(channel: string, payload: unknown): Promise<ApiResult<unknown>> {
    if (!isChannelName(channel)) {
      return Promise.resolve({
        ok: false,
        error: { code: 'IPC_INVALID', messageKey: 'error.ipcInvalid', params: { detail: 'channel' } },
      });
    }
    return ipcRenderer.invoke(ipcChannel(channel), payload) as Promise<ApiResult<unknown>>;
  },
  /** Events from the service (validated in main against the contract; validated again by the page). */
  onEvent(listener: (e: unknown) => void): () => void {
    const handler = (_e: unknown, payload: unknown): void => listener(payload);
    ipcRenderer.on(EVENT_CHANNEL, handler);
    return () => ipcRenderer.removeListener(EVENT_CHANNEL, handler);
  },
};

contextBridge.exposeInMainWorld('kyso', bridge);
