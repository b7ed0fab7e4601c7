// Resumable, hash-verified downloads of weight files (HTTP Range continues a .part file), with progress.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UnmaskError } from '../../engine/errors.js';

export interface ExpectedHash {
  algorithm: 'md5' | 'sha256';
  hex: string;
}

export interface DownloadOptions {
  url: string;
  /** Final path; the transfer goes to `${dest}.part` and is renamed once its hash matches. */
  dest: string;
  hash: ExpectedHash;
  /** Bytes on disk so far (resumed ones included) and the total when the server says it. */
  onProgress?: (received: number, total: number | null) => void;
  signal?: AbortSignal;
  /** Connection attempts in this call; each one continues where the last stopped (default 4). */
  attempts?: number;
  /** An attempt with no byte for this long (connecting included) is dropped (default 30 s). */
  idleMs?: number;
}

/** Keras's get_file rule: a 64-hex-digit hash is sha256, anything else md5. */
export function kerasHash(hex: string): ExpectedHash {
  return { algorithm: hex.length === 64 ? 'sha256' : 'md5', hex: hex.toLowerCase() };
}

/** Hex digest of a whole file. */
export async function fileHash(file: string, algorithm: ExpectedHash['algorithm']): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function reason(error: unknown): string {
  const e = error as { message?: string; cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(error);
}

/** The total size from a 206's Content-Range ('bytes 100-199/1000') or a 200's Content-Length. */
function totalOf(response: Response, offset: number): number | null {
  const range = /\/(\d+)\s*$/.exec(response.headers.get('content-range') ?? '');
  if (range) return Number(range[1]);
  const length = Number(response.headers.get('content-length'));
  return Number.isFinite(length) && length > 0 ? length + offset : null;
}

/** One request: appends to the .part file from its current size. Returns true when the file is complete. */
async function attempt(o: DownloadOptions, part: string): Promise<boolean> {
  const idle = new AbortController();
  const onAbort = (): void => idle.abort();
  o.signal?.addEventListener('abort', onAbort);
  let timer = setTimeout(onAbort, o.idleMs ?? 30_000);
  const alive = (): void => {
    clearTimeout(timer);
    timer = setTimeout(onAbort, o.idleMs ?? 30_000);
  };
  try {
    return await transfer(o, part, idle.signal, alive);
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
  }
}

async function transfer(o: DownloadOptions, part: string, signal: AbortSignal, alive: () => void): Promise<boolean> {
  const offset = fs.existsSync(part) ? fs.statSync(part).size : 0;
  const response = await fetch(o.url, { headers: offset > 0 ? { Range: `bytes=${offset}-` } : {}, signal });
  alive();
  if (response.status === 416) {
    // Nothing left to send: the part is already whole (the hash check decides).
    await response.body?.cancel();
    return true;
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new UnmaskError('DOWNLOAD_FAILED', `${o.url} answered HTTP ${response.status} ${response.statusText}`);
  }
  // A 200 to a ranged request means the server sends the whole file again: start over.
  const start = response.status === 206 ? offset : 0;
  const total = totalOf(response, start);
  const out = fs.openSync(part, start === 0 ? 'w' : 'a');
  let received = start;
  try {
    o.onProgress?.(received, total);
    if (response.body) {
      for await (const chunk of response.body) {
        fs.writeSync(out, chunk);
        received += chunk.byteLength;
        alive();
        o.onProgress?.(received, total);
      }
    }
  } finally {
    fs.closeSync(out);
  }
  return total == null || received >= total;
}

/**
 * Downloads `url` to `dest`, verified: bytes go to `dest.part` (kept across failures, and continued with an
 * HTTP Range request by the next attempt or the next call), and only a part whose hash matches is renamed
 * to `dest`. A mismatching part is deleted. Network failures after all attempts and hash mismatches are
 * UnmaskError DOWNLOAD_FAILED; cancelling is CANCELLED.
 */
export async function downloadVerified(o: DownloadOptions): Promise<string> {
  fs.mkdirSync(path.dirname(o.dest), { recursive: true });
  const part = `${o.dest}.part`;
  const attempts = o.attempts ?? 4;
  const size = (): number => (fs.existsSync(part) ? fs.statSync(part).size : 0);
  let last: unknown;
  // Attempts that got no byte at all (no network, refused) are not worth many retries: two in a row end it.
  let stalled = 0;
  for (let i = 0; i < attempts && stalled < 2; i++) {
    if (o.signal?.aborted) throw new UnmaskError('CANCELLED', 'the download was cancelled');
    const before = size();
    let complete: boolean;
    try {
      complete = await attempt(o, part);
    } catch (error) {
      if (o.signal?.aborted) throw new UnmaskError('CANCELLED', 'the download was cancelled');
      if (error instanceof UnmaskError) throw error;
      last = error;
      stalled = size() > before ? 0 : stalled + 1;
      continue;
    }
    if (!complete) {
      last = new Error('the connection closed before the end of the file');
      stalled = size() > before ? 0 : stalled + 1;
      continue;
    }
    const actual = await fileHash(part, o.hash.algorithm);
    if (actual !== o.hash.hex) {
      fs.rmSync(part, { force: true });
      throw new UnmaskError('DOWNLOAD_FAILED', `${o.url}: ${o.hash.algorithm} ${actual} does not match the expected ${o.hash.hex}; the download was discarded`);
    }
    fs.renameSync(part, o.dest);
    return o.dest;
  }
  const kept = fs.existsSync(part) ? ` (${fs.statSync(part).size} bytes kept in ${part}; the next try continues from there)` : '';
  throw new UnmaskError('DOWNLOAD_FAILED', `cannot download ${o.url}: ${reason(last)}${kept}`, { cause: last });
}
