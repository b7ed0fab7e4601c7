// Pure builders of ECharts option objects (no DOM) for every Unmask figure; the app and the exporter share them.
import type { BarSeriesOption, EChartsOption, HeatmapSeriesOption, LineSeriesOption } from './echarts.js';
import { UnmaskError } from '../../engine/errors.js';
import type { EpochRecord } from '../../store/index.js';
import type { Confusion, Vector } from '../metrics.js';
import { baseOption, CLASS_COLORS, legendBelow, runColor, SPLIT_LINE, valueAxis, type RunRef } from './style.js';

export * from './style.js';
export * from './roc-det.js';

/** A subtitle with the scores' source on a line of its own. */
function withSource(subtitle: string, source: string | undefined): string {
  return source ? `${source}\n${subtitle}` : subtitle;
}

/** A run's per-epoch history, as training-curve figures take it. */
export interface RunHistory extends RunRef {
  epochs: readonly EpochRecord[];
}

type Split = keyof typeof SPLIT_LINE;
type Metric = 'loss' | 'accuracy';

const FIELDS: Record<Metric, Record<Split, 'trainLoss' | 'valLoss' | 'testLoss' | 'trainAcc' | 'valAcc' | 'testAcc'>> = {
  loss: { train: 'trainLoss', val: 'valLoss', test: 'testLoss' },
  accuracy: { train: 'trainAcc', val: 'valAcc', test: 'testAcc' },
};

/** One line per run and split; splits with no value in any epoch (e.g. no test set) are left out. */
function historySeries(runs: readonly RunHistory[], metric: Metric): LineSeriesOption[] {
  return runs.flatMap((run) => {
    const color = runColor(run.id);
    return (Object.keys(SPLIT_LINE) as Split[]).flatMap((split): LineSeriesOption[] => {
      const field = FIELDS[metric][split];
      const data = run.epochs.flatMap((e) => (e[field] === null ? [] : [[e.epoch, e[field]]]));
      if (data.length === 0) return [];
      return [
        {
          type: 'line',
          name: `${run.label} · ${split}`,
          data,
          color,
          symbolSize: 5,
          showSymbol: data.length <= 30,
          lineStyle: { color, width: 2, type: SPLIT_LINE[split] },
          itemStyle: { color },
        },
      ];
    });
  });
}

function historyFigure(runs: readonly RunHistory[], metric: Metric): EChartsOption {
  const maxEpoch = Math.max(1, ...runs.flatMap((r) => r.epochs.map((e) => e.epoch)));
  const title = metric === 'loss' ? 'Loss' : 'Accuracy';
  const subtitle = 'line style: train solid · val dashed · test dotted';
  const series = historySeries(runs, metric);
  // Below the plot, under the "Epoch" axis name and clear of it however many rows the run × split entries take.
  const { legend, gridBottom } = legendBelow(series.map((s) => s.name as string));
  const base = baseOption(title, subtitle);
  return {
    ...base,
    grid: { ...(base.grid as object), bottom: gridBottom },
    legend,
    xAxis: valueAxis('Epoch', { min: 1, max: maxEpoch, minInterval: 1, ...(maxEpoch <= 15 ? { interval: 1 } : {}) }),
    yAxis: metric === 'loss' ? valueAxis('Cross-entropy loss', { scale: true, nameGap: 48 }) : valueAxis('Accuracy (%)', { min: 0, max: 100, nameGap: 40 }),
    series,
    tooltip: { trigger: 'axis' },
  };
}

/** Loss (mean cross-entropy) vs epoch: train/val/test of each run, line style per split, colour per run. */
export function lossFigure(runs: readonly RunHistory[]): EChartsOption {
  return historyFigure(runs, 'loss');
}

/** Accuracy (%) vs epoch: train/val/test of each run, line style per split, colour per run. */
export function accuracyFigure(runs: readonly RunHistory[]): EChartsOption {
  return historyFigure(runs, 'accuracy');
}

export interface ConfusionFigureOptions {
  run?: RunRef;
  /** Threshold the matrix was taken at, for the subtitle. */
  threshold?: number;
  /** Where the scores come from (dataset, split, checkpoint), a second subtitle line. */
  source?: string;
}

/**
 * The 2×2 confusion matrix as a heatmap: rows actual (real on top), columns predicted; each cell shows its
 * count and its share of the row. The colour scale runs from white to the run's colour.
 */
