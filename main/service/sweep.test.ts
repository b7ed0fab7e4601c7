// Sweeps: the grid's combinations, in order, and its id.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandSweep, newSweepId } from './sweep.js';

describe('expandSweep', () => {
  it('makes every combination, models slowest, and keeps the shared fields', () => {
    const runs = expandSweep({ base: { dataset: '/d', epochs: 2 }, grid: { model: ['SimpleNet', 'MobileNetBased'], lr: [0.001, 0.0001] } });
    assert.deepEqual(
      runs.map((r) => `${r.model}@${r.lr}`),
      ['SimpleNet@0.001', 'SimpleNet@0.0001', 'MobileNetBased@0.001', 'MobileNetBased@0.0001'],
    );
    assert.ok(runs.every((r) => r.dataset === '/d' && r.epochs === 2));
    assert.equal(expandSweep({ base: { dataset: '/d' }, grid: { model: ['SimpleNet', 'SimpleNet'], seed: [1, 2, 3] } }).length, 3, 'repeated values once');
  });

  it('names a sweep by its start time', () => {
    assert.match(newSweepId(new Date('2026-12-01T09:34:57.123Z')), /^sweep-20261201-093457-[0-9a-f]{4}$/);
  });
});
