// Electron client: wraps the preload's `window.unmask` bridge, unwrapping each envelope into a value or an ApiError.
import type { ApiMethod, Envelope, UnmaskApi, UnmaskBridge, UnmaskClient } from '../../main/api/contract';
import { ApiError } from './errors';
import { API_METHODS } from './methods';

function unwrap<T>(envelope: Envelope<T>): T {
  if (envelope.ok) return envelope.value;
  throw ApiError.from(envelope.error);
}

/** The IPC client over the preload bridge. */
export function createIpcClient(bridge: UnmaskBridge): UnmaskClient {
  const call = (method: ApiMethod) => async (...args: unknown[]): Promise<unknown> => {
    const fn = bridge[method] as (...a: unknown[]) => Promise<Envelope<unknown>>;
    return unwrap(await fn(...args));
  };
  const api = Object.fromEntries(API_METHODS.map((method) => [method, call(method)])) as unknown as UnmaskApi;
  return { ...api, onEvent: (listener) => bridge.onEvent(listener) };
}
