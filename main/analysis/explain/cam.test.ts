// Grad-CAM, Grad-CAM++ and XGrad-CAM against hand computations, residual graphs, shapes, errors and tensor leaks.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { UnmaskError } from '../../engine/errors.js';
import { initEngine } from '../../engine/select.js';
import { createSimpleNet } from '../../models/simplenet.js';
import { createXceptionBased } from '../../models/xception.js';
import { computeCam, gradCam, gradCamPlusPlus, normaliseMaps, upsampleMaps, xGradCam } from './cam.js';
import { forward, layerGradients } from './graph.js';
import { EXPLAIN_METHODS, explain, explainMethods } from './methods.js';
import { assertClose, camByHand, chainByHand, chainModel, conv1x1, dense, setWeights, values, weightsByHand } from './test-fixtures.js';

const isBadArgument = (pattern: RegExp) => (error: unknown) => error instanceof UnmaskError && error.code === 'BAD_ARGUMENT' && pattern.test(error.message);

/** (m − min) / (max − min), or zeros for a constant map. */
function normaliseByHand(m: number[]): number[] {
  const min = Math.min(...m);
  const range = Math.max(...m) - min;
  return m.map((v) => (range > 0 ? (v - min) / range : 0));
}

describe('CAM methods on a tiny model with known weights', () => {
  before(async () => {
    await initEngine({ requested: 'wasm' });
  });

  const images = [values(16, 1, 1.5), values(16, 2, 1.5)];
  const targets = [1, 0];

  it('layerGradients returns the activations, ∂score/∂A and logits computed by hand', () => {
    const model = chainModel();
    const x = tf.tensor4d([...images[0]!, ...images[1]!], [2, 4, 4, 1]);
    const g = layerGradients(model, x, 'cam', targets);
    const [A, G, logits] = [g.activations.arraySync(), g.grads.arraySync(), g.logits.arraySync()];
    images.forEach((img, b) => {
      const hand = chainByHand(img, targets[b]!);
      assertClose(A[b]!.flat(2), hand.A.flat(), 1e-5, `A[${b}]`);
      assertClose(G[b]!.flat(2), hand.G.flat(), 1e-5, `G[${b}]`);
      assertClose(logits[b]!, hand.logits, 1e-5, `logits[${b}]`);
    });
    assert.deepEqual(g.targets, targets);
    tf.dispose([x, g.activations, g.grads, g.logits]);
    model.dispose();
  });

  for (const [name, weighting] of [
    ['gradcam', gradCam],
    ['gradcam++', gradCamPlusPlus],
    ['xgradcam', xGradCam],
  ] as const) {
    it(`${name}: weights, CAM before upsampling and the normalised map match the hand computation`, () => {
      const model = chainModel();
      const x = tf.tensor4d([...images[0]!, ...images[1]!], [2, 4, 4, 1]);
      const r = computeCam(model, x, weighting, { layer: 'cam', target: targets });
      const [w, lowRes, cam] = [r.weights.arraySync(), r.lowRes.arraySync(), r.cam.arraySync()];
      images.forEach((img, b) => {
        const hand = chainByHand(img, targets[b]!);
        const wHand = weightsByHand(hand.A, hand.G)[name];
        assertClose(w[b]!, wHand, 1e-4, `${name} weights[${b}]`);
        const camHand = camByHand(hand.A, wHand);
        assert.ok(
          camHand.some((v) => v > 0),
          'the fixture should give a non-trivial CAM',
        );
        assertClose(lowRes[b]!.flat(), camHand, 1e-4, `${name} lowRes[${b}]`);
        // Same resolution as the input: upsampling is the identity, then min–max normalisation.
        assertClose(cam[b]!.flat(), normaliseByHand(camHand), 1e-4, `${name} cam[${b}]`);
      });
      tf.dispose([x, r.weights, r.lowRes, r.cam, r.logits]);
      model.dispose();
    });
  }

  it('upsamples bilinearly with half-pixel centres and normalises each map to [0, 1]', () => {
    const low = [1, 2, 3, 4];
    const maps = tf.tensor3d(low, [1, 2, 2]);
    const up = upsampleMaps(maps, 4, 4);
    // Source coordinate (i + 0.5) / 2 − 0.5 = −0.25, 0.25, 0.75, 1.25 → clamped 0, 0.25, 0.75, 1 of the way.
    const t = [0, 0.25, 0.75, 1];
    const expected = t.flatMap((ty) => t.map((tx) => (1 - ty) * ((1 - tx) * 1 + tx * 2) + ty * ((1 - tx) * 3 + tx * 4)));
    assertClose(up.dataSync(), expected, 1e-6, 'upsampled');
    const zero = tf.zeros([1, 3, 3]) as tf.Tensor3D;
    const normalised = normaliseMaps(tf.concat([up, tf.mul(up, -2)]) as tf.Tensor3D);
    assertClose(normalised.dataSync().slice(0, 16), normaliseByHand(expected), 1e-6, 'normalised');
    assert.deepEqual(Array.from(normaliseMaps(zero).dataSync()), Array(9).fill(0));
    tf.dispose([maps, up, zero, normalised]);
  });
});

