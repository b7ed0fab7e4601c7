// A Redis job queue on this machine, for the queue tests and `unmask bench queue`: Debian's redis-server on 127.0.0.1
// (a free port, its data in a temporary folder: an append-only file fsync'ed on every write, so a killed server comes
// back with everything it acknowledged) and `unmask worker` processes, their names awaited and their logs kept.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/unmask.js', import.meta.url));

/** A free TCP port on 127.0.0.1 (bound once and released). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once something accepts connections on the port (a PING answered). */
async function answers(port: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (d) => {
        socket.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`redis-server did not answer on port ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface LocalRedis {
  url: string;
  port: number;
  /** SIGKILL: Redis going away without a word. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data folder. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
}

/**
 * Starts redis-server. Throws (the test fails, it is not skipped) when it is not installed: CI installs it
 * (`apt-get install redis-server`, see .ci/run).
 */
export async function startRedis(): Promise<LocalRedis> {
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error('redis-server is not installed: the queue tests need it (apt-get install -y redis-server; .ci/run installs it)');
  }
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-redis-'));
  let child: ChildProcess | null = null;
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
    '--daemonize',
    'no',
  ];
  const exited = () =>
    new Promise<void>((resolve) => (child && child.exitCode === null && child.signalCode === null ? child.once('exit', () => resolve()) : resolve()));
  const redis: LocalRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      child = spawn('redis-server', args, { stdio: 'ignore' });
      await answers(port);
    },
    async kill() {
      const done = exited();
      child?.kill('SIGKILL');
      await done;
    },
    async stop() {
      const done = exited();
      child?.kill('SIGTERM');
      await done;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await redis.start();
  return redis;
}

export interface LocalWorker {
  /** `host:pid:engine`, from its first line. */
  name: string;
  child: ChildProcess;
  /** What it has written on stderr so far (its job log). */
  log(): string;
  /** Stops it (SIGKILL by default) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface WorkerRoots {
  queue: string;
  dataRoot: string;
  artifacts: string;
}

/**
 * Starts one worker on the wasm engine with one thread per job process (several share the machine's cores)
 * and a short lock, so a killed worker's job is taken over within seconds.
 */
export async function startWorker(roots: WorkerRoots, extra: string[] = []): Promise<LocalWorker> {
  const args = [BIN, 'worker', '--queue', roots.queue, '--data-root', roots.dataRoot, '--artifacts', roots.artifacts, '--lock-seconds', '4', ...extra];
  const child = spawn(process.execPath, args, { env: { ...process.env, UNMASK_ENGINE: 'wasm', UNMASK_THREADS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const name = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { worker: string }).worker);
    });
    child.once('exit', (code) => reject(new Error(`unmask worker exited (${code}) before it started:\n${err}`)));
  });
  return {
    name,
    child,
    log: () => err,
    async stop(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill(signal);
      await exited;
    },
  };
}
