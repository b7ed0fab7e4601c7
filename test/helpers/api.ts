// Calls the browser-mode API over HTTP as the UI does, for tests that check what the UI must show.
import assert from 'node:assert/strict';

/** `POST {base}/api/{method}` with the session token; asserts a 200 and returns the body. */
export async function postApi<T>(base: string, token: string, method: string, params: unknown): Promise<T> {
  const res = await fetch(new URL(`/api/${method}`, base), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Unmask-Token': token },
    body: JSON.stringify(params),
  });
  const body = (await res.json()) as T;
  assert.equal(res.status, 200, `${method}: ${JSON.stringify(body)}`);
  return body;
}