/**
 * input 4×4×1 → `a` conv 1×1 (2, linear) → `target` conv 1×1 (2, ReLU) → add(target, a) → tanh → global
 * average pool → `logits` dense 2. The shortcut from `a` bypasses `target` and enters after it.
 */
const SKIP = { aK: [0.9, -1.1], aB: [0.2, -0.1], tK: [0.7, 0.3, -0.4, 0.8], tB: [0.1, 0.05], lK: [1.3, -0.8, -0.5, 1.1], lB: [0, 0.1] };

function skipModel(): tf.LayersModel {
  const input = tf.input({ shape: [4, 4, 1], name: 'x' });
  const a = conv1x1(2, 'a', 'linear').apply(input) as tf.SymbolicTensor;
  const t = conv1x1(2, 'target', 'relu').apply(a) as tf.SymbolicTensor;
  let h = tf.layers.add({ name: 'add' }).apply([t, a]) as tf.SymbolicTensor;
  h = tf.layers.activation({ activation: 'tanh', name: 'act' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: dense(2, 'logits').apply(h) as tf.SymbolicTensor, name: 'skip' });
  setWeights(model, {
    'a/kernel': SKIP.aK,
    'a/bias': SKIP.aB,
    'target/kernel': SKIP.tK,
    'target/bias': SKIP.tB,
    'logits/kernel': SKIP.lK,
    'logits/bias': SKIP.lB,
  });
  return model;
}

/** By hand: A = target's output and ∂logit_c/∂A = W[k, c]/16 · (1 − tanh²(A + a)); `withSkip: false` drops the shortcut. */
function skipByHand(x: ArrayLike<number>, c: number, withSkip = true): { A: number[][]; G: number[][] } {
  const a = Array.from({ length: 16 }, (_, p) => [0, 1].map((k) => x[p]! * SKIP.aK[k]! + SKIP.aB[k]!));
  const A = a.map((v) => [0, 1].map((k) => Math.max(0, v[0]! * SKIP.tK[k]! + v[1]! * SKIP.tK[2 + k]! + SKIP.tB[k]!)));
  const G = A.map((v, p) => [0, 1].map((k) => (SKIP.lK[k * 2 + c]! / 16) * (1 - Math.tanh(v[k]! + (withSkip ? a[p]![k]! : 0)) ** 2)));
  return { A, G };
}

describe('graphs with skip connections', () => {
  before(async () => {
    await initEngine({ requested: 'wasm' });
  });

  it('keeps the shortcut that bypasses the CAM layer: gradients and Grad-CAM equal the hand computation', () => {
    const model = skipModel();
    const img = values(16, 3, 1.2);
    const x = tf.tensor4d(img, [1, 4, 4, 1]);
    const predicted = model.predict(x) as tf.Tensor2D;
    const g = layerGradients(model, x, 'target', [1]);
    const hand = skipByHand(img, 1);
    assertClose(g.activations.dataSync(), hand.A.flat(), 1e-5, 'A');
    assertClose(g.grads.dataSync(), hand.G.flat(), 1e-5, 'G');
    assertClose(g.logits.dataSync(), predicted.dataSync(), 1e-6, 'logits vs predict');
    // Dropping the shortcut would give visibly different gradients: the check above is sensitive to it.
    const noSkip = skipByHand(img, 1, false).G.flat();
    assert.ok(noSkip.some((v, i) => Math.abs(v - hand.G.flat()[i]!) > 1e-3));
    const r = computeCam(model, x, gradCam, { layer: 'target', target: 1 });
    assertClose(r.lowRes.dataSync(), camByHand(hand.A, weightsByHand(hand.A, hand.G).gradcam), 1e-5, 'CAM');
    tf.dispose([x, predicted, g.activations, g.grads, g.logits, r.weights, r.lowRes, r.cam, r.logits]);
    model.dispose();
  });

  it('matches a head-only gradient on sequential SimpleNet, and predict() on a residual Xception', () => {
    const net = createSimpleNet({ inputSize: 64, seed: 3 });
    const x = tf.tensor4d(values(2 * 64 * 64 * 3, 4), [2, 64, 64, 3]);
    const g = layerGradients(net, x, 'conv3', 'predicted');
    // SimpleNet is a chain, so the layers after conv3 applied to A are the whole rest of the model.
    const head = ['pool3', 'flatten', 'fc1', 'fc2', 'logits'].map((n) => net.getLayer(n));
    const headGrad = tf.grad((a: tf.Tensor) => {
      const logits = head.reduce((h, layer) => layer.apply(h) as tf.Tensor, a) as tf.Tensor2D;
      return tf.sum(tf.mul(logits, tf.oneHot(tf.tensor1d(g.targets, 'int32'), 2)));
    })(g.activations);
    const scale = Math.max(1e-12, tf.max(tf.abs(headGrad)).dataSync()[0]!);
    assert.ok(tf.max(tf.abs(tf.sub(g.grads, headGrad))).dataSync()[0]! <= 1e-5 * scale);
    tf.dispose([x, g.activations, g.grads, g.logits, headGrad]);
    net.dispose();

    const xc = createXceptionBased({ inputSize: 71, widthDivisor: 32, seed: 5 });
    const xi = tf.tensor4d(values(71 * 71 * 3, 6), [1, 71, 71, 3]);
    const [ours, theirs] = [forward(xc, xi), xc.predict(xi) as tf.Tensor2D];
    assertClose(ours.dataSync(), theirs.dataSync(), 1e-5, 'Xception logits');
    const cam = explain('gradcam', xc, xi, { layer: 'block5_sepconv2_act' });
    assert.deepEqual(cam.heatmap.shape, [1, 71, 71]);
    tf.dispose([xi, ours, theirs, cam.heatmap, cam.raw, cam.logits]);
    xc.dispose();
  });
});

