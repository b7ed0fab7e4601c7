// The native engine's replacement forward kernels against tfjs's reference `cpu` backend.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadNativeEngine, skipWithoutNative } from '../../../test/helpers/native-engine.js';

let native = false;

/** clipByValue of `values` on one backend. */
function clip(backend: string, values: number[], lo: number, hi: number, dtype: 'float32' | 'int32'): number[] {
  tf.setBackend(backend);
  const x = tf.tensor(values, [values.length], dtype);
  const y = tf.clipByValue(x, lo, hi);
  const out = Array.from(y.dataSync());
  assert.equal(y.dtype, dtype);
  tf.dispose([x, y]);
  return out;
}

describe('native engine kernels', () => {
  before(async () => {
    native = await loadNativeEngine();
  });

  const floats = [-7.5, -1, -0, 0, 1e-7, 0.5, 3, 5.999, 6, 6.001, 12, 1e9];
  for (const [lo, hi] of [
    [0, 6],
    [-1.5, 2.25],
    [3, 3],
  ] as const) {
    it(`clipByValue(x, ${lo}, ${hi}) equals the cpu backend's, float32 and int32`, (t) => {
      if (skipWithoutNative(t, native)) return;
      assert.deepEqual(clip('tensorflow', floats, lo, hi, 'float32'), clip('cpu', floats, lo, hi, 'float32'));
      const ints = [-9, -1, 0, 1, 2, 3, 6, 7, 100];
      assert.deepEqual(clip('tensorflow', ints, lo, hi, 'int32'), clip('cpu', ints, lo, hi, 'int32'));
      tf.setBackend('tensorflow');
    });
  }

  it('clipByValue keeps its gradient: dy where lo ≤ x ≤ hi, else 0', (t) => {
    if (skipWithoutNative(t, native)) return;
    const x = tf.tensor1d([-1, 0, 2, 6, 7]);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.clipByValue(a, 0, 6), tf.tensor1d([1, 2, 3, 4, 5]))))(x);
    assert.deepEqual(Array.from(g.dataSync()), [0, 2, 3, 4, 0]);
    tf.dispose([x, g]);
  });

  it('clipByValue leaks no tensor', (t) => {
    if (skipWithoutNative(t, native)) return;
    const x = tf.tensor1d([-1, 3, 9]);
    const before = tf.memory().numTensors;
    tf.clipByValue(x, 0, 6).dispose();
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
  });
});
