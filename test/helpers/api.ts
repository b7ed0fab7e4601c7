// Calls the browser-mode API over HTTP as the UI does, for tests that check what the UI must show.
import assert from 'node:assert/strict';

/** `POST {base}/api/{method}` with the session token; asserts a 200 and returns the body. */
export async function postApi<T>(base: string, token: string, method: string, params: unknown): Promise<T> {
  const send = () =>
    fetch(new URL(`/api/${method}`, base), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Unmask-Token': token },
      body: JSON.stringify(params),
    });
  let res: Response;
  try {
    res = await send();
  } catch (error) {
    // A kept-alive connection that the server closed while this process was blocked (a synchronous CLI call in
    // the test) fails the first request sent on it, before it reaches the server: send it once more.
    if (!(error instanceof TypeError)) throw error;
    res = await send();
  }
  const body = (await res.json()) as T;
  assert.equal(res.status, 200, `${method}: ${JSON.stringify(body)}`);
  return body;
}
