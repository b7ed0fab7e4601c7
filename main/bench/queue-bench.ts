// Queue benchmark: one sweep on this machine without a queue, then through a local Redis with 1, 2 and 4 workers:
// wall time, speed-up, and what the queue adds to each job.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import type { ApiEvent, JobInfo, SweepRequest } from '../api/contract.js';
import { linkSubset } from '../data/index.js';
import { QUEUE_NAME } from '../queue/names.js';
import { datasetFolders } from '../train/request-schema.js';
import { createService } from '../service/service.js';
import { launchNodeWorker } from '../worker/launch.js';
import { startRedis, startWorker, type LocalWorker } from './local-queue.js';

export interface QueueBenchOptions {
  /** fakes_dataset (train/val/test, real/fake). */
  dataset: string;
  quick: boolean;
  log: (line: string) => void;
}

interface Measured {
  wallSeconds: number;
  jobs: JobInfo[];
  /** Per job, ms from the worker finishing it (BullMQ's finishedOn) to its result being recorded here. */
  resultLatencyMs: number[];
  /** The most jobs a worker was processing at the same moment (BullMQ's processedOn … finishedOn). */
  peakConcurrent: number;
}

/** The largest number of the intervals that overlap at one moment. */
function peakOverlap(intervals: [number, number][]): number {
  const points = intervals
    .flatMap(([a, b]): [number, number][] => [
      [a, 1],
      [b, -1],
    ])
    .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let now = 0;
  let peak = 0;
  for (const [, d] of points) peak = Math.max(peak, (now += d));
  return peak;
}

const FINAL = new Set(['completed', 'failed', 'cancelled']);

/** Runs the sweep through a fresh coordinator (on `db`) and waits for every job; with a queue when `url` is given. */
async function measure(db: string, dataRoot: string, sweep: SweepRequest, url: string | null, queue: Queue | null): Promise<Measured> {
  process.env.UNMASK_DB = db;
  const service = createService({
    dbPath: db,
    transport: 'http',
    launch: launchNodeWorker,
    dataRoot,
    ...(url ? { queue: { url, artifacts: path.join(dataRoot, '..', 'artifacts'), source: 'flag' as const } } : {}),
  });
  try {
    for (const folder of datasetFolders(sweep.base.dataset)) await service.api.openDataset({ path: folder });
    const recordedAt = new Map<number, number>();
    const pending = new Set<number>();
    let done: () => void = () => undefined;
    const all = new Promise<void>((resolve) => (done = resolve));
    service.onEvent((e: ApiEvent) => {
      if (e.type !== 'job' || !FINAL.has(e.job.state) || recordedAt.has(e.job.id)) return;
      recordedAt.set(e.job.id, Date.now());
      pending.delete(e.job.id);
      if (pending.size === 0) done();
    });
    const t0 = performance.now();
    const { jobs } = await service.api.startSweep(sweep);
    for (const j of jobs) if (!recordedAt.has(j.id)) pending.add(j.id);
    if (pending.size > 0) await all;
    const wallSeconds = (performance.now() - t0) / 1000;
    const finished = await service.api.listJobs();
    const resultLatencyMs: number[] = [];
    const spans: [number, number][] = [];
    for (const job of finished) {
      const queued = job.queueJobId && queue ? await queue.getJob(job.queueJobId) : null;
      if (queued?.finishedOn) resultLatencyMs.push(recordedAt.get(job.id)! - queued.finishedOn);
      if (queued?.processedOn && queued.finishedOn) spans.push([queued.processedOn, queued.finishedOn]);
    }
    return { wallSeconds, jobs: finished, resultLatencyMs, peakConcurrent: queue ? peakOverlap(spans) : 1 };
  } finally {
    await service.close();
  }
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);

/**
 * The same sweep (SimpleNet, 2 learning rates × 2 seeds, 1 epoch on a small subset; `quick`: 2 runs on a
 * smaller one) on this machine's job queue (no Redis, one job at a time), then on a local Redis with 1, 2 and 4
 * `unmask worker` processes (one engine thread per job). Prints a table and RESULT lines: wall time, speed-up
 * over one worker, and the queue's overhead per job — the one-worker queue's wall time minus this machine's,
 * per job (the same training in a process per job, plus Redis, the journal and sending the result back) — and
 * the latency from a worker finishing a job to its result being recorded by the coordinator. "At once" is the most
 * jobs that were being processed at the same moment: what the queue spread, whatever the cores could give it.
 */