export function confusionFigure(confusion: Confusion, options: ConfusionFigureOptions = {}): EChartsOption {
  const { tn, fp, fn, tp } = confusion;
  const rows = { real: tn + fp, fake: fn + tp };
  // [predicted (x), actual (y), count]; y index 0 = real (top, the axis is inverted).
  const cells: [number, number, number, number][] = [
    [0, 0, tn, rows.real],
    [1, 0, fp, rows.real],
    [0, 1, fn, rows.fake],
    [1, 1, tp, rows.fake],
  ];
  const color = options.run ? runColor(options.run.id) : '#4e79a7';
  const name = options.run?.label ?? 'detector';
  const series: HeatmapSeriesOption = {
    type: 'heatmap',
    name,
    color,
    data: cells.map(([x, y, count, total]) => ({
      value: [x, y, count],
      label: { formatter: `${count}\n${total ? ((100 * count) / total).toFixed(1) : '0.0'}%` },
    })),
    label: { show: true, fontSize: 16, color: '#111111' },
    itemStyle: { borderColor: '#ffffff', borderWidth: 2 },
  };
  const threshold = options.threshold ?? 0.5;
  const category = (axisName: string, inverse: boolean) =>
    ({
      type: 'category',
      data: ['real', 'fake'],
      name: axisName,
      nameLocation: 'middle',
      nameGap: 32,
      nameTextStyle: { fontSize: 13 },
      inverse,
      splitArea: { show: false },
    }) as const;
  const base = baseOption(
    `Confusion matrix — ${name}`,
    withSource(`predict fake when P(fake) ≥ ${threshold}; cells: count and % of the actual class`, options.source),
  );
  return {
    ...base,
    grid: { left: 90, right: 110, top: (base.grid as { top: number }).top + 4, bottom: 90 },
    xAxis: category('Predicted class', false),
    yAxis: category('Actual class', true),
    visualMap: {
      type: 'continuous',
      min: 0,
      max: Math.max(1, tn, fp, fn, tp),
      calculable: false,
      orient: 'vertical',
      right: 16,
      top: 'middle',
      text: ['count', ''],
      inRange: { color: ['#ffffff', color] },
    },
    series: [series],
  };
}

export interface HistogramFigureOptions {
  run?: RunRef;
  /** Number of equal-width bins over [0, 1] (default 20). */
  bins?: number;
  /** Axis name of the score (default "P(fake)"). */
  scoreName?: string;
  /** Where the scores come from (dataset, split, checkpoint), a second subtitle line. */
  source?: string;
}

/** Counts of `scores` (in [0, 1]) per class in `bins` equal bins; a score of exactly 1 goes in the last bin. */
export function histogramCounts(labels: Vector, scores: Vector, bins = 20): { real: number[]; fake: number[] } {
  if (labels.length !== scores.length) throw new UnmaskError('BAD_ARGUMENT', `labels and scores differ in length (${labels.length} vs ${scores.length})`);
  if (!Number.isInteger(bins) || bins < 1) throw new UnmaskError('BAD_ARGUMENT', `bins must be a positive integer, got ${bins}`);
  const out = { real: new Array<number>(bins).fill(0), fake: new Array<number>(bins).fill(0) };
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (!(s >= 0 && s <= 1)) throw new UnmaskError('BAD_ARGUMENT', `scores[${i}] is ${String(s)}; histogram scores must lie in [0, 1]`);
    const bin = Math.min(bins - 1, Math.floor(s * bins));
    out[labels[i] === 1 ? 'fake' : 'real'][bin]!++;
  }
  return out;
}

/** Score histograms per class (default 20 bins over [0, 1]): how well the score separates real from fake. */
export function histogramFigure(labels: Vector, scores: Vector, options: HistogramFigureOptions = {}): EChartsOption {
  const bins = options.bins ?? 20;
  const counts = histogramCounts(labels, scores, bins);
  const categories = Array.from({ length: bins }, (_, i) => ((i + 0.5) / bins).toFixed(3));
  const bar = (cls: 'real' | 'fake'): BarSeriesOption => ({
    type: 'bar',
    name: `${cls} (n = ${counts[cls].reduce((a, b) => a + b, 0)})`,
    data: counts[cls],
    color: CLASS_COLORS[cls],
    itemStyle: { color: CLASS_COLORS[cls], opacity: 0.85 },
    barGap: '0%',
    barCategoryGap: '12%',
  });
  const scoreName = options.scoreName ?? 'P(fake)';
  const title = options.run ? `Score histogram — ${options.run.label}` : 'Score histogram';
  return {
    ...baseOption(title, withSource(`${bins} bins over [0, 1]; label = bin centre`, options.source)),
    xAxis: {
      type: 'category',
      data: categories,
      name: scoreName,
      nameLocation: 'middle',
      nameGap: 52,
      nameTextStyle: { fontSize: 13 },
      axisLabel: { interval: 1, rotate: 45 },
    },
    yAxis: valueAxis('Images', { minInterval: 1, nameGap: 44 }),
    series: [bar('real'), bar('fake')],
    tooltip: { trigger: 'axis' },
  };
}
