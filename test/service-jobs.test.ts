// The training queue through real worker processes: order, progress with ETA, cancel, and a killed worker.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { ApiEvent, JobInfo, TrainRequest } from '../main/api/contract.js';
import { linkSubset } from '../main/data/index.js';
import { createService, type UnmaskService } from '../main/service/service.js';
import { jobFraction } from '../main/service/jobs.js';
import { RunStore } from '../main/store/index.js';
import { launchNodeWorker, type LaunchWorker, type WorkerHandle } from '../main/worker/launch.js';
import { reached as reachedJob, settled as settledJob } from './helpers/jobs.js';
import { fakesDataset } from '../main/data/fixtures.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-jobs-'));
const dataset = path.join(tmp, 'faces');
const dbPath = path.join(tmp, 'runs.db');
process.env.UNMASK_DB = dbPath;
process.env.UNMASK_ENGINE = 'wasm';

/** Real worker processes, with their handles kept so a test can kill one. */
const launched: WorkerHandle[] = [];
const launch: LaunchWorker = (name) => {
  const handle = launchNodeWorker(name);
  if (name === 'train') launched.push(handle);
  return handle;
};

let service: UnmaskService;
const events: ApiEvent[] = [];
const request = (epochs: number): TrainRequest => ({ dataset, model: 'SimpleNet', optimizer: 'Adam', lr: 0.001, batchSize: 4, epochs, seed: 3 });

const settled = (jobId: number) => settledJob(service, jobId);
const reached = (jobId: number, test: (job: JobInfo) => boolean) => reachedJob(service, jobId, test);

before(async () => {
  linkSubset(fakesDataset, dataset, { train: 8, val: 4, test: 4 });
  service = createService({ dbPath, transport: 'http', launch });
  service.onEvent((e) => events.push(e));
  await service.api.openDataset({ path: dataset });
});

after(async () => {
  await service.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('jobFraction', () => {
  const p = { epoch: 2, epochs: 4, done: 5, total: 10, imgPerSec: null, etaSeconds: null, runningLoss: null, runningAccuracy: null };
  it('places a batch inside its epoch and phase (hand-computed)', () => {
    // Epoch 2 of 4, train half done: 0.98 · (1/4 + 0.8 · 0.5 / 4) = 0.98 · 0.35.
    assert.ok(Math.abs(jobFraction({ ...p, phase: 'train' }, false) - 0.98 * 0.35) < 1e-12);
    // Frozen: the feature pass is a fifth unit. val half done in epoch 2: 0.98 · (2/5 + (0.8 + 0.05)/5).
    assert.ok(Math.abs(jobFraction({ ...p, phase: 'val' }, true) - 0.98 * (0.4 + 0.85 / 5)) < 1e-12);
    assert.ok(Math.abs(jobFraction({ ...p, phase: 'score' }, false) - (0.98 + 0.02 * 0.5)) < 1e-12);
    assert.equal(jobFraction({ ...p, phase: 'scan' }, false), 0);
  });
});

describe('the training queue', () => {
  it('runs jobs one at a time in order, with progress, ETA, epochs, scores and a run per job', async () => {
    const first = await service.api.startTraining(request(2));
    const second = await service.api.startTraining(request(1));
    assert.equal(second.state, 'queued');
    const [a, b] = await Promise.all([settled(first.id), settled(second.id)]);
    assert.deepEqual([a.state, b.state], ['completed', 'completed'], JSON.stringify([a.error, b.error]));
    assert.ok(Date.parse(b.startedAt!) >= Date.parse(a.finishedAt!), 'the second job starts after the first ends');
    assert.deepEqual(
      a.epochs.map((e) => e.epoch),
      [1, 2],
    );
    const progress = events.flatMap((e) => (e.type === 'job' && e.job.id === first.id ? [e.job.progress] : []));
    const fractions = progress.map((p) => p.fraction);
    assert.deepEqual(
      fractions,
      [...fractions].sort((x, y) => x - y),
      'the job fraction never goes back',
    );
    assert.ok(
      progress.some((p) => p.phase === 'train' && p.etaSeconds !== null && p.etaSeconds > 0),
      'an ETA is shown while training',
    );
    assert.equal(progress.at(-1)!.fraction, 1);
    const runs = await service.api.listRuns();
    const run = runs.find((r) => r.id === a.runId)!;
    assert.equal(run.status, 'completed');
    assert.equal(run.parameters, 16_901_762);
    assert.ok(run.testAuc !== null, 'the test split was scored when training ended');
    assert.equal(run.testAucSource?.kind, 'own');
    assert.match(run.testAucSource?.label ?? '', /^faces · own test split · best checkpoint \(epoch \d+\)$/);
    assert.ok(events.some((e) => e.type === 'runs-changed'));
  });

  it('cancels a queued job at once and a running one after its batch (run marked cancelled)', async () => {
    const running = await service.api.startTraining(request(50));
    const queued = await service.api.startTraining(request(1));
    assert.equal((await service.api.cancelJob({ jobId: queued.id })).state, 'cancelled');
    await reached(running.id, (j) => j.progress.phase === 'train' && j.runId !== null);
    await service.api.cancelJob({ jobId: running.id });
    const end = await settled(running.id);
    assert.equal(end.state, 'cancelled');
    const store = RunStore.open(dbPath);
    try {
      assert.equal(store.getRun(end.runId!).status, 'cancelled');
    } finally {
      store.close();
    }
  });

  it('a killed training process fails its job clearly; the run shows interrupted and resumes', async () => {
    const job = await service.api.startTraining(request(3));
    await reached(job.id, (j) => j.epochs.length >= 1);
    launched.at(-1)!.kill();
    const end = await settled(job.id);
    assert.equal(end.state, 'failed');
    assert.equal(end.error?.code, 'INTERNAL');
    assert.match(end.error!.message, /stopped unexpectedly \(SIGKILL\); the run can be resumed/);
    const store = RunStore.open(dbPath);
    try {
      const run = store.getRun(end.runId!);
      assert.equal(run.status, 'interrupted');
      assert.ok(store.getEpochs(run.id).length >= 1, 'finished epochs are kept');
    } finally {
      store.close();
    }
    const db = new Database(dbPath, { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      db.close();
    }
  });
});
