/**
 * Preload (sandboxed): exposes one function, `window.kyso.invoke(channel, payload)`, limited to
 * the contract's channels. No Node or Electron object crosses into the page.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { ipcChannel, isChannelName, type ApiResult } from '../src-shared/api/contract.js';

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
};

contextBridge.exposeInMainWorld('kyso', bridge);
