// Soak benchmark: one training run while explain requests arrive over HTTP; memory and latency reported.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { linkSubset } from '../data/index.js';
import type { ApiEvent, JobInfo } from '../api/contract.js';
import { createService } from '../service/service.js';
import { createHttpServer } from '../server/http.js';
import { launchNodeWorker } from '../worker/launch.js';
import type { WorkerStats } from '../worker/protocol.js';

export interface SoakOptions {
  /** Dataset folder with train/val/test and real/fake folders (fakes_dataset). */
  dataset: string;
  requests: number;
  log: (line: string) => void;
}

/** Allowed growth of the analysis worker's RSS over the run (model cache and allocator warm-up included). */
export const RSS_GROWTH_BOUND = 200 * 2 ** 20;

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A service behind a real HTTP server on a free port, and a typed-enough caller of its API. */
async function soakServer(dir: string) {
  process.env.UNMASK_DB = path.join(dir, 'runs.db');
  const service = createService({ dbPath: process.env.UNMASK_DB, transport: 'http', launch: launchNodeWorker });
  const token = 'soak-token-0123456789abcdef';
  const server = createHttpServer({ service, token, staticDir: null });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const call = async <T>(method: string, params: unknown = {}): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${port}/api/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Unmask-Token': token },
      body: JSON.stringify(params),
    });
    const body = (await res.json()) as T & { message?: string };
    if (!res.ok) throw new Error(`${method}: ${res.status} ${body.message}`);
    return body;
  };
  const finished = (jobId: number) =>
    new Promise<JobInfo>((resolve) => {
      const off = service.onEvent((e: ApiEvent) => {
        if (e.type === 'job' && e.job.id === jobId && !['queued', 'running'].includes(e.job.state)) {
          off();
          resolve(e.job);
        }
      });
    });
  const close = () => {
    server.close();
    server.closeAllConnections();
    service.close();
  };
  return { service, call, finished, close };
}

/**
 * Trains a 1-epoch SimpleNet on a small subset (the model to explain), then starts a longer run and sends
 * `requests` explain calls (saliency and Grad-CAM in turn, over the test images) through the HTTP API while it
 * trains. Prints the analysis worker's RSS and tf.memory() after a warm-up and at the end, latency percentiles,
 * and whether tensors stayed flat and RSS within RSS_GROWTH_BOUND. Returns true when both held.
 */
export async function benchSoak(options: SoakOptions): Promise<boolean> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-soak-'));
  const small = linkSubset(options.dataset, path.join(dir, 'small'), { train: 16, val: 8, test: 8 });
  const large = linkSubset(options.dataset, path.join(dir, 'large'), { train: 300, val: 60, test: 60 });
  const { service, call, finished, close } = await soakServer(dir);
  const train = (dataset: string, epochs: number) =>
    call<JobInfo>('startTraining', { dataset, model: 'SimpleNet', optimizer: 'Adam', lr: 0.001, batchSize: 16, epochs });
  try {
    await call('openDataset', { path: small });
    await call('openDataset', { path: large });
    const done = await finished((await train(small, 1)).id);
    if (done.state !== 'completed' || done.runId == null) throw new Error(`the model to explain did not train: ${done.error?.message}`);
    const runId = done.runId;
    const images = (await call<{ items: { path: string }[] }>('listImages', { dataset: small, split: 'test', limit: 100 })).items.map((i) => i.path);
    const explain = (i: number) => call('explainImage', { runId, image: { path: images[i % images.length] }, method: i % 2 ? 'gradcam' : 'saliency' });
    for (let i = 0; i < 10; i++) await explain(i);
    const before = await service.analysisStats();
    const serverBefore = process.memoryUsage.rss();
    const job = await train(large, 3);
    const training = finished(job.id);
    const latencies: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < options.requests; i++) {
      const s = performance.now();
      await explain(i);
      latencies.push(performance.now() - s);
      if ((i + 1) % 100 === 0) options.log(`  ${i + 1}/${options.requests} explain requests, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    const after = await service.analysisStats();
    const trainingJob = (await call<JobInfo[]>('listJobs')).find((j) => j.id === job.id)!;
    const trainedDuring = trainingJob.state === 'running' || trainingJob.finishedAt != null;
    await call('cancelJob', { jobId: job.id });
    const end = await training;
    latencies.sort((a, b) => a - b);
    return report(options.log, { before, after, serverBefore, latencies, trainedDuring, end });
  } finally {
    close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function report(
  log: (line: string) => void,
  r: { before: WorkerStats; after: WorkerStats; serverBefore: number; latencies: number[]; trainedDuring: boolean; end: JobInfo },
): boolean {
  const { before, after, latencies } = r;
  const rssGrowth = after.rss - before.rss;
  const flat = after.tensors === before.tensors;
  log(`analysis worker at start: RSS ${mb(before.rss)}, heap ${mb(before.heapUsed)}, tf.memory ${before.tensors} tensors / ${mb(before.tensorBytes)}`);
  log(`analysis worker at end:   RSS ${mb(after.rss)}, heap ${mb(after.heapUsed)}, tf.memory ${after.tensors} tensors / ${mb(after.tensorBytes)}`);
  log(`server process RSS: ${mb(r.serverBefore)} → ${mb(process.memoryUsage.rss())}`);
  log(
    `explain latency over ${latencies.length} requests (saliency/Grad-CAM alternating, while training ${r.trainedDuring ? 'ran' : 'DID NOT run'}): ` +
      `p50 ${percentile(latencies, 50).toFixed(0)} ms, p90 ${percentile(latencies, 90).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, max ${latencies.at(-1)!.toFixed(0)} ms`,
  );
  log(`training job ${r.end.id}: ${r.end.state} after epoch ${r.end.progress.epoch} (${r.end.epochs.length} epochs recorded)`);
  log(
    `tensors flat: ${flat ? 'yes' : 'NO'}; RSS growth ${mb(rssGrowth)} (bound ${mb(RSS_GROWTH_BOUND)}): ${rssGrowth <= RSS_GROWTH_BOUND ? 'within' : 'EXCEEDED'}`,
  );
  return flat && rssGrowth <= RSS_GROWTH_BOUND;
}
