// An UnmaskClient made from one `call(method, params)` function: every property of the contract is a method
// (as VS Code's ProxyChannel does), so no list of names is kept here.
import type { ApiEvent, ApiMethod, UnmaskClient } from '../../main/api/contract';

export function proxyClient(
  call: (method: ApiMethod, params: unknown) => Promise<unknown>,
  onEvent: (listener: (event: ApiEvent) => void) => () => void,
): UnmaskClient {
  const methods = new Map<string, (params?: unknown) => Promise<unknown>>();
  return new Proxy({} as UnmaskClient, {
    get(_target, name) {
      if (name === 'onEvent') return onEvent;
      // Not a thenable (`await client` must not call `then`), and symbols are no method names.
      if (typeof name !== 'string' || name === 'then') return undefined;
      let method = methods.get(name);
      if (!method) {
        method = (params?: unknown) => call(name as ApiMethod, params);
        methods.set(name, method);
      }
      return method;
    },
  });
}
