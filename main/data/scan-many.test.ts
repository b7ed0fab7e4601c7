// scanDatasets: several folders scanned as one, split by split, each image with its own folder's label.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UnmaskError } from '../engine/errors.js';
import { fingerprintDataset } from './fingerprint.js';
import { fakesDataset, syntheticDataset } from './fixtures.js';
import { runFolders } from './run-folders.js';
import { scanDatasets, scanRunDataset } from './scan-many.js';
import { scanDataset } from './scan.js';
import { linkSubset } from './subset.js';
import { SPLITS } from './types.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-scan-many-'));
const a = path.join(tmp, 'fakes');
const b = path.join(tmp, 'synthetic');

before(() => {
  linkSubset(fakesDataset, a, { train: 3, val: 2, test: 1 });
  linkSubset(syntheticDataset, b, { train: 2, val: 1, test: 2 });
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The label a sample's own folder gives it: .../{split}/{real,fake}/file. */
const folderLabel = (file: string) => (path.basename(path.dirname(file)) === 'fake' ? 1 : 0);

describe('scanDatasets', () => {
  it('scans one folder exactly as scanDataset does (no parts, the same fingerprint)', async () => {
    const [one, plain] = [await scanDatasets([a]), await scanDataset(a)];
    assert.equal(one.parts, undefined);
    assert.deepEqual(one.splits, plain.splits);
    assert.equal(await fingerprintDataset(one), await fingerprintDataset(plain));
  });

  it('merges several folders split by split, every image keeping its folder, label and split', async () => {
    const scan = await scanDatasets([a, b]);
    assert.deepEqual(
      scan.parts?.map((p) => p.root),
      [a, b],
    );
    assert.deepEqual(
      SPLITS.map((s) => scan.splits[s].counts),
      [
        { real: 5, fake: 5, total: 10 },
        { real: 3, fake: 3, total: 6 },
        { real: 3, fake: 3, total: 6 },
      ],
    );
    assert.deepEqual(scan.counts, { real: 11, fake: 11, total: 22 });
    for (const split of SPLITS) {
      for (const s of scan.splits[split].samples) {
        assert.equal(s.label, folderLabel(s.path), s.path);
        assert.equal(path.basename(path.dirname(path.dirname(s.path))), split, s.path);
        assert.ok(s.path.startsWith(`${a}${path.sep}`) || s.path.startsWith(`${b}${path.sep}`), s.path);
      }
    }
    assert.equal(scan.splits.train.samples.filter((s) => s.path.startsWith(b)).length, 4);
  });

  it('keeps an image that two folders hold twice', async () => {
    const twin = path.join(tmp, 'twin');
    fs.cpSync(a, twin, { recursive: true, verbatimSymlinks: true });
    const scan = await scanDatasets([a, twin]);
    assert.equal(scan.splits.train.counts.total, 12);
  });

  it('refuses a folder given twice, and a missing one, naming it', async () => {
    await assert.rejects(scanDatasets([a, b, `${a}/`]), (e: unknown) => e instanceof UnmaskError && e.code === 'BAD_ARGUMENT' && e.message.includes(a));
    const missing = path.join(tmp, 'missing');
    await assert.rejects(scanDatasets([a, missing]), (e: unknown) => e instanceof UnmaskError && e.message.includes(missing));
  });

  it("fingerprints several folders by each one's place and relative paths: another order is another dataset", async () => {
    const [ab, ba] = [await scanDatasets([a, b]), await scanDatasets([b, a])];
    assert.notEqual(await fingerprintDataset(ab), await fingerprintDataset(ba));
    assert.equal(await fingerprintDataset(ab), await fingerprintDataset(await scanDatasets([a, b])));
  });

  it("reads a run's folders from its params (several) or its dataset column (one), and rescans them with its seed", async () => {
    const params = { lr: 1, batchSize: 1, epochs: 1, optimizer: 'Adam', seed: 3 };
    assert.deepEqual(runFolders({ datasetPath: a, params }), [a]);
    assert.deepEqual(runFolders({ datasetPath: a, params: { ...params, datasets: [a, b] } }), [a, b]);
    const scan = await scanRunDataset({ datasetPath: a, params: { ...params, datasets: [a, b] } });
    assert.equal(scan.seed, 3);
    assert.equal(scan.splits.test.counts.total, 6);
  });
});
