// A real S3-compatible server for tests: moto's (pip install 'moto[server]', .ci/run installs it) on a free port of
// 127.0.0.1, its buckets in memory, stopped after. Tests that need it are skipped, the reason printed, without it.
import { spawn, spawnSync } from 'node:child_process';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from '../../main/bench/local-queue.js';

export interface TestS3 {
  endpoint: string;
  /** A client of the server, for what a test checks or plants behind the code's back. */
  client: S3Client;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** The Python with moto: .ci/run's venv when it made one (MOTO_PYTHON), else python3. */
const PYTHON = process.env.MOTO_PYTHON ?? 'python3';

/** Why moto's server cannot run here, or null when it can. */
export function motoMissing(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import moto.server, flask'], { encoding: 'utf8' });
  return probe.status === 0
    ? null
    : `moto's S3 server is not installed (pip install 'moto[server]'): ${(probe.stderr || String(probe.error)).trim().split('\n').at(-1)}`;
}

/** The dummy credentials moto accepts, set for this process and the processes it starts. */
export function useTestCredentials(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'; // the pinned SDK's notice about later releases
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  process.env.AWS_REGION = 'us-east-1';
}

export async function startMoto(): Promise<TestS3> {
  useTestCredentials();
  const port = await freePort();
  const child = spawn(PYTHON, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const endpoint = `http://127.0.0.1:${port}`;
  const until = Date.now() + 30_000;
  for (;;) {
    const up = await fetch(`${endpoint}/moto-api/`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (child.exitCode !== null || Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error(`moto's server did not start on port ${port}: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1' });
  return {
    endpoint,
    client,
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    stop: async () => {
      client.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
