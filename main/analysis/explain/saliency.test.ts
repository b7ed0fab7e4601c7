// Gradient saliency against central finite differences; SmoothGrad's seeding, limits and ranges.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../engine/select.js';
import { saliency, smoothGrad } from './saliency.js';
import { assertClose, dense, setWeights, values } from './test-fixtures.js';

/** input 5×5×3 → `c1` conv 3×3 same (4, tanh) → `c2` conv 3×3 valid (3, tanh) → global average pool → dense 2: smooth everywhere. */
function smoothModel(): tf.LayersModel {
  const input = tf.input({ shape: [5, 5, 3] });
  let h = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'tanh', name: 'c1' }).apply(input) as tf.SymbolicTensor;
  h = tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'tanh', name: 'c2' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: dense(2, 'out').apply(h) as tf.SymbolicTensor });
  setWeights(model, {
    'c1/kernel': values(3 * 3 * 3 * 4, 21, 0.5),
    'c1/bias': values(4, 22, 0.1),
    'c2/kernel': values(3 * 3 * 4 * 3, 23, 0.5),
    'c2/bias': values(3, 24, 0.1),
    'out/kernel': values(6, 25, 2),
    'out/bias': [0.1, -0.1],
  });
  return model;
}

describe('saliency', () => {
  before(async () => {
    await initEngine({ requested: 'wasm' });
  });

  it('equals max over channels of |central finite-difference gradient| of the target logit', () => {
    const model = smoothModel();
    const n = 5 * 5 * 3;
    const data = values(2 * n, 26, 1.5);
    const targets = [1, 0];
    const x = tf.tensor4d(data, [2, 5, 5, 3]);
    const r = saliency(model, x, targets);
    const score = (d: Float32Array): number[] =>
      tf.tidy(() => {
        const logits = (model.predict(tf.tensor4d(d, [2, 5, 5, 3])) as tf.Tensor2D).arraySync();
        return targets.map((t, b) => logits[b]![t]!);
      });
    const eps = 1e-2;
    const fd = new Float32Array(2 * n);
    for (let e = 0; e < n; e++) {
      // Perturbing the same element of both images at once: images do not interact in inference mode.
      const plus = data.slice();
      const minus = data.slice();
      for (const b of [0, 1]) {
        plus[b * n + e]! += eps;
        minus[b * n + e]! -= eps;
      }
      const [sp, sm] = [score(plus), score(minus)];
      for (const b of [0, 1]) fd[b * n + e] = (sp[b]! - sm[b]!) / (2 * eps);
    }
    const expected = Array.from({ length: 2 * 25 }, (_, p) => Math.max(...[0, 1, 2].map((c) => Math.abs(fd[p * 3 + c]!))));
    const raw = r.raw.dataSync();
    const scale = Math.max(...expected);
    assert.ok(scale > 1e-3, 'the fixture should have non-trivial gradients');
    for (let p = 0; p < expected.length; p++) assert.ok(Math.abs(raw[p]! - expected[p]!) <= 1e-2 * scale, `pixel ${p}: ${raw[p]} vs ${expected[p]}`);
    assert.deepEqual(r.raw.shape, [2, 5, 5]);
    assert.deepEqual(r.targets, targets);
    assertClose(r.map.dataSync(), normaliseEach(expected, 25), 2e-2, 'normalised map');
    tf.dispose([x, r.raw, r.map, r.logits]);
    model.dispose();
  });

  it('explains the predicted class by default', () => {
    const model = smoothModel();
    const x = tf.tensor4d(values(3 * 75, 27, 2), [3, 5, 5, 3]);
    const r = saliency(model, x);
    const predicted = Array.from(tf.tidy(() => tf.argMax(model.predict(x) as tf.Tensor2D, 1)).dataSync());
    assert.deepEqual(r.targets, predicted);
    tf.dispose([x, r.raw, r.map, r.logits]);
    model.dispose();
  });
});

function normaliseEach(v: number[], size: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < v.length; i += size) {
    const m = v.slice(i, i + size);
    const [min, max] = [Math.min(...m), Math.max(...m)];
    out.push(...m.map((x) => (max > min ? (x - min) / (max - min) : 0)));
  }
  return out;
}

describe('SmoothGrad', () => {
  before(async () => {
    await initEngine({ requested: 'wasm' });
  });

  it('is seeded, equals saliency without noise, and averages saliency over noisy copies', () => {
    const model = smoothModel();
    const x = tf.tensor4d(values(2 * 75, 28, 1.5), [2, 5, 5, 3]);
    const run = (options: Parameters<typeof smoothGrad>[2]) => {
      const r = smoothGrad(model, x, options);
      const out = { raw: Array.from(r.raw.dataSync()), map: Array.from(r.map.dataSync()), targets: r.targets };
      tf.dispose([r.raw, r.map, r.logits]);
      return out;
    };
    const plain = saliency(model, x);
    const plainRaw = Array.from(plain.raw.dataSync());
    assertClose(run({ noise: 0, samples: 3 }).raw, plainRaw, 1e-5, 'noise 0');
    const a = run({ seed: 1, samples: 4 });
    assert.deepEqual(run({ seed: 1, samples: 4 }), a);
    const b = run({ seed: 2, samples: 4 });
    assert.notDeepEqual(a.raw, b.raw);
    assert.ok(
      a.raw.some((v, i) => Math.abs(v - plainRaw[i]!) > 1e-4),
      'noise should change the map',
    );
    assert.deepEqual(a.targets, plain.targets);
    assert.ok(a.map.every((v) => v >= 0 && v <= 1));
    // The mean of single-sample maps with the same per-sample noise seeds is the multi-sample map.
    const byHand = new Float64Array(plainRaw.length);
    for (let s = 0; s < 4; s++) {
      const noisy = tf.tidy(() => {
        const sigma = tf.mul(tf.sub(tf.max(x, [1, 2, 3], true), tf.min(x, [1, 2, 3], true)), 0.15);
        return tf.add(x, tf.mul(tf.randomNormal(x.shape, 0, 1, 'float32', 1 * 1_000_003 + s), sigma)) as tf.Tensor4D;
      });
      const r = saliency(model, noisy, plain.targets);
      r.raw.dataSync().forEach((v, i) => (byHand[i]! += v / 4));
      tf.dispose([noisy, r.raw, r.map, r.logits]);
    }
    assertClose(a.raw, byHand, 1e-5, 'mean of noisy saliency');
    tf.dispose([x, plain.raw, plain.map, plain.logits]);
    model.dispose();
  });
});
