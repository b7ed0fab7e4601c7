// Browser-mode client: each call is `POST /api/<method>` with the session token; events come over Server-Sent Events.
import type { ApiEvent, ApiMethod, UnmaskClient } from '../../main/api/contract';
import { ApiError, isErrorPayload } from './errors';
import { proxyClient } from './proxy';

const TOKEN_KEY = 'unmask.token';

/**
 * The token the server printed (`/?token=…`): taken from the address once, kept in sessionStorage (so a reload
 * keeps working) and removed from the address bar so it is not left in history or screenshots.
 */
export function takeToken(): string | null {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

async function post(method: ApiMethod, params: unknown, token: string | null): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`/api/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token ? { 'X-Unmask-Token': token } : {}) },
      body: JSON.stringify(params ?? {}),
    });
  } catch (error) {
    throw new ApiError('NETWORK', `Cannot reach the Unmask server (${(error as Error).message}). Is \`unmask serve\` still running?`);
  }
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // A proxy or crash page: fall through to the status-based error below.
  }
  if (response.ok) return body;
  if (isErrorPayload(body)) throw ApiError.from(body);
  if (response.status === 401 || response.status === 403) {
    throw new ApiError('FORBIDDEN', 'The server refused the session token. Open the address `unmask serve` printed (with ?token=…).');
  }
  throw new ApiError(`HTTP_${response.status}`, text.slice(0, 300) || response.statusText);
}

/** The HTTP client for the server at the page's origin. */
export function createHttpClient(token: string | null): UnmaskClient {
  const listeners = new Set<(event: ApiEvent) => void>();
  let source: EventSource | null = null;

  const connect = (): void => {
    if (source) return;
    source = new EventSource(`/api/events?token=${encodeURIComponent(token ?? '')}`);
    source.onmessage = (message: MessageEvent<string>) => {
      let event: ApiEvent;
      try {
        event = JSON.parse(message.data) as ApiEvent;
      } catch {
        return;
      }
      for (const listener of listeners) listener(event);
    };
  };

  const onEvent = (listener: (event: ApiEvent) => void) => {
    listeners.add(listener);
    connect();
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && source) {
        source.close();
        source = null;
      }
    };
  };
  return proxyClient((method, params) => post(method, params ?? {}, token), onEvent);
}
