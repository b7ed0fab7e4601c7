// balancedOrder: every batch half real, half fake; the larger class once per epoch; the smaller one without early repeats.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { balancedLength, balancedOrder } from './balanced-order.js';
import { rngFrom } from './rng.js';

const count = (xs: readonly number[], v: number): number => xs.filter((x) => x === v).length;

describe('balancedOrder', () => {
  const labels = [0, 0, 1, 0, 0, 0, 1, 0, 0, 1]; // 7 real, 3 fake
  const order = balancedOrder(labels, rngFrom(4, 0));
  const classes = order.map((i) => labels[i]!);

  it('is twice the larger class long and alternates the classes, so every batch is balanced', () => {
    assert.equal(order.length, 14);
    assert.equal(balancedLength(labels), 14);
    for (const b of [2, 4, 5, 7]) {
      for (let start = 0; start + b <= order.length; start += b) {
        const fakes = count(classes.slice(start, start + b), 1);
        assert.ok(fakes === Math.floor(b / 2) || fakes === Math.ceil(b / 2), `batch of ${b} at ${start}: ${fakes} fakes`);
      }
    }
  });

  it('visits every real image once and repeats a fake only after all fakes were seen', () => {
    const reals = order.filter((i) => labels[i] === 0);
    assert.deepEqual(
      [...reals].sort((a, b) => a - b),
      [0, 1, 3, 4, 5, 7, 8],
    );
    const fakes = order.filter((i) => labels[i] === 1);
    assert.equal(fakes.length, 7);
    for (let start = 0; start + 3 <= fakes.length; start += 3) assert.deepEqual([...fakes.slice(start, start + 3)].sort(), [2, 6, 9]);
  });

  it('is reproducible from its seed and changes with it', () => {
    assert.deepEqual(balancedOrder(labels, rngFrom(4, 0)), order);
    assert.notDeepEqual(balancedOrder(labels, rngFrom(4, 1)), order);
  });

  it('is a plain shuffle when one class is missing', () => {
    const one = balancedOrder([1, 1, 1, 1], rngFrom(1));
    assert.deepEqual([...one].sort(), [0, 1, 2, 3]);
    assert.equal(balancedLength([1, 1, 1, 1]), 4);
  });
});
