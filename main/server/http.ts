// Browser mode's transport: the API over HTTP on 127.0.0.1 (token-guarded), events over SSE, and the built UI.
import { timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { UnmaskService } from '../service/service.js';
import { dispatch } from '../api/dispatch.js';
import { httpStatus } from '../api/errors.js';
import { CONTENT_SECURITY_POLICY } from '../api/csp.js';
import type { ErrorPayload } from '../api/contract.js';

/** Largest request body: a dropped image as base64 plus its JSON wrapper. */
export const MAX_BODY_BYTES = 34 * 2 ** 20;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export interface HttpOptions {
  service: UnmaskService;
  /** Every API request must carry it (X-Unmask-Token header; `token` query parameter for the event stream). */
  token: string;
  /** The built renderer (index.html and assets); null serves the API only. */
  staticDir: string | null;
}

function sameToken(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

function sendError(res: http.ServerResponse, error: ErrorPayload): void {
  sendJson(res, httpStatus(error.code), error);
}

/** Reads the body up to MAX_BODY_BYTES; past that, rejects with PAYLOAD_TOO_LARGE. */
function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject({ code: 'PAYLOAD_TOO_LARGE', message: `request body over ${MAX_BODY_BYTES} bytes` });
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function handleApi(req: http.IncomingMessage, res: http.ServerResponse, method: string, options: HttpOptions): Promise<void> {
  if (req.method !== 'POST') return sendError(res, { code: 'BAD_ARGUMENT', message: 'API calls are POST requests' });
  const body = await readBody(req);
  let params: unknown;
  if (body.length > 0) {
    try {
      params = JSON.parse(body.toString('utf8'));
    } catch {
      return sendError(res, { code: 'BAD_ARGUMENT', message: 'the request body is not JSON' });
    }
  }
  const result = await dispatch(options.service.api, method, params);
  if (result.ok) sendJson(res, 200, result.value ?? null);
  else sendError(res, result.error);
}

function handleEvents(req: http.IncomingMessage, res: http.ServerResponse, service: UnmaskService): void {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
  res.write(': connected\n\n');
  const unsubscribe = service.onEvent((event) => res.write(`data: ${JSON.stringify(event)}\n\n`));
  // Comments keep idle proxies and browsers from closing the stream.
  const heartbeat = setInterval(() => res.write(': ping\n\n'), 15_000);
  req.on('close', () => {
    clearInterval(heartbeat);
    unsubscribe();
  });
}

function serveStatic(res: http.ServerResponse, pathname: string, staticDir: string | null): void {
  if (!staticDir || !fs.existsSync(path.join(staticDir, 'index.html'))) {
    res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('The UI is not built: run `npm run build:renderer` (or `npm run serve`, which builds it).\n');
    return;
  }
  const root = path.resolve(staticDir);
  let file = path.resolve(root, `.${decodeURIComponent(pathname)}`);
  if (file !== root && !file.startsWith(root + path.sep)) return sendError(res, { code: 'NOT_FOUND', message: 'not found' });
  if (file === root || !fs.existsSync(file) || !fs.statSync(file).isFile()) file = path.join(root, 'index.html');
  res.writeHead(200, {
    'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': file.endsWith('index.html') ? 'no-store' : 'max-age=3600',
  });
  fs.createReadStream(file).pipe(res);
}

/**
 * The HTTP server (not yet listening: call `listen(port, '127.0.0.1')`). Requests whose Host is not this
 * loopback address are refused (DNS rebinding); API requests without the token get 401.
 */
export function createHttpServer(options: HttpOptions): http.Server {
  const server = http.createServer((req, res) => {
    const handle = async () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const host = req.headers.host ?? '';
      if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
        return sendError(res, { code: 'FORBIDDEN', message: `requests must be addressed to 127.0.0.1:${port}` });
      }
      const url = new URL(req.url ?? '/', `http://${host}`);
      if (!url.pathname.startsWith('/api/')) return serveStatic(res, url.pathname, options.staticDir);
      const origin = req.headers.origin;
      if (origin && origin !== `http://${host}`) return sendError(res, { code: 'FORBIDDEN', message: `cross-origin request from ${origin} refused` });
      const given = url.pathname === '/api/events' ? url.searchParams.get('token') : req.headers['x-unmask-token'];
      if (!sameToken(typeof given === 'string' ? given : null, options.token)) {
        return sendError(res, { code: 'UNAUTHORIZED', message: 'missing or wrong access token: open the URL that `unmask serve` printed' });
      }
      if (url.pathname === '/api/events') return handleEvents(req, res, options.service);
      return handleApi(req, res, url.pathname.slice('/api/'.length), options);
    };
    handle().catch((error: unknown) => {
      const payload = error && typeof error === 'object' && 'code' in error ? (error as ErrorPayload) : { code: 'INTERNAL', message: String(error) };
      if (!res.headersSent) sendError(res, payload);
      else res.destroy();
    });
  });
  return server;
}
