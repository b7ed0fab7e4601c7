// The API over Electron IPC: one `ipcMain.handle` per method, callers checked, service events forwarded to the window.
import type { ApiEvent, Envelope, UnmaskApi } from '../api/contract.js';
import { dispatch } from '../api/dispatch.js';
import { API_EVENT_CHANNEL, API_METHOD_NAMES, apiChannel } from '../api/methods.js';
import { isAppUrl } from './protocol.js';

/** What the checks read of Electron's IpcMainInvokeEvent. */
export interface InvokeEventLike {
  sender: { id: number };
  senderFrame?: { url: string; parent?: unknown } | null;
}

/** The two methods of Electron's `ipcMain` used here (a fake stands in for it in tests). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

/** Decides whether an invoke comes from our UI. */
export type SenderCheck = (event: InvokeEventLike) => boolean;

/**
 * Trusts the main frame of one window's webContents, and only while it shows the bundled UI (`app://unmask/…`):
 * a frame or page that navigated elsewhere gets FORBIDDEN even though it shares the webContents.
 */
export function windowSenderCheck(webContentsId: () => number | null): SenderCheck {
  return (event) => {
    const frame = event.senderFrame;
    if (!frame || frame.parent) return false;
    return event.sender.id === webContentsId() && isAppUrl(frame.url);
  };
}

function refusal(code: string, message: string): Envelope<never> {
  return { ok: false, error: { code, message } };
}

/**
 * Registers `unmask:<method>` for every API method; each checks the caller, then `dispatch`es (which validates the
 * payload and never throws). Returns a function that removes the handlers.
 */
export function registerApiHandlers(ipc: IpcMainLike, api: UnmaskApi, trusted: SenderCheck): () => void {
  for (const method of API_METHOD_NAMES) {
    ipc.handle(apiChannel(method), async (event, ...args) => {
      if (!trusted(event)) return refusal('FORBIDDEN', `${method}: the caller is not the Unmask window`);
      // The preload sends exactly one argument (undefined where a method takes none); more means a forged call.
      if (args.length > 1) return refusal('BAD_ARGUMENT', `${method}: expected one params object, got ${args.length} arguments`);
      return dispatch(api, method, args[0]);
    });
  }
  return () => API_METHOD_NAMES.forEach((method) => ipc.removeHandler(apiChannel(method)));
}

/** Sends each service event to the window on `unmask:event`. Returns the unsubscribe. */
export function forwardEvents(subscribe: (listener: (event: ApiEvent) => void) => () => void, send: (channel: string, event: ApiEvent) => void): () => void {
  return subscribe((event) => send(API_EVENT_CHANNEL, event));
}
