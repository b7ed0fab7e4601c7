// Learning-rate schedules against hand-computed values.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { learningRateAt } from './schedule.js';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

describe('learningRateAt', () => {
  it('warms up linearly, then follows the cosine to zero', () => {
    const c = { schedule: 'cosine' as const, lr: 0.01, epochs: 5, warmupEpochs: 1 };
    close(learningRateAt(c, 0.25), 0.0025);
    close(learningRateAt(c, 1), 0.01);
    close(learningRateAt(c, 3), 0.005); // half-way through the 4 decay epochs: cos(π/2) = 0
    close(learningRateAt(c, 2), 0.005 * (1 + Math.cos(Math.PI / 4)));
    close(learningRateAt(c, 5), 0);
  });

  it('constant with or without warm-up', () => {
    close(learningRateAt({ schedule: 'constant', lr: 0.1, epochs: 3, warmupEpochs: 0 }, 0.01), 0.1);
    close(learningRateAt({ schedule: 'constant', lr: 0.1, epochs: 3, warmupEpochs: 2 }, 1), 0.05);
    close(learningRateAt({ schedule: 'constant', lr: 0.1, epochs: 3, warmupEpochs: 2 }, 2.5), 0.1);
  });
});
