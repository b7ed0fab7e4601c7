// The Redis job queue end to end: a real redis-server, `unmask worker` processes and a coordinator — a sweep, a
// worker killed mid-epoch, feature extraction in shards, Redis killed and restarted, and what workers refuse.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import type { ApiEvent, JobInfo, TrainRequest } from '../main/api/contract.js';
import { linkSubset } from '../main/data/index.js';
import { initEngine } from '../main/engine/select.js';
import { extractFeatureShard } from '../main/queue/feature-shard.js';
import { createService, type UnmaskService } from '../main/service/service.js';
import { RunStore } from '../main/store/index.js';
import { checkTrainRequest } from '../main/train/request.js';
import { launchNodeWorker } from '../main/worker/launch.js';
import { runUnmask } from './helpers/cli.js';
import { reached as reachedJob, settled as settledJob } from './helpers/jobs.js';
import { startRedis, type TestRedis } from './helpers/redis.js';
import { startWorker, type TestWorker } from './helpers/workers.js';
import { fakesDataset } from '../main/data/fixtures.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-queue-'));
const dataRoot = path.join(tmp, 'data');
const dataset = path.join(dataRoot, 'faces');
const artifacts = path.join(tmp, 'artifacts');
const serviceDb = path.join(tmp, 'coordinator', 'unmask.db');
process.env.UNMASK_DB = serviceDb; // the coordinator's analysis worker (parameter counts) reads it
process.env.UNMASK_ENGINE = 'wasm';

let redis: TestRedis;
let queue: Queue;
const workers: TestWorker[] = [];
let service: UnmaskService;
const events: ApiEvent[] = [];

const roots = () => ({ queue: redis.url, dataRoot, artifacts });
const simpleNet = (epochs: number, seed: number, batchSize = 4): TrainRequest => ({
  dataset,
  model: 'SimpleNet',
  optimizer: 'Adam',
  lr: 0.001,
  batchSize,
  epochs,
  seed,
});

const reached = (jobId: number, test: (job: JobInfo) => boolean) => reachedJob(service, jobId, test);
const settled = (jobId: number) => settledJob(service, jobId);

