// The fused optimizers on the native engine (moments kept in this process) follow PyTorch's update rules and checkpoint exactly.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadNativeEngine, skipWithoutNative } from '../../test/helpers/native-engine.js';
import { FusedOptimizer, type OptimizerConfig } from './optimizers.js';
import { configs, grads, reference, w0 } from '../../test/helpers/optimizer-reference.js';

let native = false;

const close = (actual: ArrayLike<number>, expected: number[], what: string): void =>
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) <= 1e-6 * Math.max(1, Math.abs(e)), `${what} w[${i}] ${actual[i]} vs ${e}`));

/** Steps through `grads`; with `resumeAfter`, saves the state there and continues in a fresh optimizer. */
function run(config: OptimizerConfig, resumeAfter?: number): Float32Array {
  const variable = tf.variable(tf.tensor1d(w0), true, `w_native_${config.name}_${resumeAfter}`);
  let optimizer = new FusedOptimizer(config);
  grads.forEach((g, i) => {
    const grad = tf.tensor1d(g);
    optimizer.applyGradients([variable], { [variable.name]: grad });
    grad.dispose();
    if (i + 1 === resumeAfter) {
      const saved = optimizer.getState();
      const copy = { step: saved.step, slots: Object.fromEntries(Object.entries(saved.slots).map(([k, ts]) => [k, ts.map((t) => t.clone())])) };
      optimizer.dispose();
      optimizer = new FusedOptimizer(config);
      optimizer.setState(copy, [variable]);
      tf.dispose(Object.values(copy.slots).flat());
    }
  });
  const result = variable.dataSync() as Float32Array;
  optimizer.dispose();
  variable.dispose();
  return result;
}

describe('FusedOptimizer on the native engine', () => {
  before(async () => {
    native = await loadNativeEngine();
  });

  for (const config of configs) {
    it(`${config.name} matches PyTorch's update rule over 3 steps, straight and resumed from a checkpoint`, (t) => {
      if (skipWithoutNative(t, native)) return;
      const expected = reference(config, w0, grads);
      close(run(config), expected, config.name);
      close(run(config, 1), expected, `${config.name} resumed after step 1`);
      close(run(config, 2), expected, `${config.name} resumed after step 2`);
    });
  }

  it('a checkpoint taken mid-run keeps its values while training goes on', (t) => {
    if (skipWithoutNative(t, native)) return;
    const variable = tf.variable(tf.tensor1d([1, 2]));
    const optimizer = new FusedOptimizer({ name: 'Adam', lr: 0.1 });
    const step = (g: number[]): void => {
      const grad = tf.tensor1d(g);
      optimizer.applyGradients([variable], { [variable.name]: grad });
      grad.dispose();
    };
    step([1, -1]);
    const first = optimizer.getState().slots[variable.name]!.map((s) => Array.from(s.dataSync()));
    const held = optimizer.getState().slots[variable.name]!;
    step([3, 3]);
    // m after one step of g = [1, −1]: (1 − 0.9)·g.
    assert.deepEqual(
      first[0]!.map((x) => Math.round(x * 1e6) / 1e6),
      [0.1, -0.1],
    );
    assert.deepEqual(Array.from(held[0]!.dataSync()), first[0]);
    optimizer.dispose();
    variable.dispose();
  });

  it('a tensor that held the weight keeps its values after the next step, and a weight assigned from outside is read again', (t) => {
    if (skipWithoutNative(t, native)) return;
    // 2¹⁶ weights: a buffer this large is page-aligned, the case where TensorFlow would share the host's memory.
    const n = 65_536;
    const variable = tf.variable(tf.fill([n], 1));
    const optimizer = new FusedOptimizer({ name: 'Adam', lr: 0.1 });
    const step = (g: number): void => {
      const grad = tf.fill([n], g);
      optimizer.applyGradients([variable], { [variable.name]: grad });
      grad.dispose();
    };
    step(1);
    const held = tf.clone(variable);
    step(3);
    // Adam's first step moves every weight by lr against its gradient's sign; the second by PyTorch's rule, with
    // the betas as TensorFlow's kernel reads them (float32: 1 − β₂ is 0.00099998713).
    const [r1, r2] = [1 - Math.fround(0.9), 1 - Math.fround(0.999)];
    const [m, v] = [(1 - r1) * r1 + r1 * 3, (1 - r2) * r2 + r2 * 9];
    const second = 0.9 - (0.1 * (m / (1 - 0.9 ** 2))) / (Math.sqrt(v / (1 - 0.999 ** 2)) + 1e-8);
    close(held.dataSync().subarray(n - 2), [0.9, 0.9], 'held after step 1');
    close(variable.dataSync().subarray(n - 2), [second, second], 'after step 2');
    // Restoring a weight (as a checkpoint load does) between steps: the next step starts from it.
    variable.assign(tf.fill([n], 5));
    step(1);
    const [first, last] = [variable.dataSync()[0]!, variable.dataSync()[n - 1]!];
    assert.ok(first > 4.5 && first < 5 && last === first, `step from the restored weight: ${first}, ${last}`);
    tf.dispose([held, variable]);
    optimizer.dispose();
  });
});
