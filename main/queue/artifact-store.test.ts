// ArtifactSync against a real S3-compatible server (moto's): a folder tree pushed from one machine's mirror and
// pulled into another's, unchanged files left alone, and keys that would land outside the mirror refused.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { motoMissing, startMoto, type TestS3 } from '../../test/helpers/moto.js';
import { ArtifactSync, parseS3Url } from './artifact-store.js';

const missing = motoMissing();
if (missing) console.log(`# skipped: ${missing}`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-s3-'));
let s3: TestS3;
const syncs: ArtifactSync[] = [];

/** A sync of the test bucket through its own mirror folder: one machine. */
async function machine(name: string): Promise<ArtifactSync> {
  const sync = await ArtifactSync.open('s3://unmask-test/team/artifacts', { cache: path.join(tmp, name), endpoint: s3.endpoint });
  syncs.push(sync);
  return sync;
}

function write(root: string, rel: string, bytes: Buffer | string): void {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
}

describe('ArtifactSync on an S3-compatible bucket', { skip: missing ?? false }, () => {
  before(async () => {
    s3 = await startMoto();
    await s3.createBucket('unmask-test');
  });
  after(async () => {
    syncs.forEach((s) => s.close());
    await s3?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('pushes a folder tree from one mirror and pulls the same bytes into another', async () => {
    const worker = await machine('worker');
    const coordinator = await machine('coordinator');
    const weights = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256));
    write(worker.mirror.dir, 'jobs/j1/runs/run-1/epoch-1/weights.bin', weights);
    write(worker.mirror.dir, 'jobs/j1/runs/run-1/epoch-1/checkpoint.json', '{"epoch":1}');
    write(worker.mirror.dir, 'jobs/j1/runs/run-1/epoch-2.tmp-123/weights.bin', 'half written');
    write(worker.mirror.dir, 'jobs/j10/other.txt', 'a sibling folder, not under jobs/j1');
    assert.deepEqual(await worker.push('jobs/j1'), { copied: 2, unchanged: 0 }, 'the .tmp- folder is not pushed');
    await worker.push('jobs/j10');

    assert.deepEqual(await coordinator.pull('jobs/j1'), { copied: 2, unchanged: 0 });
    const pulled = path.join(coordinator.mirror.dir, 'jobs/j1/runs/run-1/epoch-1');
    assert.deepEqual(fs.readFileSync(path.join(pulled, 'weights.bin')), weights);
    assert.equal(fs.readFileSync(path.join(pulled, 'checkpoint.json'), 'utf8'), '{"epoch":1}');
    assert.ok(!fs.existsSync(path.join(coordinator.mirror.dir, 'jobs/j10')), 'pull of jobs/j1 took jobs/j10 too');
    assert.ok(!fs.existsSync(path.join(coordinator.mirror.dir, 'jobs/j1/runs/run-1/epoch-2.tmp-123')));
  });

  it('leaves unchanged files alone, and copies a changed one again', async () => {
    const worker = await machine('worker');
    const coordinator = await machine('coordinator');
    assert.deepEqual(await worker.push('jobs/j1'), { copied: 0, unchanged: 2 });
    assert.deepEqual(await coordinator.pull('jobs/j1'), { copied: 0, unchanged: 2 });
    write(worker.mirror.dir, 'jobs/j1/runs/run-1/epoch-1/checkpoint.json', '{"epoch":1,"rewritten":true}');
    assert.deepEqual(await worker.push('jobs/j1/runs/run-1/epoch-1/checkpoint.json'), { copied: 1, unchanged: 0 });
    assert.deepEqual(await coordinator.pull('jobs/j1'), { copied: 1, unchanged: 1 });
    assert.equal(fs.readFileSync(path.join(coordinator.mirror.dir, 'jobs/j1/runs/run-1/epoch-1/checkpoint.json'), 'utf8'), '{"epoch":1,"rewritten":true}');
  });

  it('pulls nothing, and pushes nothing, for a path neither side has', async () => {
    const coordinator = await machine('coordinator');
    assert.deepEqual(await coordinator.pull('feature-cache'), { copied: 0, unchanged: 0 });
    assert.deepEqual(await coordinator.push('feature-cache'), { copied: 0, unchanged: 0 });
  });

  it('refuses a key that would land outside the mirror, writing nothing', async () => {
    const coordinator = await machine('coordinator');
    await s3.client.send(new PutObjectCommand({ Bucket: 'unmask-test', Key: 'team/artifacts/jobs/evil/../../../../escaped.txt', Body: 'x' }));
    await assert.rejects(coordinator.pull('jobs/evil'), (e: Error & { code?: string }) => e.code === 'FORBIDDEN' && /escaped\.txt/.test(e.message));
    assert.ok(!fs.existsSync(path.join(tmp, 'escaped.txt')) && !fs.existsSync(path.join(coordinator.mirror.dir, 'jobs/evil')));
    await assert.rejects(coordinator.pull('../outside'), (e: Error & { code?: string }) => e.code === 'FORBIDDEN');
    await assert.rejects(coordinator.push('/etc'), (e: Error & { code?: string }) => e.code === 'FORBIDDEN');
  });
});

describe('parseS3Url', () => {
  it('takes a bucket and a prefix apart, and tells a folder path from a URL', () => {
    assert.deepEqual(parseS3Url('s3://my-bucket/team/artifacts/'), { bucket: 'my-bucket', prefix: 'team/artifacts' });
    assert.deepEqual(parseS3Url('s3://my-bucket'), { bucket: 'my-bucket', prefix: '' });
    assert.equal(parseS3Url('/mnt/artifacts'), null);
    assert.throws(() => parseS3Url('s3://'), /does not name an S3 bucket/);
    assert.throws(() => parseS3Url('s3://b-1/a/../b'), /may not contain/);
  });
});
