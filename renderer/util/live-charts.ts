// ECharts options for a running job's live loss/accuracy curves (the API's charts cover recorded runs only).
import type { ChartOption, EpochPoint } from '../../main/api/contract';

const SERIES = {
  loss: [
    ['train', 'trainLoss', 'solid'],
    ['val', 'valLoss', 'dashed'],
    ['test', 'testLoss', 'dotted'],
  ],
  accuracy: [
    ['train', 'trainAcc', 'solid'],
    ['val', 'valAcc', 'dashed'],
    ['test', 'testAcc', 'dotted'],
  ],
} as const;

/** Where the epoch in progress is: its running train value (loss, or accuracy in %) at a fractional epoch. */
export interface RunningPoint {
  /** (epoch - 1) + share of the epoch's steps done. */
  x: number;
  value: number;
}

/**
 * Loss or accuracy per finished epoch (x = epoch, 1-based), plus the running value of the epoch in progress
 * as a hollow point that moves along as the epoch's batches finish.
 * @param plannedEpochs the x axis runs from 0 to this, so the curve grows into a fixed frame.
 */
export function liveCurve(metric: 'loss' | 'accuracy', epochs: readonly EpochPoint[], plannedEpochs: number, running: RunningPoint | null): ChartOption {
  const series: Record<string, unknown>[] = SERIES[metric].flatMap(([split, field, type]) => {
    const data = epochs.flatMap((e) => (e[field] === null ? [] : [[e.epoch, e[field]]]));
    return data.length === 0 ? [] : [{ type: 'line', name: split, data, showSymbol: true, symbolSize: 5, lineStyle: { type } }];
  });
  if (running) series.push({ type: 'scatter', name: 'running train', data: [[running.x, running.value]], symbol: 'emptyCircle', symbolSize: 9 });
  const maxEpoch = Math.max(1, plannedEpochs, ...epochs.map((e) => e.epoch));
  return {
    animation: false,
    color: ['#4e79a7', '#f28e2b', '#59a14f', '#e15759'],
    title: { text: metric === 'loss' ? 'Loss' : 'Accuracy (%)', left: 8, top: 4, textStyle: { fontSize: 13 } },
    legend: { top: 4, right: 8, itemWidth: 20, textStyle: { fontSize: 11 } },
    grid: { left: 48, right: 20, top: 36, bottom: 40 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'value', name: 'epoch', nameLocation: 'middle', nameGap: 24, min: 0, max: maxEpoch, minInterval: 1 },
    yAxis: metric === 'loss' ? { type: 'value', scale: true } : { type: 'value', min: 0, max: 100 },
    series,
  };
}

/** The running point of a job's progress, or null outside the training phase of an epoch. */
export function runningPoint(progress: { phase: string; epoch: number; done: number; total: number }, value: number | null): RunningPoint | null {
  if (value === null || progress.epoch < 1 || progress.phase !== 'train') return null;
  const share = progress.total > 0 ? Math.min(1, progress.done / progress.total) : 0;
  return { x: progress.epoch - 1 + share, value };
}
