// The renderer's only door to main: `window.unmask`, one named function per API method, each one invoke on `unmask:<method>`.
// Bundled to one CommonJS file (a sandboxed preload can require nothing but 'electron'); never exposes ipcRenderer.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ApiEvent, UnmaskBridge } from '../main/api/contract.js';
import { API_EVENT_CHANNEL, API_METHOD_NAMES, apiChannel } from '../main/api/methods.js';

const methods = Object.fromEntries(
  // Exactly one argument crosses (undefined for methods without params): main refuses calls with more.
  API_METHOD_NAMES.map((method) => [method, (params?: unknown) => ipcRenderer.invoke(apiChannel(method), params)]),
);

const bridge = {
  ...methods,
  onEvent(listener: (event: ApiEvent) => void): () => void {
    // The IpcRendererEvent stays here: it carries `sender`, the ipcRenderer itself.
    const relay = (_event: IpcRendererEvent, event: ApiEvent) => listener(event);
    ipcRenderer.on(API_EVENT_CHANNEL, relay);
    return () => void ipcRenderer.removeListener(API_EVENT_CHANNEL, relay);
  },
} as UnmaskBridge;

contextBridge.exposeInMainWorld('unmask', bridge);
