// Bootstrap AUC interval: coverage of the point estimate, determinism, width shrinking with data, degenerate rankings.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bootstrapAucInterval, mulberry32, quantileSorted, rocAuc } from './metrics.js';

/** Synthetic detector scores: real ~ N(0, 1), fake ~ N(1, 1), seeded (Box-Muller over mulberry32). */
function synthetic(n: number, seed: number): { labels: number[]; scores: number[] } {
  const random = mulberry32(seed);
  const labels: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = i % 2;
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    labels.push(y);
    scores.push(Math.round((z + y) * 100) / 100);
  }
  return { labels, scores };
}

describe('bootstrapAucInterval', () => {
  const small = synthetic(80, 1);
  const large = synthetic(4000, 2);

  it('contains the point AUC and lies in [0, 1]', () => {
    for (const { labels, scores } of [small, large]) {
      const auc = rocAuc(labels, scores);
      const { low, high } = bootstrapAucInterval(labels, scores, { samples: 500, seed: 3 });
      assert.ok(low >= 0 && low < auc && auc < high && high <= 1, `${low} < ${auc} < ${high}`);
    }
  });

  it('is reproducible for a seed and varies with it', () => {
    const a = bootstrapAucInterval(small.labels, small.scores, { samples: 300, seed: 42 });
    const b = bootstrapAucInterval(small.labels, small.scores, { samples: 300, seed: 42 });
    const c = bootstrapAucInterval(small.labels, small.scores, { samples: 300, seed: 43 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('is narrower with more data and wider at a higher level', () => {
    const width = ({ low, high }: { low: number; high: number }): number => high - low;
    const w80 = width(bootstrapAucInterval(small.labels, small.scores, { seed: 5 }));
    const w4000 = width(bootstrapAucInterval(large.labels, large.scores, { seed: 5 }));
    assert.ok(w4000 < w80 / 3, `width ${w4000} (n=4000) vs ${w80} (n=80)`);
    const w99 = width(bootstrapAucInterval(small.labels, small.scores, { seed: 5, level: 0.99 }));
    assert.ok(w99 > w80);
  });

  it('stratified replicates keep both classes: perfect, inverted and tied rankings give degenerate intervals', () => {
    assert.deepEqual(bootstrapAucInterval([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], { samples: 200 }), { low: 1, high: 1 });
    assert.deepEqual(bootstrapAucInterval([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1], { samples: 200 }), { low: 0, high: 0 });
    assert.deepEqual(bootstrapAucInterval([0, 1, 1], [0.5, 0.5, 0.5], { samples: 200 }), { low: 0.5, high: 0.5 });
  });

  it('refuses bad options', () => {
    for (const options of [{ samples: 0 }, { samples: 2.5 }, { level: 1 }, { level: 0 }, { seed: NaN }]) {
      assert.throws(() => bootstrapAucInterval([0, 1], [0.1, 0.9], options), { code: 'BAD_ARGUMENT' });
    }
  });

  it('helpers: mulberry32 is deterministic in [0, 1); quantiles interpolate like numpy', () => {
    const r1 = mulberry32(7);
    const r2 = mulberry32(7);
    for (let i = 0; i < 1000; i++) {
      const v = r1();
      assert.equal(v, r2());
      assert.ok(v >= 0 && v < 1);
    }
    assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5); // numpy.quantile([1,2,3,4], 0.5)
    assert.equal(quantileSorted([1, 2, 3, 4], 0.025), 1.075);
    assert.equal(quantileSorted([5], 0.975), 5);
  });
});
