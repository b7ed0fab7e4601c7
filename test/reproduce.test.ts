// `unmask reproduce --quick` end to end: trains, scores and draws the whole study on small subsets.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sharedData } from '../main/data/fixtures.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-study-test-'));
after(() => fs.rmSync(out, { recursive: true, force: true }));

describe('unmask reproduce --quick', () => {
  it('writes every figure and a summary with measured numbers, and lists what it skipped', () => {
    const r = spawnSync(process.execPath, ['bin/unmask.js', 'reproduce', '--quick', '--data-root', sharedData, '--out', out], {
      cwd: root,
      // An empty weights cache: Keras's ImageNet Xception weights are then missing, as on any offline machine.
      env: { ...process.env, UNMASK_ENGINE: 'wasm', UNMASK_WEIGHTS_DIR: path.join(out, 'no-weights') },
      encoding: 'utf8',
      timeout: 600_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { runs: { key: string }[]; written: string[]; skipped: { step: string }[] };
    assert.deepEqual(
      result.runs.map((run) => run.key),
      ['simplenet-fakes', 'simplenet-synthetic', 'mobilenet-synthetic', 'bonus-fakes'],
    );
    for (const file of [
      'loss.png',
      'accuracy.svg',
      'roc-1.png',
      'det-2.svg',
      'confusion-1.png',
      'histogram-2.png',
      'samples-fakes_dataset.png',
      'explain-1.png',
      'explain-2.png',
      'roc-3.png',
      'explain-3.png',
      'roc-4.png',
      'explain-4.png',
      'frontier.svg',
      'frontier.png',
      'summary.md',
    ]) {
      assert.ok(result.written.includes(file), `${file} not listed`);
      assert.ok(fs.statSync(path.join(out, file)).size > 0, `${file} empty`);
    }
    // The study says why the Xception fine-tune cannot run instead of faking it.
    assert.ok(result.skipped.some((s) => s.step.startsWith('xception-synthetic')));
    const summary = fs.readFileSync(path.join(out, 'summary.md'), 'utf8');
    assert.match(summary, /\| fakes_dataset \| train \| 12 \| 12 \| 1\.000 \|/);
    assert.match(summary, /\| 1 \| SimpleNet \| fakes_dataset \| 16,901,762 \| 1 \|/);
    assert.match(summary, /\| 3 \| MobileNetBased \| synthetic_dataset \| 11,018,394 \| 1 \|/);
    assert.match(summary, /\| 4 \| Bonus \| fakes_dataset \| 56,098 \| 1 \|/);
    // Every detector on the other dataset's test split too: the cross-dataset matrix, own test split in bold.
    for (const file of ['matrix.svg', 'matrix.png', 'matrix.csv']) assert.ok(result.written.includes(file), `${file} not listed`);
    assert.match(summary, /## Cross-dataset generalisation/);
    assert.match(summary, /\| run \| study step \| model \| trained on \| fakes_dataset \(test\) \| synthetic_dataset \(test\) \|/);
    const auc = '\\d\\.\\d{3} \\(\\d\\.\\d{3}–\\d\\.\\d{3}\\)';
    assert.match(summary, new RegExp(`\\| 1 \\| simplenet-fakes \\| SimpleNet \\| fakes_dataset \\| \\*\\*${auc}\\*\\* \\| ${auc} \\|`));
    assert.match(summary, new RegExp(`\\| 3 \\| mobilenet-synthetic \\| MobileNetBased \\| synthetic_dataset \\| ${auc} \\| \\*\\*${auc}\\*\\* \\|`));
    assert.equal(fs.readFileSync(path.join(out, 'matrix.csv'), 'utf8').trim().split('\n').length, 1 + 4);
    assert.match(summary, /## Skipped/);
    assert.match(
      summary,
      /## The course assignment's Xception step \(Q25\)\n\nNot run: Keras's ImageNet Xception weights are neither given \(--xception-weights FILE/,
    );
    assert.ok(result.written.includes('self-blended-pseudo-fakes.png'));
  });

  it('with --xception-weights, runs the Xception step and the best detectors and sets them beside the baseline', () => {
    const weights = path.resolve(root, '../shared/weights/keras_xception_imagenet_notop/xception_weights_tf_dim_ordering_tf_kernels_notop.h5');
    const out2 = path.join(out, 'with-weights');
    const r = spawnSync(process.execPath, ['bin/unmask.js', 'reproduce', '--quick', '--data-root', sharedData, '--out', out2, '--xception-weights', weights], {
      cwd: root,
      // The machine's own engine (native when set up): two Xception trunks per image take minutes on wasm.
      env: { ...process.env, UNMASK_ENGINE: 'auto', UNMASK_WEIGHTS_DIR: path.join(out, 'no-weights') },
      encoding: 'utf8',
      timeout: 900_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { runs: { key: string }[]; skipped: { step: string }[] };
    assert.ok(result.runs.some((run) => run.key === 'xception-synthetic'));
    assert.ok(result.runs.some((run) => run.key.startsWith('best-')));
    assert.ok(!result.skipped.some((s) => s.step.startsWith('xception-synthetic')));
    const summary = fs.readFileSync(path.join(out2, 'summary.md'), 'utf8');
    assert.match(
      summary,
      /XceptionBased from Keras's ImageNet weights on synthetic_dataset \(Adam, lr 0\.001, batch 32, 1 epoch\(s\)\): \*\*test accuracy \d+\.\d\d %\*\* at the best validation epoch \(1\), \*\*test AUC \d\.\d{3}\*\*/,
    );
    assert.match(summary, /## The baseline recipe and the best one, side by side/);
    assert.match(
      summary,
      /\| fakes_dataset \| \*\*best\*\* \| XceptionParts \| AdamW lr 0\.0001, 1 epochs, --weight-decay 0\.5 --schedule cosine --select-by auc --tta-flip --train-views mirror \|/,
    );
    assert.match(
      summary,
      /\| synthetic_dataset \| \*\*best\*\* \| XceptionStats \| closed-form ridge head, 1 epochs, --head-fit ridge --select-by auc \| \d\.\d{3}/,
    );
    assert.match(summary, /\| fakes_dataset \| baseline \| SimpleNet \|/);
  });
});
