// Figure option builders: legends, axis names, data equal to the metric functions', probit DET axes, stable colours.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EpochRecord, ScoreRow } from '../../store/index.js';
import { detCurve, probit, rocAuc, rocCurve } from '../metrics.js';
import type { EChartsOption } from './echarts.js';
import {
  accuracyFigure,
  confusionFigure,
  DET_LIMIT,
  detFigure,
  formatPercent,
  histogramCounts,
  histogramFigure,
  lossFigure,
  PALETTE,
  rocFigure,
  runColor,
  softScoreCurves,
  type RunHistory,
} from './options.js';

interface Series {
  name: string;
  type: string;
  data: unknown[];
  color?: string;
  lineStyle?: { type?: string; color?: string };
}
interface Axis {
  name?: string;
  axisLabel?: { customValues?: number[]; formatter?: (v: number) => string };
}

const seriesOf = (o: EChartsOption): Series[] => o.series as Series[];
const axes = (o: EChartsOption): [Axis, Axis] => [o.xAxis as Axis, o.yAxis as Axis];
const legendNames = (o: EChartsOption): string[] => seriesOf(o).map((s) => s.name);
const title = (o: EChartsOption): string => (o.title as { text: string }).text;

let state = 7;
const rand = (): number => (state = (state * 48271) % 2147483647) / 2147483647;
const rows: ScoreRow[] = Array.from({ length: 80 }, (_, i) => {
  const label = (i % 2) as 0 | 1;
  const p = Math.min(0.999, Math.max(0.001, rand() * 0.7 + label * 0.3));
  return { path: `/d/${i}.jpg`, label, logits: [0, Math.log(p / (1 - p))], probs: [1 - p, p] };
});

const epoch = (e: number, test: boolean): EpochRecord => ({
  epoch: e,
  trainLoss: 0.7 / e,
  trainAcc: 50 + e,
  valLoss: 0.8 / e,
  valAcc: 48 + e,
  testLoss: test ? 0.9 / e : null,
  testAcc: test ? 47 + e : null,
  seconds: 1,
  imgPerSec: 10,
});
const runs: RunHistory[] = [
  { id: 2, label: 'run 2 · SimpleNet', epochs: [1, 2, 3].map((e) => epoch(e, true)) },
  { id: 5, label: 'run 5 · Xception', epochs: [1, 2].map((e) => epoch(e, false)) },
];

function checkCommon(o: EChartsOption): void {
  assert.ok(title(o).length > 0, 'title');
  assert.ok(o.legend, 'legend');
  for (const axis of axes(o)) assert.ok(axis.name && axis.name.length > 0, 'axis name');
  assert.equal(o.animation, false);
}

describe('training-curve figures', () => {
  it('one line per run and split present, legend named by run, line style per split, colour per run', () => {
    for (const [figure, field] of [
      [lossFigure, 'valLoss'],
      [accuracyFigure, 'valAcc'],
    ] as const) {
      const o = figure(runs);
      checkCommon(o);
      // run 5 has no test values, so 3 + 2 lines.
      assert.deepEqual(legendNames(o), [
        'run 2 · SimpleNet · train',
        'run 2 · SimpleNet · val',
        'run 2 · SimpleNet · test',
        'run 5 · Xception · train',
        'run 5 · Xception · val',
      ]);
      const val = seriesOf(o)[1]!;
      assert.deepEqual(
        val.data,
        runs[0]!.epochs.map((e) => [e.epoch, e[field]]),
      );
      assert.deepEqual(
        seriesOf(o).map((s) => s.lineStyle?.type),
        ['solid', 'dashed', 'dotted', 'solid', 'dashed'],
      );
      assert.deepEqual(
        seriesOf(o).map((s) => s.color),
        [runColor(2), runColor(2), runColor(2), runColor(5), runColor(5)],
      );
    }
    assert.equal(axes(accuracyFigure(runs))[1].name, 'Accuracy (%)');
  });

  it('run colours come from a fixed palette indexed by run id, the same in every figure and call', () => {
    assert.equal(runColor(1), PALETTE[0]);
    assert.equal(runColor(11), PALETTE[0]);
    assert.notEqual(runColor(2), runColor(5));
    const alone = lossFigure([runs[1]!]);
    assert.equal(seriesOf(alone)[0]!.color, runColor(5));
    const curves = softScoreCurves({ id: 5, label: 'run 5' }, rows);
    assert.equal(seriesOf(rocFigure(curves))[0]!.color, runColor(5));
    assert.equal(seriesOf(detFigure(curves))[0]!.color, runColor(5));
  });
});

