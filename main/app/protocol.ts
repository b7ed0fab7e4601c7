// The `app://unmask/` scheme the window loads the built UI from: path resolution and response headers (no electron).
import path from 'node:path';
import { CONTENT_SECURITY_POLICY } from '../api/csp.js';

/** The scheme and host of the UI; registered as standard and secure so 'self' in the CSP means exactly this origin. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'unmask';
export const APP_INDEX_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.wasm': 'application/wasm',
};

/** True for a URL of the bundled UI (`app://unmask/…`). */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}

/** The file under `root` that an `app://unmask/…` request names; null for another host or a path leaving `root`. */
export function resolveAppFile(root: string, url: string): string | null {
  if (!isAppUrl(url)) return null;
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url).pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0')) return null;
  const base = path.resolve(root);
  const file = path.resolve(base, `.${pathname === '/' ? '/index.html' : pathname}`);
  return file.startsWith(base + path.sep) ? file : null;
}

/** Headers of a UI file: its type, the CSP (the header also covers frame-ancestors, which a meta tag cannot). */
export function appHeaders(file: string): Record<string, string> {
  return {
    'Content-Type': MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  };
}

/** Answers one `app://` request from `root`: the file with appHeaders, or 404 (unknown or escaping path). */
export async function serveAppRequest(root: string, url: string, readFile: (file: string) => Promise<Uint8Array<ArrayBuffer>>): Promise<Response> {
  const file = resolveAppFile(root, url);
  if (file) {
    try {
      return new Response(await readFile(file), { status: 200, headers: appHeaders(file) });
    } catch {
      // Missing or unreadable: same answer as a refused path.
    }
  }
  return new Response('not found', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}