describe('the method registry', () => {
  before(async () => {
    await initEngine({ requested: 'wasm' });
  });

  /** input 8×8×3 → `c1` conv 3×3 stride 2 (4, ReLU) → global average pool → dense 2. */
  function smallModel(): tf.LayersModel {
    const input = tf.input({ shape: [8, 8, 3] });
    const c1 = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'c1' }).apply(input);
    const pooled = tf.layers.globalAveragePooling2d({}).apply(c1 as tf.SymbolicTensor);
    const model = tf.model({ inputs: input, outputs: dense(2, 'out').apply(pooled) as tf.SymbolicTensor, name: 'small' });
    setWeights(model, { 'c1/kernel': values(3 * 3 * 3 * 4, 7), 'c1/bias': values(4, 8, 0.1), 'out/kernel': values(8, 9), 'out/bias': [0, 0] });
    return model;
  }

  it('every method gives [batch, H, W] heatmaps in [0, 1] and the logits of predict()', () => {
    const model = smallModel();
    const x = tf.tensor4d(values(3 * 8 * 8 * 3, 10, 2), [3, 8, 8, 3]);
    const predicted = model.predict(x) as tf.Tensor2D;
    for (const method of EXPLAIN_METHODS) {
      const e = explain(method, model, x, { layer: explainMethods[method].kind === 'cam' ? 'c1' : undefined, samples: 3 });
      assert.deepEqual(e.heatmap.shape, [3, 8, 8], method);
      assert.deepEqual(e.raw.shape, explainMethods[method].kind === 'cam' ? [3, 4, 4] : [3, 8, 8], method);
      const maps = e.heatmap.arraySync();
      for (const map of maps) {
        const flat = map.flat();
        assert.ok(
          flat.every((v) => v >= 0 && v <= 1),
          method,
        );
        const max = Math.max(...flat);
        assert.ok(Math.abs(max - 1) < 1e-6 || max === 0, `${method}: max ${max}`);
      }
      assertClose(e.logits.dataSync(), predicted.dataSync(), 1e-5, `${method} logits`);
      assert.equal(e.layer, explainMethods[method].kind === 'cam' ? 'c1' : null);
      tf.dispose([e.heatmap, e.raw, e.logits]);
    }
    tf.dispose([x, predicted]);
    model.dispose();
  });

  it('rejects unknown methods and layers with BAD_ARGUMENT listing the choices', () => {
    const model = chainModel();
    const x = tf.zeros([1, 4, 4, 1]) as tf.Tensor4D;
    assert.throws(() => explain('lime', model, x), isBadArgument(/saliency, smoothgrad, gradcam, gradcam\+\+, xgradcam/));
    assert.throws(() => explain('gradcam', model, x, { layer: 'logits' }), isBadArgument(/choose one of cam, mix/));
    assert.throws(() => explain('gradcam', model, x, { layer: 'cam', target: 2 }), isBadArgument(/target class 2/));
    x.dispose();
    model.dispose();
  });

  it('leaks no tensors over 100 calls of each method', () => {
    const model = smallModel();
    const x = tf.tensor4d(values(2 * 8 * 8 * 3, 11), [2, 8, 8, 3]);
    const warm = explain('gradcam', model, x, { layer: 'c1' }); // Lets tfjs create any one-off tensors it caches.
    tf.dispose([warm.heatmap, warm.raw, warm.logits]);
    const before = tf.memory().numTensors;
    for (const method of EXPLAIN_METHODS) {
      for (let i = 0; i < 100; i++) {
        const e = explain(method, model, x, { layer: explainMethods[method].kind === 'cam' ? 'c1' : undefined, samples: 2, target: i % 2 });
        tf.dispose([e.heatmap, e.raw, e.logits]);
      }
      assert.equal(tf.memory().numTensors, before, `${method} leaked`);
    }
    x.dispose();
    model.dispose();
  });
});
