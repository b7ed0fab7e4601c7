// Electron client: wraps the preload's `window.unmask` bridge, unwrapping each envelope into a value or an ApiError.
import type { ApiMethod, Envelope, UnmaskBridge, UnmaskClient } from '../../main/api/contract';
import { ApiError } from './errors';
import { proxyClient } from './proxy';

function unwrap<T>(envelope: Envelope<T>): T {
  if (envelope.ok) return envelope.value;
  throw ApiError.from(envelope.error);
}

/** The IPC client over the preload bridge. */
export function createIpcClient(bridge: UnmaskBridge): UnmaskClient {
  const call = async (method: ApiMethod, params: unknown): Promise<unknown> => {
    const fn = bridge[method] as (params?: unknown) => Promise<Envelope<unknown>>;
    // Exactly one argument crosses (undefined for methods without params), as the preload forwards it.
    return unwrap(await fn(params));
  };
  return proxyClient(call, (listener) => bridge.onEvent(listener));
}
