// The frontier figure: Pareto set on a hand example, log parameter axis, legend and colours, points from a real store.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { RunStore, type ScoreRow } from '../../store/index.js';
import type { EChartsOption } from './echarts.js';
import { formatParams, frontierFigure, frontierPoints, paretoFront, type FrontierPoint } from './frontier.js';
import { runColor } from './style.js';

interface Series {
  type: string;
  name: string;
  data: number[][];
  color?: string;
  step?: string;
}
interface Axis {
  type: string;
  name: string;
  min: number;
  max: number;
  logBase?: number;
  axisLabel?: { formatter?: (v: number) => string };
}

const point = (id: number, params: number, auc: number): FrontierPoint => ({ id, label: `run ${id}`, params, auc });

//  AUC
//  0.80 |                    5
//  0.70 |          3     4(0.70)
//  0.60 |   1         6(0.6)
//  0.55 |   2(0.55)
//       +----------------------------- params: 1 = 2 = 1e4, 3 = 1e5, 6 = 3e5, 4 = 1e6, 5 = 1e7
const hand: FrontierPoint[] = [
  point(1, 1e4, 0.6),
  point(2, 1e4, 0.55), // same size as 1, lower AUC: dominated
  point(3, 1e5, 0.7),
  point(4, 1e6, 0.7), // same AUC as 3, more parameters: dominated
  point(5, 1e7, 0.8),
  point(6, 3e5, 0.6), // bigger than 3 and worse: dominated
  point(7, 1e5, 0.7), // a tie with 3: neither dominates the other
];

describe('paretoFront', () => {
  it('keeps exactly the runs no other run beats on both size and AUC, sorted by size', () => {
    assert.deepEqual(
      paretoFront(hand).map((p) => p.id),
      [1, 3, 7, 5],
    );
    assert.deepEqual(paretoFront([]), []);
    assert.deepEqual(
      paretoFront([point(9, 5, 0.5)]).map((p) => p.id),
      [9],
    );
    // A smaller run with a higher AUC dominates everything.
    assert.deepEqual(
      paretoFront([...hand, point(8, 10, 0.99)]).map((p) => p.id),
      [8],
    );
  });
});

describe('frontierFigure', () => {
  const option: EChartsOption = frontierFigure(hand);
  const series = option.series as Series[];
  const [x, y] = [option.xAxis as Axis, option.yAxis as Axis];

  it('puts parameters on a log axis spanning whole decades and AUC on a value axis including chance', () => {
    assert.deepEqual([x.type, x.logBase, x.min, x.max], ['log', 10, 1e4, 1e7]);
    assert.match(x.name, /parameters.*log/i);
    assert.equal(x.axisLabel?.formatter?.(1e6), '1M');
    assert.equal(y.name, 'Test AUC');
    assert.ok(y.min <= 0.5 && y.max >= 0.8 && y.max <= 1, `${y.min}–${y.max}`);
    const [small] = [frontierFigure([point(1, 56_098, 0.527)]).xAxis as Axis];
    assert.deepEqual([small.min, small.max], [1e4, 1e5]);
  });

  it('draws one dot per run in its stable colour, the Pareto points joined, a chance line, a title and a legend', () => {
    assert.ok((option.title as { text: string }).text.length > 0);
    assert.ok(option.legend);
    const dots = series.filter((s) => s.type === 'scatter');
    assert.deepEqual(
      dots.map((s) => s.data),
      hand.map((p) => [[p.params, p.auc]]),
    );
    dots.forEach((s, i) => assert.equal(s.color, runColor(hand[i]!.id)));
    assert.match(dots[0]!.name, /run 1 \(10k params, AUC 0\.600\)/);
    const front = series.find((s) => s.name.startsWith('Pareto'))!;
    assert.deepEqual(front.data, [
      [1e4, 0.6],
      [1e5, 0.7],
      [1e5, 0.7],
      [1e7, 0.8],
    ]);
    assert.equal(front.step, 'end');
    const chance = series.find((s) => s.name.startsWith('chance'))!;
    assert.deepEqual(
      chance.data.map((d) => d[1]),
      [0.5, 0.5],
    );
  });

  it('draws one Pareto front per test set: AUCs of different test sets are not compared', () => {
    const two = frontierFigure([
      { ...point(1, 1e4, 0.6), dataset: '/data/fakes_dataset' },
      { ...point(2, 1e6, 0.9), dataset: 'C:\\data\\synthetic_dataset' },
      { ...point(3, 1e5, 0.55), dataset: '/data/fakes_dataset' },
    ]);
    const fronts = (two.series as Series[]).filter((s) => s.name.startsWith('Pareto'));
    assert.deepEqual(
      fronts.map((s) => [s.name.split(' (')[0], s.data]),
      [
        ['Pareto front — fakes_dataset', [[1e4, 0.6]]],
        ['Pareto front — synthetic_dataset', [[1e6, 0.9]]],
      ],
    );
    assert.match((two.series as Series[]).find((s) => s.type === 'scatter')!.name, /^run 1 · fakes_dataset \(/);
  });

  it('formats counts and refuses impossible points', () => {
    assert.deepEqual([56_098, 16_901_762, 999, 2_858_394].map(formatParams), ['56.1k', '16.9M', '999', '2.86M']);
    assert.throws(() => frontierFigure([point(1, 0, 0.5)]), RangeError);
    assert.throws(() => frontierFigure([point(1, 10, Number.NaN)]), RangeError);
  });
});

describe('frontierPoints', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-frontier-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('takes every run of the store with test scores, with its test AUC and its model size', async () => {
    const store = RunStore.open(path.join(tmp, 'runs.db'));
    try {
      const params = { lr: 1e-3, batchSize: 4, epochs: 1, optimizer: 'Adam', seed: 0 };
      const run = (model: string) => store.createRun({ model, datasetPath: tmp, datasetFingerprint: 'x', params, engine: 'wasm' }).id;
      const row = (i: number, label: 0 | 1, p: number): ScoreRow => ({ path: `/d/${i}.jpg`, label, logits: [0, 0], probs: [1 - p, p] });
      const perfect = [row(0, 0, 0.1), row(1, 1, 0.9)];
      const [a, b, c, d, e] = [run('SimpleNet'), run('Bonus'), run('Bonus'), run('Nope'), run('Bonus')];
      store.saveScores(a, 'test', [row(0, 0, 0.9), row(1, 1, 0.1)]); // AUC 0
      store.saveScores(b, 'test', perfect); // AUC 1
      store.saveScores(c, 'val', perfect); // val only: not on the frontier
      store.saveScores(d, 'test', perfect); // unknown model
      store.saveScores(e, 'val', perfect);
      store.saveScores(e, 'test', [row(0, 1, 0.4), row(1, 1, 0.6)]); // one class: its summary AUC is val's
      const sizes: Record<string, number> = { SimpleNet: 16_901_762, Bonus: 56_098 };
      const { points, gaps } = await frontierPoints(store, async (model) => sizes[model] ?? null);
      assert.deepEqual(points, [
        { id: a, label: `run ${a} · SimpleNet`, params: 16_901_762, auc: 0, dataset: tmp },
        { id: b, label: `run ${b} · Bonus`, params: 56_098, auc: 1, dataset: tmp },
      ]);
      assert.deepEqual(
        gaps.map((g) => g.id),
        [e, d],
      ); // listRuns order: newest first
      assert.match(gaps.map((g) => g.reason).join('\n'), /'Nope'/);
    } finally {
      store.close();
    }
  });
});