function withStore<T>(file: string, fn: (store: RunStore) => T): T {
  const store = RunStore.open(file);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

/** Epoch metrics of a run, for comparing two runs of the same request. */
const metricsOf = (file: string, runId: number) =>
  withStore(file, (s) =>
    s
      .getEpochs(runId)
      .map(({ epoch, trainLoss, trainAcc, valLoss, valAcc, testLoss, testAcc }) => ({ epoch, trainLoss, trainAcc, valLoss, valAcc, testLoss, testAcc })),
  );

before(async () => {
  linkSubset(fakesDataset, dataset, { train: 4, val: 2, test: 2 });
  fs.mkdirSync(artifacts, { recursive: true });
  redis = await startRedis();
  queue = new Queue('unmask', { connection: { host: '127.0.0.1', port: redis.port } });
  queue.on('error', () => undefined); // Redis is killed on purpose below
  workers.push(...(await Promise.all([startWorker(roots()), startWorker(roots())])));
});

after(async () => {
  await service?.close();
  await Promise.all(workers.map((w) => w.stop()));
  await queue?.close();
  await redis?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('unmask sweep over two workers', () => {
  it('trains the 4 runs of the grid, each recorded once, on both workers', { timeout: 600_000 }, () => {
    const db = path.join(tmp, 'sweep', 'unmask.db');
    const args = [
      'sweep',
      '-d',
      dataset,
      '-m',
      'SimpleNet',
      '--lr',
      '0.001,0.0005',
      '--seed',
      '1,2',
      '-b',
      '4',
      '-e',
      '1',
      '--db',
      db,
      '--queue',
      redis.url,
      '--artifacts',
      artifacts,
    ];
    const r = runUnmask(args, { timeout: 600_000, env: { ...process.env, UNMASK_DATA_ROOT: dataRoot } });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { run: number; state: string; worker: string; sweep: string; lr: number });
    assert.equal(lines.length, 4);
    assert.ok(
      lines.every((l) => l.state === 'completed'),
      r.stdout,
    );
    withStore(db, (store) => {
      const runs = store.listRuns();
      assert.equal(runs.length, 4, 'every run recorded once');
      assert.deepEqual(new Set(runs.map((run) => run.id)), new Set(lines.map((l) => l.run)));
      for (const run of runs) {
        assert.equal(run.status, 'completed');
        assert.equal(run.epochsDone, 1);
        assert.ok(
          run.ownScores.some((s) => s.split === 'test' && s.n === 4),
          `run ${run.id} has its own test scores`,
        );
        assert.equal(run.datasetPath, dataset);
      }
      assert.deepEqual(runs.map((run) => `${run.params.lr}/${run.params.seed}`).sort(), ['0.0005/1', '0.0005/2', '0.001/1', '0.001/2']);
      const jobs = store.listJobs();
      assert.equal(jobs.length, 4);
      assert.equal(new Set(jobs.map((j) => j.sweep)).size, 1, 'one sweep');
      assert.deepEqual(new Set(jobs.map((j) => j.worker)), new Set(workers.map((w) => w.name)), 'both workers trained');
    });
  });
});

describe('a coordinator with the queue', () => {
  before(async () => {
    service = createService({ dbPath: serviceDb, transport: 'http', launch: launchNodeWorker, dataRoot, queue: { url: redis.url, artifacts, source: 'flag' } });
    service.onEvent((e) => events.push(e));
    await service.api.openDataset({ path: dataset });
  });

  it('a worker killed mid-epoch: another finishes the run from the last completed epoch, with the uninterrupted metrics', { timeout: 600_000 }, async () => {
    workers.push(await startWorker(roots()));
    const killedJob = await service.api.startTraining(simpleNet(3, 3, 2));
    const wholeJob = await service.api.startTraining(simpleNet(3, 3, 2));
    const midEpoch2 = await reached(killedJob.id, (j) => j.epochs.length >= 1 && j.progress.phase === 'train' && j.progress.epoch === 2 && j.worker !== null);
    const victim = workers.find((w) => w.name === midEpoch2.worker)!;
    const killedAt = events.length;
    await victim.stop('SIGKILL');
    const [killed, whole] = await Promise.all([settled(killedJob.id), settled(wholeJob.id)]);
    assert.equal(killed.state, 'completed', `${JSON.stringify(killed.error)}\n${workers.map((w) => w.log()).join('\n')}`);
    assert.equal(whole.state, 'completed', JSON.stringify(whole.error));
    assert.notEqual(killed.worker, victim.name, 'another worker finished it');
    const after = events
      .slice(killedAt)
      .flatMap((e) => (e.type === 'job' && e.job.id === killedJob.id && e.job.worker === killed.worker ? [e.job.progress] : []));
    assert.ok(
      after.some((p) => p.phase === 'train'),
      'the new worker trained',
    );
    assert.ok(
      after.every((p) => p.phase !== 'train' || p.epoch >= 2),
      'it went on from epoch 2, not from the start',
    );
    const a = metricsOf(serviceDb, killed.runId!);
    const b = metricsOf(serviceDb, whole.runId!);
    assert.deepEqual(
      a.map((e) => e.epoch),
      [1, 2, 3],
      'each epoch recorded once',
    );
    a.forEach((e, i) => {
      for (const key of ['trainLoss', 'trainAcc', 'valLoss', 'valAcc', 'testLoss', 'testAcc'] as const) {
        const [x, y] = [e[key]!, b[i]![key]!];
        assert.ok(Math.abs(x - y) <= 1e-5 * Math.max(1, Math.abs(x)), `epoch ${e.epoch} ${key}: ${x} vs ${y}`);
      }
    });
    const runs = await service.api.listRuns();
    assert.equal(runs.length, 2);
    const killedRow = runs.find((r) => r.id === killed.runId)!;
    assert.equal(killedRow.worker, killed.worker);
    assert.equal(killedRow.testAuc, runs.find((r) => r.id === whole.runId)!.testAuc);
  });

  it('evaluates a run on a worker and records the evaluation here', { timeout: 300_000 }, async () => {
    const [run] = await service.api.listRuns();
    const row = await service.api.evaluateRun({ runId: run!.id, dataset, split: 'test' });
    assert.equal(row.runId, run!.id);
    assert.equal(row.n, 4);
    assert.equal(row.source.split, 'test');
    const job = withStore(serviceDb, (s) => s.listJobs().find((j) => j.kind === 'evaluate')!);
    assert.equal(job.state, 'completed');
    assert.ok(workers.some((w) => w.name === job.worker));
    assert.equal(job.evaluationId, row.id);
  });

  it('feature extraction split over two workers writes the same cache as one process', { timeout: 600_000 }, async () => {
    const request: TrainRequest = { dataset, model: 'MobileNetBased', optimizer: 'Adam', lr: 1e-4, batchSize: 4, epochs: 1, seed: 0 };
    const job = await service.api.startTraining(request);
    const end = await settled(job.id);
    assert.equal(end.state, 'completed', JSON.stringify(end.error));
    const shards = await Promise.all([0, 1].map((i) => queue.getJob(`${end.queueJobId}-f${i}`)));
    assert.equal(new Set(shards.map((s) => s!.processedBy)).size, 2, 'the two shards ran on two workers');
    const train = await queue.getJob(end.queueJobId!);
    assert.equal((train!.returnvalue as { featuresComputed: number }).featuresComputed, 0, 'the run found every view cached');

    const shared = fs.readdirSync(path.join(artifacts, 'feature-cache'));
    assert.equal(shared.length, 1);
    const oneProcess = path.join(tmp, 'one-process-cache');
    await initEngine();
    await extractFeatureShard({
      request: checkTrainRequest({ ...request, model: 'MobileNetBased', optimizer: 'Adam', freezeBackbone: true }),
      shard: { index: 0, count: 1 },
      cacheRoot: oneProcess,
    });
    const dirA = path.join(artifacts, 'feature-cache', shared[0]!);
    const dirB = path.join(oneProcess, shared[0]!);
    const files = fs.readdirSync(dirA).sort();
    assert.deepEqual(fs.readdirSync(dirB).sort(), files, 'the same weights hash, images and views');
    assert.equal(files.length, 8 * 2 + 4 + 4, 'two augmented views per training image, the plain val and test images');
    for (const f of files) assert.ok(fs.readFileSync(path.join(dirA, f)).equals(fs.readFileSync(path.join(dirB, f))), `${f} differs`);
  });

  it('Redis killed and restarted: no finished result is lost, and none is recorded twice', { timeout: 600_000 }, async () => {
    const before = (await service.api.listRuns()).length;
    const quick = await service.api.startTraining(simpleNet(1, 11));
    const long = await service.api.startTraining(simpleNet(4, 12, 2));
    const quickEnd = await settled(quick.id);
    assert.equal(quickEnd.state, 'completed');
    await reached(long.id, (j) => j.epochs.length >= 1);
    await redis.kill();
    await new Promise((r) => setTimeout(r, 3000));
    await redis.start();
    const longEnd = await settled(long.id);
    assert.equal(longEnd.state, 'completed', JSON.stringify(longEnd.error));
    assert.deepEqual(
      metricsOf(serviceDb, longEnd.runId!).map((e) => e.epoch),
      [1, 2, 3, 4],
    );
    const runs = await service.api.listRuns();
    assert.equal(runs.length, before + 2);
    assert.ok([quickEnd.runId, longEnd.runId].every((id) => runs.find((r) => r.id === id)?.status === 'completed'));

    // A coordinator opened again on the same database takes up the ledger: nothing new, nothing twice.
    await service.close();
    const ledger = withStore(serviceDb, (s) => s.listJobs().map((j) => `${j.id}:${j.state}:${j.runId}`));
    service = createService({ dbPath: serviceDb, transport: 'http', launch: launchNodeWorker, dataRoot, queue: { url: redis.url, artifacts, source: 'flag' } });
    const fleet = await service.api.getFleet();
    assert.equal(fleet.connected, true);
    assert.deepEqual(
      new Set(fleet.workers.map((w) => w.name)),
      new Set(workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null).map((w) => w.name)),
    );
    assert.equal((await service.api.listRuns()).length, before + 2);
    assert.deepEqual(
      withStore(serviceDb, (s) => s.listJobs().map((j) => `${j.id}:${j.state}:${j.runId}`)),
      ledger,
    );
  });
});

describe('cancelling queue jobs', () => {
  it('removes a queued job at once, and stops a running one on its worker (its run marked cancelled)', { timeout: 300_000 }, async () => {
    const alive = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null).length;
    const jobs = await Promise.all(Array.from({ length: alive + 1 }, (_, i) => service.api.startTraining(simpleNet(50, 30 + i, 2))));
    const waiting = jobs.at(-1)!;
    await Promise.all(jobs.slice(0, alive).map((j) => reached(j.id, (x) => x.progress.phase === 'train' && x.runId !== null)));
    assert.equal((await service.api.listJobs()).find((j) => j.id === waiting.id)!.state, 'queued');
    assert.equal((await service.api.cancelJob({ jobId: waiting.id })).state, 'cancelled');
    const ends = await Promise.all(
      jobs.slice(0, alive).map(async (j) => {
        const end = settled(j.id);
        await service.api.cancelJob({ jobId: j.id });
        return end;
      }),
    );
    assert.deepEqual(
      ends.map((e) => e.state),
      ends.map(() => 'cancelled'),
      JSON.stringify(ends.map((e) => e.error)),
    );
    withStore(serviceDb, (s) => {
      for (const e of ends) assert.equal(s.getRun(e.runId!).status, 'cancelled');
      assert.equal(s.listJobs().find((j) => j.id === waiting.queueJobId)!.state, 'cancelled');
    });
  });
});

describe('what a worker refuses', () => {
  it('fails a job of an unknown kind, a payload its schema refuses, and a dataset outside its data root', { timeout: 120_000 }, async () => {
    const request = { ...simpleNet(1, 0), dataset: 'faces' };
    const jobs = await Promise.all([
      queue.add('shell', { command: 'rm -rf /' }),
      queue.add('train', { request: { ...request, lr: 'fast' }, sweep: null, coordinator: 'test' }),
      queue.add('train', { request: { ...request, dataset: '../../etc' }, sweep: null, coordinator: 'test' }),
    ]);
    const reasons = await Promise.all(
      jobs.map(async (job) => {
        for (;;) {
          const state = await job.getState();
          if (state === 'failed') return (await queue.getJob(job.id!))!.failedReason;
          assert.notEqual(state, 'completed');
          await new Promise((r) => setTimeout(r, 200));
        }
      }),
    );
    assert.match(reasons[0]!, /^BAD_ARGUMENT: unknown job kind 'shell'/);
    assert.match(reasons[1]!, /^BAD_ARGUMENT: train job: request\.lr/);
    assert.match(reasons[2]!, /^FORBIDDEN: '\.\.\/\.\.\/etc' is not a path inside the data root/);
  });
});
