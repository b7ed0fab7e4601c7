// `unmask train -d A -d B`: one detector on two folders, each image with its own folder's label and split; the run
// records both, and `score` and `runs` read them both.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runFolders } from '../main/data/run-folders.js';
import { fakesDataset, syntheticDataset } from '../main/data/fixtures.js';
import { linkSubset } from '../main/data/index.js';
import { RunStore } from '../main/store/index.js';
import { runUnmask, type CliResult } from './helpers/cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-multi-'));
const a = path.join(tmp, 'fakes');
const b = path.join(tmp, 'synthetic');
const noVal = path.join(tmp, 'no-val');
const db = path.join(tmp, 'unmask.db');
const env: NodeJS.ProcessEnv = { ...process.env, UNMASK_ENGINE: 'wasm' };

const unmask = (args: string[]): CliResult => runUnmask(args, { timeout: 300_000, env });
const lastJson = (text: string): Record<string, unknown> => JSON.parse(text.trim().split('\n').at(-1)!) as Record<string, unknown>;
/** Every image file of a folder's split, as the scan lists them (absolute paths, not resolved through the links). */
const splitFiles = (root: string, split: string) =>
  ['real', 'fake'].flatMap((cls) => fs.readdirSync(path.join(root, split, cls)).map((f) => path.join(root, split, cls, f)));

before(() => {
  linkSubset(fakesDataset, a, { train: 3, val: 2, test: 2 });
  linkSubset(syntheticDataset, b, { train: 2, val: 2, test: 1 });
  linkSubset(fakesDataset, noVal, { train: 2, test: 1 });
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('unmask train on two dataset folders', () => {
  it('trains on both: the counts are the sums, each folder counted too', () => {
    const r = unmask(['train', '-d', a, '-d', b, '-m', 'SimpleNet', '-e', '1', '-b', '4', '--seed', '3', '--db', db]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(lastJson(r.stdout).run, 1);
    assert.match(r.stderr, new RegExp(`dataset ${a} \\+ ${b}: real/fake train 5/5, val 4/4, test 3/3; fake:real 1\\.000; 0 skipped`));
    assert.ok(r.stderr.includes(`  ${a}: real/fake train 3/3, val 2/2, test 2/2;`), r.stderr);
    assert.ok(r.stderr.includes(`  ${b}: real/fake train 2/2, val 2/2, test 1/1;`), r.stderr);
  });

  it("records both folders; its training images are both folders' train images, each labelled by its folder", () => {
    const store = RunStore.open(db);
    try {
      const run = store.getRun(1);
      assert.deepEqual(runFolders(run), [a, b]);
      assert.equal(run.datasetPath, a);
    } finally {
      store.close();
    }
    // The train split as the run reads it (the same merged scan, with the run's seed), scored image by image.
    const r = unmask(['score', '--run', '1', '--split', 'train', '--db', db]);
    assert.equal(r.code, 0, r.stderr);
    const scored = RunStore.open(db);
    try {
      const train = scored.getScores(1, 'train');
      assert.deepEqual(train.map((s) => s.path).sort(), [...splitFiles(a, 'train'), ...splitFiles(b, 'train')].sort());
      for (const s of train) assert.equal(s.label, path.basename(path.dirname(s.path)) === 'fake' ? 1 : 0, s.path);
    } finally {
      scored.close();
    }
  });

  it("scores the run's own test split: the test images of both folders", () => {
    const r = unmask(['score', '--run', '1', '--split', 'test', '--db', db]);
    assert.equal(r.code, 0, r.stderr);
    const out = lastJson(r.stdout);
    assert.equal(out.recordedAs, 'own');
    assert.equal(out.n, 6);
    assert.equal(out.dataset, `${a} + ${b}`);
    const store = RunStore.open(db);
    try {
      const test = store.getScores(1, 'test');
      assert.deepEqual(test.map((s) => s.path).sort(), [...splitFiles(a, 'test'), ...splitFiles(b, 'test')].sort());
      for (const s of test) assert.equal(s.label, path.basename(path.dirname(s.path)) === 'fake' ? 1 : 0, s.path);
    } finally {
      store.close();
    }
  });

  it('lists the run with both folder names', () => {
    const r = unmask(['runs', '--db', db]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /fakes \+ synthetic/);
  });

  it('refuses a folder listed twice and a folder without a val split, naming the folder', () => {
    const twice = unmask(['train', '-d', a, '-d', b, '-d', a, '-e', '1', '--db', db]);
    assert.equal(twice.code, 2, twice.stderr);
    assert.deepEqual(lastJson(twice.stderr).error, { code: 'BAD_ARGUMENT', message: `dataset folders must be distinct: ${JSON.stringify(a)} is listed twice` });
    const missing = unmask(['train', '-d', a, '-d', noVal, '-e', '1', '--db', db]);
    assert.equal(missing.code, 1, missing.stderr);
    const { error } = lastJson(missing.stderr) as { error: { code: string; message: string } };
    assert.equal(error.code, 'DATASET_INVALID');
    assert.ok(error.message.includes(noVal), error.message);
  });
});
