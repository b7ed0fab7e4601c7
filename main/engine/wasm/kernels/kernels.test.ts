// Parity of the added wasm training kernels with tfjs's reference `cpu` kernels on random shapes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initWasmBackend } from '../threads.js';
import {
  assertClose as assertGradientsClose,
  BATCH_NORM_INPUTS,
  BATCH_NORM_SHAPES,
  batchNormGrads,
  convCases,
  convGrads,
  REL_TOLERANCE,
} from '../../../../test/helpers/gradient-parity.js';

type Pad = 'valid' | 'same' | [[0, 0], [number, number], [number, number], [0, 0]];

interface Case {
  n: number;
  h: number;
  w: number;
  cin: number;
  k: [number, number];
  cout: number; // output channels (conv) or channel multiplier (depthwise)
  stride: [number, number];
  dilation: [number, number];
  pad: Pad;
}

/** Seeded LCG so a failing case can be reproduced from the printed seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function randomCase(seed: number, depthwise: boolean): Case {
  const r = random(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const strided = r() < 0.5;
  const dilated = depthwise && !strided && r() < 0.6;
  const s = strided ? int(2, 3) : 1;
  const d = dilated ? 2 : 1;
  const pads: Pad[] = [
    'valid',
    'same',
    [
      [0, 0],
      [int(0, 2), int(0, 2)],
      [int(0, 2), int(0, 2)],
      [0, 0],
    ],
  ];
  return {
    n: int(1, 3),
    h: int(7, 17),
    w: int(7, 17),
    cin: int(1, 5),
    k: [int(1, 4), int(1, 4)],
    cout: depthwise ? int(1, 3) : int(1, 6),
    stride: [s, strided ? int(1, 3) : 1],
    dilation: [d, d],
    pad: pads[int(0, 2)]!,
  };
}

function onBackend(name: string, f: () => tf.Tensor): Float32Array {
  tf.setBackend(name);
  return tf.tidy(f).dataSync() as Float32Array;
}

let worstAbs = 0;

function assertClose(actual: Float32Array, expected: Float32Array, label: string): number {
  assert.equal(actual.length, expected.length, `${label}: length`);
  let scale = 1e-6;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let maxErr = 0;
  for (let i = 0; i < expected.length; i++) maxErr = Math.max(maxErr, Math.abs(actual[i]! - expected[i]!));
  assert.ok(maxErr <= REL_TOLERANCE * scale, `${label}: max abs error ${maxErr} > ${REL_TOLERANCE} × ${scale}`);
  worstAbs = Math.max(worstAbs, maxErr);
  return maxErr / scale;
}

function shapes(c: Case, depthwise: boolean) {
  const xShape: [number, number, number, number] = [c.n, c.h, c.w, c.cin];
  const filterShape: [number, number, number, number] = [c.k[0], c.k[1], c.cin, c.cout];
  const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, c.stride, c.dilation, c.pad, undefined, depthwise);
  return { xShape, filterShape, dyShape: info.outShape };
}

describe('wasm training kernels match the cpu backend', () => {
  before(async () => {
    await initWasmBackend(2);
  });

  const counts = { conv: 40, depthwise: 40 };
  let worst = 0;
  after(() => {
    console.log(`# worst max-abs error over all kernel cases: ${worstAbs.toExponential(2)} (relative to max |reference|: ${worst.toExponential(2)})`);
  });

  it('Conv2DBackpropFilter and Conv2DBackpropInput (stride 1–3, valid/same/explicit, batch 1–3)', () => {
    for (let seed = 1; seed <= counts.conv; seed++) {
      const c = randomCase(seed, false);
      const { xShape, filterShape, dyShape } = shapes(c, false);
      if (dyShape.some((v) => v <= 0)) continue;
      const x = tf.randomNormal(xShape, 0, 1, 'float32', seed);
      const dy = tf.randomNormal(dyShape, 0, 1, 'float32', seed + 1000);
      const filter = tf.randomNormal(filterShape, 0, 1, 'float32', seed + 2000);
      const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC' };
      const dw = (): tf.Tensor => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape } as never) as tf.Tensor;
      const dx = (): tf.Tensor => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: xShape } as never) as tf.Tensor;
      const label = `seed ${seed} ${JSON.stringify(c)}`;
      worst = Math.max(worst, assertClose(onBackend('wasm', dw), onBackend('cpu', dw), `dW ${label}`));
      worst = Math.max(worst, assertClose(onBackend('wasm', dx), onBackend('cpu', dx), `dx ${label}`));
      tf.dispose([x, dy, filter]);
    }
  });

  it('DepthwiseConv2dNativeBackpropInput/Filter (stride, dilation 2, multiplier 1–3, valid/same/explicit)', () => {
    for (let seed = 101; seed <= 100 + counts.depthwise; seed++) {
      const c = randomCase(seed, true);
      const { xShape, filterShape, dyShape } = shapes(c, true);
      if (dyShape.some((v) => v <= 0)) continue;
      const x = tf.randomNormal(xShape, 0, 1, 'float32', seed);
      const dy = tf.randomNormal(dyShape, 0, 1, 'float32', seed + 1000);
      const filter = tf.randomNormal(filterShape, 0, 1, 'float32', seed + 2000);
      const attrs = { strides: c.stride, dilations: c.dilation, pad: c.pad };
      const dw = (): tf.Tensor => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape } as never) as tf.Tensor;
      const dx = (): tf.Tensor =>
        tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter }, { ...attrs, inputShape: xShape } as never) as tf.Tensor;
      const label = `seed ${seed} ${JSON.stringify(c)}`;
      worst = Math.max(worst, assertClose(onBackend('wasm', dw), onBackend('cpu', dw), `dW ${label}`));
      worst = Math.max(worst, assertClose(onBackend('wasm', dx), onBackend('cpu', dx), `dx ${label}`));
      tf.dispose([x, dy, filter]);
    }
  });

  it('BatchMatMul with transposed operands (rank 2 and 3, both plans)', () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[5, 7], [5, 3], true, false], // xᵀ·dy, direct plan
      [[4, 6], [9, 6], false, true], // dy·Wᵀ, flipped plan (W larger)
      [[3, 8], [5, 3], true, true],
      [[2, 4, 6], [2, 5, 6], false, true],
      [[2, 6, 4], [2, 6, 5], true, false],
      [[37, 130], [37, 1200], true, false],
      [[37, 130], [1200, 130], false, true],
    ];
    for (const [aShape, bShape, transposeA, transposeB] of cases) {
      const a = tf.randomNormal(aShape, 0, 1, 'float32', 1);
      const b = tf.randomNormal(bShape, 0, 1, 'float32', 2);
      const f = (): tf.Tensor => tf.matMul(a, b, transposeA, transposeB);
      worst = Math.max(worst, assertClose(onBackend('wasm', f), onBackend('cpu', f), `matMul ${aShape} ${bShape} ${transposeA} ${transposeB}`));
      tf.dispose([a, b]);
    }
  });

  it('BatchMatMul of untransposed operands: a right operand met for the first time (flipped) and again (packed)', () => {
    const cases: [number[], number[]][] = [
      [
        [3, 40],
        [40, 200],
      ],
      [
        [32, 300],
        [300, 64],
      ],
      [
        [2, 3, 40],
        [2, 40, 200],
      ], // batched: never flipped
    ];
    for (const [aShape, bShape] of cases) {
      const a = tf.randomNormal(aShape, 0, 1, 'float32', 3);
      const b = tf.randomNormal(bShape, 0, 1, 'float32', 4);
      const f = (): tf.Tensor => tf.matMul(a, b);
      const want = onBackend('cpu', f);
      worst = Math.max(worst, assertClose(onBackend('wasm', f), want, `matMul ${aShape} ${bShape}, first`));
      worst = Math.max(worst, assertClose(onBackend('wasm', f), want, `matMul ${aShape} ${bShape}, again`));
      tf.dispose([a, b]);
    }
  });

  it('MaxPoolGrad (pool 2–3, stride 1–3, valid/same, ties from ReLU zeros)', () => {
    for (let seed = 201; seed <= 230; seed++) {
      const r = random(seed);
      const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
      const shape: [number, number, number, number] = [int(1, 3), int(5, 13), int(5, 13), int(1, 4)];
      const pool = int(2, 3);
      const stride = int(1, 3);
      const pad = r() < 0.5 ? 'valid' : 'same';
      // ReLU makes many exact zeros, so windows often hold tied maxima.
      const x = tf.relu(tf.randomNormal(shape, 0, 1, 'float32', seed));
      const loss = (t: tf.Tensor): tf.Tensor =>
        tf.sum(
          tf.mul(
            tf.maxPool(t as tf.Tensor4D, pool, stride, pad),
            tf.randomNormal(tf.maxPool(t as tf.Tensor4D, pool, stride, pad).shape, 0, 1, 'float32', seed),
          ),
        );
      const f = (): tf.Tensor => tf.grad(loss)(x);
      worst = Math.max(worst, assertClose(onBackend('wasm', f), onBackend('cpu', f), `maxPoolGrad seed ${seed}`));
      x.dispose();
    }
  });

  it("Sum over the leading axes of NHWC tensors (pooled), and every other reduction (the backend's own)", () => {
    const cases: [number[], number[], boolean][] = [
      [[3, 7, 5, 4], [0, 1, 2], false],
      [[2, 9, 11, 6], [2, 0, 1], true],
      [[4, 1, 3, 2], [-4, -3, -2], false],
      [[2, 1, 1, 5], [0, 1, 2], false], // one value per image: the backend's kernel
      [[3, 7, 5, 4], [1, 2], false],
      [[6, 5], [0], false],
    ];
    for (const [shape, axis, keepDims] of cases) {
      const x = tf.add(tf.randomNormal(shape, 0, 1, 'float32', 9), 0.5);
      const f = (): tf.Tensor => tf.sum(x, axis, keepDims);
      const got = onBackend('wasm', f);
      worst = Math.max(worst, assertClose(got, onBackend('cpu', f), `sum ${shape} over ${axis}`));
      tf.setBackend('wasm');
      assert.deepEqual(tf.tidy(f).shape, tf.sum(tf.zeros(shape), axis, keepDims).shape);
      x.dispose();
    }
  });

  it('Relu and Relu6 gradients match tfjs, exact 0 and 6 included', () => {
    const x = tf.concat([tf.tensor1d([-1, 0, 3, 6, 7, Number.POSITIVE_INFINITY]), tf.mul(tf.randomNormal([500], 0, 1, 'float32', 7), 5)]);
    const dy = tf.randomNormal(x.shape, 0, 1, 'float32', 8);
    for (const act of [tf.relu, tf.relu6]) {
      const f = (): tf.Tensor => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(act(t), dy)))(x);
      worst = Math.max(worst, assertClose(onBackend('wasm', f), onBackend('cpu', f), `${act.name} gradient`));
    }
    tf.dispose([x, dy]);
  });

  it("convolution gradients (1×1 as matrix products, layer-gradients.ts) match tfjs's on the cpu backend", () => {
    for (const c of convCases) assertGradientsClose(convGrads('wasm', c), convGrads('cpu', c), c.name);
  });

  it("batch normalisation with fixed statistics matches tfjs's gradients on the cpu backend for every input", () => {
    for (const shape of BATCH_NORM_SHAPES) {
      const got = batchNormGrads('wasm', shape);
      const want = batchNormGrads('cpu', shape);
      BATCH_NORM_INPUTS.forEach((name, i) => assertGradientsClose(got[i]!, want[i]!, `${shape.join('×')} d/d${name}`));
    }
  });

  it('frees every intermediate tensor', () => {
    tf.setBackend('wasm');
    const x = tf.randomNormal([2, 12, 12, 3]);
    const filter = tf.randomNormal([3, 3, 3, 4]);
    const dw = tf.randomNormal([3, 3, 3, 2]);
    const before = tf.memory().numTensors;
    const bytesBefore = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    for (let i = 0; i < 5; i++) {
      tf.tidy(() => {
        tf.grad((f: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'same'))))(filter);
        tf.grads((a: tf.Tensor, f: tf.Tensor) => tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, f as tf.Tensor4D, 1, 'same')))([x, dw]);
        tf.grad((a: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, filter as tf.Tensor4D, 1, 'valid')))(x);
        tf.sum(x, [0, 1, 2]);
        tf.grad((a: tf.Tensor) => tf.sum(tf.relu(a)))(x);
      });
    }
    assert.equal(tf.memory().numTensors, before);
    assert.equal((tf.backend() as unknown as { numDataIds(): number }).numDataIds(), bytesBefore);
    tf.dispose([x, filter, dw]);
  });
});