describe('ROC and DET figures', () => {
  const curves = softScoreCurves({ id: 3, label: 'run 3 · SimpleNet' }, rows);
  const labels = rows.map((r) => r.label);
  const fake = rows.map((r) => r.probs[1]);

  it('soft scores: B = P(fake) with fake positive, A = P(real) with real positive, same AUC', () => {
    const [b, a] = curves;
    assert.equal(b.score, 'B');
    assert.deepEqual(b.labels, labels);
    assert.deepEqual(
      a.labels,
      labels.map((y) => 1 - y),
    );
    assert.deepEqual(
      a.scores,
      rows.map((r) => r.probs[0]),
    );
    assert.ok(Math.abs(rocAuc(a.labels, a.scores) - rocAuc(b.labels, b.scores)) < 1e-12);
  });

  it('ROC: data equals rocCurve, AUC formatted in the legend, chance diagonal', () => {
    const o = rocFigure(curves);
    checkCommon(o);
    const [bSeries, aSeries, chance] = seriesOf(o);
    const roc = rocCurve(labels, fake);
    assert.deepEqual(
      bSeries!.data,
      roc.fpr.map((x, i) => [x, roc.tpr[i]]),
    );
    const auc = rocAuc(labels, fake).toFixed(3);
    assert.match(bSeries!.name, new RegExp(`^run 3 · SimpleNet — B = P\\(fake\\).*\\(AUC ${auc}\\)$`));
    assert.match(aSeries!.name, new RegExp(`A = P\\(real\\), real positive \\(AUC ${auc}\\)$`));
    assert.equal(aSeries!.lineStyle?.type, 'dashed');
    assert.equal(chance!.name, 'chance');
    assert.deepEqual(chance!.data, [
      [0, 0],
      [1, 1],
    ]);
    assert.deepEqual(
      axes(o).map((a) => a.name),
      ['False positive rate', 'True positive rate'],
    );
  });

  it('DET: points are (probit(fpr), probit(fnr)) of detCurve, ticks labelled in percent', () => {
    const o = detFigure(curves);
    checkCommon(o);
    const det = detCurve(labels, fake);
    const points = seriesOf(o)[0]!.data as [number, number][];
    assert.equal(points.length, det.fpr.length);
    let inside = 0;
    det.fpr.forEach((fpr, i) => {
      const [x, y] = [probit(fpr), probit(det.fnr[i]!)];
      assert.equal(points[i]![0], Math.max(-DET_LIMIT, Math.min(DET_LIMIT, x)));
      assert.equal(points[i]![1], Math.max(-DET_LIMIT, Math.min(DET_LIMIT, y)));
      if (Number.isFinite(x) && Number.isFinite(y)) {
        inside++;
        assert.equal(points[i]![0], x);
        assert.equal(points[i]![1], y);
      }
    });
    assert.ok(inside > 3, 'most points lie inside the axes');
    assert.match(seriesOf(o)[0]!.name, /\(AUC \d\.\d{3}\)$/);
    const [x] = axes(o);
    assert.deepEqual(x.axisLabel!.customValues, [0.001, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95, 0.99, 0.999].map(probit));
    assert.deepEqual(
      x.axisLabel!.customValues!.map((v) => x.axisLabel!.formatter!(v)),
      ['0.1%', '1%', '5%', '20%', '50%', '80%', '95%', '99%', '99.9%'],
    );
    assert.equal(formatPercent(0.05), '5%');
  });
});

describe('confusion and histogram figures', () => {
  it('confusion heatmap: counts in the cells, actual vs predicted axes, run in the legend', () => {
    const o = confusionFigure({ tn: 7, fp: 3, fn: 1, tp: 9 }, { run: { id: 4, label: 'run 4' }, threshold: 0.5 });
    checkCommon(o);
    const [heat] = seriesOf(o);
    assert.equal(heat!.type, 'heatmap');
    assert.equal(heat!.name, 'run 4');
    const cells = (heat!.data as { value: number[]; label: { formatter: string } }[]).map((d) => [d.value, d.label.formatter]);
    assert.deepEqual(cells, [
      [[0, 0, 7], '7\n70.0%'],
      [[1, 0, 3], '3\n30.0%'],
      [[0, 1, 1], '1\n10.0%'],
      [[1, 1, 9], '9\n90.0%'],
    ]);
    assert.deepEqual(
      axes(o).map((a) => a.name),
      ['Predicted class', 'Actual class'],
    );
  });

  it('histogram: 20 bins per class, counts add up, a score of 1 lands in the last bin', () => {
    const counts = histogramCounts([0, 0, 1, 1, 1], [0, 0.049, 0.05, 0.999, 1]);
    assert.equal(counts.real.length, 20);
    assert.equal(counts.real[0], 2);
    assert.equal(counts.fake[1], 1);
    assert.equal(counts.fake[19], 2);
    const o = histogramFigure(
      rows.map((r) => r.label),
      rows.map((r) => r.probs[1]),
      { run: { id: 1, label: 'run 1' } },
    );
    checkCommon(o);
    const [real, fake] = seriesOf(o);
    assert.equal((real!.data as number[]).length, 20);
    assert.equal((real!.data as number[]).reduce((a, b) => a + b, 0) + (fake!.data as number[]).reduce((a, b) => a + b, 0), rows.length);
    assert.deepEqual(legendNames(o), ['real (n = 40)', 'fake (n = 40)']);
    assert.throws(() => histogramCounts([0], [1.5]), /BAD_ARGUMENT|\[0, 1\]/);
  });
});

describe('restoreDetLabels', () => {
  it('puts the percent tick labels back on a DET option that went through JSON', async () => {
    const { detFigure, restoreDetLabels, softScoreCurves } = await import('./roc-det.js');
    const { renderSvg } = await import('./render.js');
    const rows = [0.1, 0.4, 0.35, 0.8].map((p, i) => ({
      path: `${i}`,
      label: (i % 2) as 0 | 1,
      logits: [0, 0] as [number, number],
      probs: [1 - p, p] as [number, number],
    }));
    const option = detFigure(softScoreCurves({ id: 1, label: 'run 1' }, rows));
    const roundTripped = JSON.parse(JSON.stringify(option)) as typeof option;
    assert.doesNotMatch(renderSvg(option), /-2\.326/);
    assert.match(renderSvg(roundTripped), /-2\.326/, 'JSON drops the formatter: raw normal deviates show');
    const restored = renderSvg(restoreDetLabels(roundTripped));
    assert.doesNotMatch(restored, /-2\.326/);
    for (const label of ['0.1%', '5%', '50%', '99.9%']) assert.ok(restored.includes(`>${label}<`), label);
  });
});