export async function benchQueue(options: QueueBenchOptions): Promise<void> {
  // Every job alike: the wasm engine on one thread, in this machine's job processes as in the workers'.
  process.env.UNMASK_ENGINE = 'wasm';
  process.env.UNMASK_THREADS = '1';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-bench-queue-'));
  const dataRoot = path.join(dir, 'data');
  const dataset = path.join(dataRoot, 'faces');
  linkSubset(options.dataset, dataset, options.quick ? { train: 4, val: 2, test: 2 } : { train: 8, val: 4, test: 4 });
  fs.mkdirSync(path.join(dir, 'artifacts'));
  const sweep: SweepRequest = {
    base: { dataset, optimizer: 'Adam', batchSize: 4, epochs: 1 },
    grid: { model: ['SimpleNet'], lr: options.quick ? [0.001] : [0.001, 0.0005], seed: [1, 2] },
  };
  const redis = await startRedis();
  const queue = new Queue(QUEUE_NAME, { connection: { host: '127.0.0.1', port: redis.port } });
  queue.on('error', () => undefined);
  const rows: { mode: string; workers: number; m: Measured }[] = [];
  try {
    // This machine, no queue: the local job queue's worker processes, one job at a time (each engine on every core).
    rows.push({ mode: 'this machine', workers: 1, m: await measure(path.join(dir, 'local', 'unmask.db'), dataRoot, sweep, null, null) });
    for (const n of [1, 2, 4]) {
      const workers: LocalWorker[] = await Promise.all(
        Array.from({ length: n }, () => startWorker({ queue: redis.url, dataRoot, artifacts: path.join(dir, 'artifacts') })),
      );
      try {
        rows.push({ mode: 'queue', workers: n, m: await measure(path.join(dir, `queue-${n}`, 'unmask.db'), dataRoot, sweep, redis.url, queue) });
      } finally {
        await Promise.all(workers.map((w) => w.stop('SIGTERM')));
      }
    }
  } finally {
    await queue.close();
    await redis.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  report(rows, options.log);
}

function report(rows: { mode: string; workers: number; m: Measured }[], log: (line: string) => void): void {
  const jobs = rows[0]!.m.jobs.length;
  const one = rows.find((r) => r.mode === 'queue' && r.workers === 1)!;
  const local = rows[0]!;
  log(`sweep of ${jobs} SimpleNet runs (1 epoch each, wasm engine, 1 thread per job) on ${os.cpus().length} cores`);
  log('mode          workers  wall_s  speedup  completed  at once');
  for (const r of rows) {
    const speedup = r.mode === 'queue' ? one.m.wallSeconds / r.m.wallSeconds : Number.NaN;
    const completed = r.m.jobs.filter((j) => j.state === 'completed').length;
    const cells = [
      r.mode.padEnd(13),
      String(r.workers).padStart(7),
      r.m.wallSeconds.toFixed(1).padStart(6),
      Number.isNaN(speedup) ? '     –' : speedup.toFixed(2).padStart(6),
    ];
    log(`${cells.join('  ')}   ${`${completed}/${jobs}`.padEnd(9)} ${String(r.m.peakConcurrent).padStart(7)}`);
    log(
      `RESULT queue mode=${r.mode.replace(' ', '-')} workers=${r.workers} wall_s=${r.m.wallSeconds.toFixed(2)} speedup=${Number.isNaN(speedup) ? 'na' : speedup.toFixed(3)} completed=${completed} peak_concurrent=${r.m.peakConcurrent}`,
    );
  }
  const overhead = (one.m.wallSeconds - local.m.wallSeconds) / jobs;
  const latency = mean(rows.flatMap((r) => r.m.resultLatencyMs));
  log(
    `queue overhead per job: ${overhead.toFixed(2)} s (1 queue worker vs this machine, per job); result latency (worker done → recorded here): ${latency.toFixed(0)} ms mean`,
  );
  log(`RESULT queue overhead_per_job_s=${overhead.toFixed(3)} result_latency_ms=${latency.toFixed(1)}`);
}
