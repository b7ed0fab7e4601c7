// The job ledger (schema 5): recorded once, updated, listed by state and run, settings, and one transaction for all.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { RunStore } from './index.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-ledger-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const params = { lr: 1e-3, batchSize: 4, epochs: 2, optimizer: 'Adam', seed: 0 };

describe('the job ledger', () => {
  it('records a job once, follows its run, worker and state, and stamps when it ended', () => {
    const store = RunStore.open(path.join(tmp, 'a.db'));
    try {
      const job = store.recordJob({ id: 'abc-1', kind: 'train', sweep: 'sweep-1', request: { request: { model: 'SimpleNet' } } });
      assert.deepEqual([job.state, job.runId, job.worker, job.finishedAt], ['queued', null, null, null]);
      assert.throws(() => store.recordJob({ id: 'abc-1', kind: 'train', request: {} }), /already recorded/);
      assert.throws(() => store.recordJob({ id: 'a b', kind: 'train', request: {} }), { code: 'BAD_ARGUMENT' });
      const run = store.createRun({ model: 'SimpleNet', datasetPath: '/d', datasetFingerprint: 'f', params, engine: 'wasm' });
      store.updateJob('abc-1', { runId: run.id, state: 'running', worker: 'host:1:wasm' });
      const done = store.updateJob('abc-1', { state: 'completed' });
      assert.deepEqual([done.runId, done.worker, done.state, done.sweep], [run.id, 'host:1:wasm', 'completed', 'sweep-1']);
      assert.ok(done.finishedAt);
      assert.deepEqual(done.request, { request: { model: 'SimpleNet' } });
      store.recordJob({ id: 'abc-2', kind: 'evaluate', runId: run.id, request: {} });
      assert.deepEqual(
        store.listJobs({ states: ['queued', 'running'] }).map((j) => j.id),
        ['abc-2'],
      );
      assert.deepEqual(
        store.listJobs({ runId: run.id }).map((j) => j.id),
        ['abc-1', 'abc-2'],
      );
      assert.throws(() => store.updateJob('nope', { state: 'failed' }), { code: 'NOT_FOUND' });
    } finally {
      store.close();
    }
  });

  it('keeps settings, and a transaction that throws leaves nothing behind', () => {
    const file = path.join(tmp, 'b.db');
    const store = RunStore.open(file);
    try {
      store.setSetting('queue', { url: 'redis://h:1', artifacts: null });
      assert.throws(() =>
        store.transaction(() => {
          store.recordJob({ id: 'j1', kind: 'train', request: {} });
          store.setSetting('queue', null);
          throw new Error('no');
        }),
      );
      assert.equal(store.getJob('j1'), null);
      assert.deepEqual(store.getSetting('queue'), { url: 'redis://h:1', artifacts: null });
    } finally {
      store.close();
    }
    const again = RunStore.open(file);
    try {
      again.setSetting('queue', null);
      assert.equal(again.getSetting('queue'), null);
    } finally {
      again.close();
    }
  });
});
