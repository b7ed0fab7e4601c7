// `unmask worker`: takes jobs from a Redis queue until stopped (Ctrl-C or SIGTERM), each in its own process.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { UnmaskError } from '../engine/errors.js';
import { ArtifactSync, parseS3Url } from '../queue/artifact-store.js';
import { parseQueueUrl } from '../queue/connection.js';
import { workerName } from '../queue/names.js';
import { SharedRoot } from '../queue/roots.js';
import type { COMMANDS } from './commands.js';
import type { ParsedCommand } from './spec.js';

const BIN = fileURLToPath(new URL('../../bin/unmask.js', import.meta.url));

/** The engine this machine's job processes will pick (they inherit this environment): `unmask engine` in a child. */
async function probeEngine(): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'engine'], { env: process.env, timeout: 120_000 });
  return (JSON.parse(stdout.trim().split('\n').at(-1)!) as { engine: string }).engine;
}

/** A folder flag (else its environment variable) that must exist. */
function folder(value: string | undefined, env: string, flag: string, what: string): SharedRoot {
  const dir = value ?? process.env[env];
  if (!dir) throw new UnmaskError('BAD_ARGUMENT', `a worker needs its ${what}: ${flag} DIR (or ${env})`);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UnmaskError('NOT_FOUND', `${flag}: no folder ${dir}`);
  return new SharedRoot(dir, what);
}

/** A positive integer flag. */
export function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UnmaskError('BAD_ARGUMENT', `${flag} must be a positive integer, got '${value}'`);
  return n;
}

export async function workerCommand({ values }: ParsedCommand<typeof COMMANDS.worker.options>): Promise<number> {
  const url = values.queue ?? process.env.UNMASK_QUEUE;
  if (!url) throw new UnmaskError('BAD_ARGUMENT', 'a worker needs its queue: --queue redis://HOST:PORT (or UNMASK_QUEUE)');
  const address = parseQueueUrl(url);
  const concurrency = positiveInt(values.concurrency, '--concurrency', 1);
  const lockMs = 1000 * positiveInt(values['lock-seconds'], '--lock-seconds', 30);
  const dataRoot = folder(values['data-root'], 'UNMASK_DATA_ROOT', '--data-root', 'data root');
  const artifactsAt = values.artifacts ?? process.env.UNMASK_ARTIFACTS;
  // An S3 artifact root is worked on in this machine's mirror of it, synced where files cross machines.
  const sync =
    artifactsAt && parseS3Url(artifactsAt)
      ? await ArtifactSync.open(artifactsAt, { cache: values['artifacts-cache'], endpoint: values['s3-endpoint'] })
      : undefined;
  const artifacts = sync?.mirror ?? folder(values.artifacts, 'UNMASK_ARTIFACTS', '--artifacts', 'artifact root');
  const engine = await probeEngine();
  const name = workerName(engine, values.name);
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const { startQueueWorker } = await import('../queue/worker.js');
  const worker = await startQueueWorker({ address, name, concurrency, dataRoot, artifacts, ...(sync ? { sync } : {}), lockMs, log });
  const shown = sync ? { artifacts: sync.url, artifactsCache: artifacts.dir } : { artifacts: artifacts.dir };
  process.stdout.write(`${JSON.stringify({ worker: name, queue: address.shown, engine, concurrency, dataRoot: dataRoot.dir, ...shown })}\n`);
  log(`worker ${name} takes jobs from ${address.shown}; Ctrl-C to stop`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      log('stopping: running jobs are left to the other workers, which continue them from their last epoch');
      void worker.close().finally(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
