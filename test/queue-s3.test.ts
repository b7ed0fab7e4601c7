// The job queue with its artifact root in an S3-compatible bucket (moto's server): a worker trains a run in its own
// mirror of the bucket, the coordinator — another mirror, nothing shared but the bucket — scores the run here, and
// a second worker with an empty mirror evaluates it. Skipped, the reason printed, without moto.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { TrainRequest } from '../main/api/contract.js';
import { linkSubset } from '../main/data/index.js';
import { createService, type UnmaskService } from '../main/service/service.js';
import { RunStore } from '../main/store/index.js';
import { launchNodeWorker } from '../main/worker/launch.js';
import { settled } from './helpers/jobs.js';
import { motoMissing, startMoto, type TestS3 } from './helpers/moto.js';
import { startRedis, type TestRedis } from './helpers/redis.js';
import { startWorker, type TestWorker } from './helpers/workers.js';
import { fakesDataset } from '../main/data/fixtures.js';

const missing = motoMissing();
if (missing) console.log(`# skipped: ${missing}`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-queue-s3-'));
const dataRoot = path.join(tmp, 'data');
const dataset = path.join(dataRoot, 'faces');
const serviceDb = path.join(tmp, 'coordinator', 'unmask.db');
const coordinatorMirror = path.join(tmp, 'coordinator', 'artifacts');
const bucket = 'unmask-e2e';
const artifacts = `s3://${bucket}/team/artifacts`;

let s3: TestS3;
let redis: TestRedis;
let service: UnmaskService;
const workers: TestWorker[] = [];

/** A worker whose only view of the artifacts is the bucket, through its own mirror folder. */
const s3Worker = (mirror: string) =>
  startWorker({ queue: redis.url, dataRoot, artifacts }, ['--s3-endpoint', s3.endpoint, '--artifacts-cache', path.join(tmp, mirror)]);

describe('the job queue with an S3 artifact root', { skip: missing ?? false }, () => {
  before(async () => {
    process.env.UNMASK_DB = serviceDb; // the coordinator's analysis worker reads it
    process.env.UNMASK_ENGINE = 'wasm';
    linkSubset(fakesDataset, dataset, { train: 4, val: 2, test: 2 });
    s3 = await startMoto(); // sets moto's dummy AWS credentials for this process and the workers it starts
    await s3.createBucket(bucket);
    redis = await startRedis();
    workers.push(await s3Worker('worker-1'));
    service = createService({
      dbPath: serviceDb,
      transport: 'http',
      launch: launchNodeWorker,
      dataRoot,
      queue: { url: redis.url, artifacts, s3Endpoint: s3.endpoint, artifactsCache: coordinatorMirror, source: 'flag' },
    });
    await service.api.openDataset({ path: dataset });
  });

  after(async () => {
    await service?.close();
    await Promise.all(workers.map((w) => w.stop()));
    await redis?.stop();
    await s3?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('a worker trains into the bucket; the coordinator pulls the checkpoints and scores the run here', { timeout: 600_000 }, async () => {
    const request: TrainRequest = { dataset, model: 'SimpleNet', optimizer: 'Adam', lr: 0.001, batchSize: 4, epochs: 2, seed: 1 };
    const job = await service.api.startTraining(request);
    const end = await settled(service, job.id);
    assert.equal(end.state, 'completed', `${JSON.stringify(end.error)}\n${workers[0]!.log()}`);
    assert.equal((await service.api.getFleet()).queue.artifacts, artifacts, 'the settings show the bucket, not a folder');

    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `team/artifacts/jobs/${end.queueJobId}/` }));
    const keys = (listed.Contents ?? []).map((o) => o.Key!);
    assert.ok(keys.includes(`team/artifacts/jobs/${end.queueJobId}/journal.json`), keys.join('\n'));

    const store = RunStore.open(serviceDb);
    const checkpoints = store.getCheckpoints(end.runId!).map((c) => path.resolve(path.dirname(serviceDb), c.path));
    store.close();
    assert.ok(checkpoints.length > 0);
    for (const folder of checkpoints) {
      assert.ok(folder.startsWith(`${coordinatorMirror}${path.sep}`), `${folder} is in the coordinator's mirror`);
      const mine = fs.readdirSync(folder);
      assert.ok(mine.length > 0, `${folder} was pulled`);
      const theirs = path.join(tmp, 'worker-1', path.relative(coordinatorMirror, folder));
      for (const file of mine)
        assert.deepEqual(fs.readFileSync(path.join(folder, file)), fs.readFileSync(path.join(theirs, file)), `${file}: the worker's bytes`);
    }

    const [own] = await service.api.listRuns();
    const rescored = await service.api.rescoreRun({ runId: end.runId!, split: 'test' });
    assert.equal(rescored.testAuc, own!.testAuc, "scored here from the pulled checkpoint: the worker's own test AUC");
  });

  it('a worker with an empty mirror pulls the run from the bucket to evaluate it', { timeout: 300_000 }, async () => {
    await workers[0]!.stop('SIGTERM');
    workers.push(await s3Worker('worker-2'));
    const [run] = await service.api.listRuns();
    const row = await service.api.evaluateRun({ runId: run!.id, dataset, split: 'test' });
    assert.equal(row.runId, run!.id);
    assert.equal(row.n, 4);
    assert.ok(fs.existsSync(path.join(tmp, 'worker-2', 'jobs')), "the run's checkpoints came into the new worker's mirror");
  });
});
