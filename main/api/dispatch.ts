// The one entry point every transport calls: validate the payload, run the method, return an envelope.
import { UnmaskError } from '../engine/errors.js';
import type { ApiMethod, Envelope, UnmaskApi } from './contract.js';
import { toErrorPayload } from './errors.js';
import { isApiMethod, parseParams } from './schemas.js';

/** Never throws: an unknown method, a bad payload or a failure comes back as `{ ok: false, error }`. */
export async function dispatch(api: UnmaskApi, method: string, params: unknown): Promise<Envelope<unknown>> {
  try {
    if (!isApiMethod(method)) throw new UnmaskError('NOT_FOUND', `unknown API method '${method}'`);
    const checked = parseParams(method, params);
    const call = api[method as ApiMethod] as (p: unknown) => Promise<unknown>;
    return { ok: true, value: await call.call(api, checked) };
  } catch (error) {
    return { ok: false, error: toErrorPayload(error) };
  }
}
