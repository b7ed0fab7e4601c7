// The Redis a job queue lives on: its URL checked (redis:// or rediss:// with TLS, optional user and password), shown redacted, turned into connection options.
import { UnmaskError } from '../engine/errors.js';

/** A checked queue address. `url` is the URL as given (it may hold a password): never print it, print `shown`. */
export interface QueueAddress {
  url: string;
  /** The URL with its password replaced by `***`: safe for logs, the UI and error messages. */
  shown: string;
  host: string;
  port: number;
  db: number;
  tls: boolean;
  username?: string;
  password?: string;
}

const DEFAULT_PORT = 6379;

/**
 * Parses `redis://[user[:password]@]host[:port][/db]` or `rediss://…` (TLS, the server's certificate checked
 * against the system's CAs and NODE_EXTRA_CA_CERTS). Throws BAD_ARGUMENT naming what is wrong, never echoing
 * the password.
 */
export function parseQueueUrl(text: string): QueueAddress {
  const bad = (why: string): never => {
    throw new UnmaskError('BAD_ARGUMENT', `queue URL: ${why} (expected redis://HOST:PORT or rediss://USER:PASSWORD@HOST:PORT/DB)`);
  };
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return bad('not a URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') bad(`unknown scheme '${url.protocol.replace(/:$/, '')}'`);
  if (!url.hostname) bad('no host');
  if (url.search || url.hash) bad('query strings and fragments are not used');
  const port = url.port ? Number(url.port) : DEFAULT_PORT;
  const dbText = url.pathname.replace(/^\//, '');
  if (!/^\d{0,2}$/.test(dbText)) bad(`the database must be a number, got '/${dbText}'`);
  const db = dbText ? Number(dbText) : 0;
  const username = url.username ? decodeURIComponent(url.username) : undefined;
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  const redacted = new URL(url.href);
  if (redacted.password) redacted.password = '***';
  return {
    url: text.trim(),
    shown: redacted.href.replace(/\/$/, ''),
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port,
    db,
    tls: url.protocol === 'rediss:',
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
  };
}

/**
 * ioredis options for BullMQ. `blocking` (workers, queue events): commands wait through an outage and are
 * sent once Redis is back (BullMQ requires `maxRetriesPerRequest: null` there). Otherwise (adding jobs, reading
 * counts) a call fails fast while Redis is unreachable, so the UI says so instead of hanging.
 */
export function connectionOptions(address: QueueAddress, blocking: boolean): Record<string, unknown> {
  return {
    host: address.host,
    port: address.port,
    db: address.db,
    ...(address.username ? { username: address.username } : {}),
    ...(address.password ? { password: address.password } : {}),
    ...(address.tls ? { tls: { servername: address.host } } : {}),
    maxRetriesPerRequest: blocking ? null : 1,
    enableOfflineQueue: blocking,
    // Reconnect forever, backing off to 2 s: a restarted Redis is picked up again without a restart of ours.
    retryStrategy: (times: number) => Math.min(times * 100, 2000),
  };
}
