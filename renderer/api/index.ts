// The one API client of the renderer: IPC inside Electron (`window.unmask`), HTTP in browser mode.
import type { UnmaskBridge, UnmaskClient } from '../../main/api/contract';
import { createHttpClient, takeToken } from './http';
import { createIpcClient } from './ipc';

export { ApiError, toApiError } from './errors';

declare global {
  interface Window {
    /** Set by the preload script in the Electron app only. */
    unmask?: UnmaskBridge;
  }
}

let client: UnmaskClient | null = null;

/** The client, created on first use (stores call this; components never do). */
export function api(): UnmaskClient {
  client ??= window.unmask ? createIpcClient(window.unmask) : createHttpClient(takeToken());
  return client;
}

/** `data:` URL of an encoded image (the only image source the CSP allows besides blob:). */
export function dataUrl(image: { mime: string; base64: string }): string {
  return `data:${image.mime};base64,${image.base64}`;
}
