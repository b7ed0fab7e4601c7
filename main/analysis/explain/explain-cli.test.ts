// `unmask explain` end to end: a checkpointed SimpleNet run in a temporary store, explained in a child process.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { initEngine } from '../../engine/select.js';
import { models } from '../../models/registry.js';
import { RunStore } from '../../store/index.js';
import { saveCheckpoint } from '../../train/checkpoint.js';
import { FusedOptimizer } from '../../train/optimizers.js';
import { runUnmask, type CliResult } from '../../../test/helpers/cli.js';
import { fakesDataset } from '../../data/fixtures.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-explain-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const db = path.join(tmp, 'unmask.db');
// The shared datasets sit beside the checkout (as in CI), wherever that is.
const fakeDir = path.join(fakesDataset, 'test', 'fake');

function unmask(args: string[]): CliResult {
  return runUnmask(args, { timeout: 120_000 });
}

describe('unmask explain', { skip: !fs.existsSync(fakeDir) && `no images under ${fakeDir}` }, () => {
  let image = '';

  before(async () => {
    await initEngine({ requested: 'wasm' });
    image = path.join(
      fakeDir,
      fs
        .readdirSync(fakeDir)
        .filter((f) => /\.(jpe?g|png)$/i.test(f))
        .sort()[0]!,
    );
    const model = models.SimpleNet.create({ seed: 0 });
    const checkpoint = path.join(tmp, 'runs', '1', 'best');
    fs.mkdirSync(path.dirname(checkpoint), { recursive: true });
    saveCheckpoint(checkpoint, model, new FusedOptimizer({ name: 'Adam', lr: 1e-3 }), 1);
    model.dispose();
    const store = RunStore.open(db);
    const run = store.createRun({
      model: 'SimpleNet',
      datasetPath: fakeDir,
      datasetFingerprint: 'test',
      params: { lr: 1e-3, batchSize: 2, epochs: 1, optimizer: 'Adam', seed: 0 },
      engine: 'wasm',
    });
    store.markStarted(run.id, 'wasm');
    const epoch = { epoch: 1, trainLoss: 0.7, trainAcc: 50, valLoss: 0.7, valAcc: 50, testLoss: null, testAcc: null, seconds: 1, imgPerSec: 1 };
    store.recordEpoch(run.id, epoch, [{ epoch: 1, kind: 'best', path: checkpoint }]);
    store.finish(run.id, 'completed');
    store.close();
  });

  it('writes a 256×256 overlay PNG and prints one JSON line', async () => {
    const out = path.join(tmp, 'out', 'gradcam.png');
    const r = unmask(['explain', '--run', '1', '--image', image, '--method', 'gradcam', '--out', out, '--db', db]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(line.run, 1);
    assert.equal(line.image, image);
    assert.equal(line.method, 'gradcam');
    assert.equal(line.layer, 'conv3');
    const logits = line.logits as number[];
    const scores = line.scores as { real: number; fake: number };
    assert.equal(logits.length, 2);
    assert.equal(line.prediction, logits[1]! > logits[0]! ? 'fake' : 'real');
    assert.equal(line.target, line.prediction);
    assert.ok(Math.abs(scores.real + scores.fake - 1) < 1e-5);
    assert.ok(Math.abs(scores.fake - 1 / (1 + Math.exp(logits[0]! - logits[1]!))) < 1e-5);
    assert.ok(typeof line.ms === 'number' && line.ms > 0);
    const meta = await sharp(out).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height, meta.channels], ['png', 256, 256, 3]);
  });

  it('refuses an unknown method or layer with BAD_ARGUMENT listing the choices', () => {
    const out = path.join(tmp, 'never.png');
    const method = unmask(['explain', '--run', '1', '--image', image, '--method', 'lime', '--out', out, '--db', db]);
    assert.equal(method.code, 2);
    assert.match(method.stderr, /BAD_ARGUMENT.*saliency, smoothgrad, gradcam, gradcam\+\+, xgradcam/);
    const layer = unmask(['explain', '--run', '1', '--image', image, '--method', 'xgradcam', '--layer', 'fc1', '--out', out, '--db', db]);
    assert.equal(layer.code, 2);
    assert.match(layer.stderr, /BAD_ARGUMENT.*conv1, pool1, conv2, pool2, conv3, pool3/);
    assert.equal(fs.existsSync(out), false);
  });
});
