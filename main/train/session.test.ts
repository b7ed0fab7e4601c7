// checkTrainRequest: the defaults a request gets, per model, and what it refuses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnmaskError } from '../engine/errors.js';
import { checkTrainRequest } from './request.js';

describe('checkTrainRequest', () => {
  it("fills the seed's defaults, and a model's own lr and epochs where it has them", () => {
    const simple = checkTrainRequest({ dataset: '/d' });
    assert.deepEqual([simple.model, simple.optimizer, simple.lr, simple.batchSize, simple.epochs, simple.seed], ['SimpleNet', 'Adam', 0.001, 32, 5, 0]);
    const mobile = checkTrainRequest({ dataset: '/d', model: 'MobileNetBased' });
    assert.deepEqual([mobile.lr, mobile.epochs], [0.0001, 10]);
    const asked = checkTrainRequest({ dataset: '/d', model: 'MobileNetBased', lr: 0.001, epochs: 2 });
    assert.deepEqual([asked.lr, asked.epochs], [0.001, 2], 'explicit values win');
  });

  it('refuses unknown models and optimizers and non-positive numbers with BAD_ARGUMENT', () => {
    for (const bad of [{ model: 'Nope' }, { optimizer: 'Nope' }, { lr: 0 }, { batchSize: 1.5 }, { epochs: -1 }, { dataset: '' }]) {
      assert.throws(
        () => checkTrainRequest({ dataset: '/d', ...bad } as never),
        (e: unknown) => e instanceof UnmaskError && e.code === 'BAD_ARGUMENT',
        JSON.stringify(bad),
      );
    }
  });
});
