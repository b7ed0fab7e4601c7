// The cross-dataset matrix as a heatmap figure: runs down, evaluated datasets across, AUC and its interval per cell.
import type { EChartsOption, HeatmapSeriesOption } from './echarts.js';
import type { CrossDatasetMatrix } from '../matrix.js';
import { baseOption, formatAuc, runLabel } from './style.js';

/** Pixels per matrix row and column, so an exported figure fits its cells. */
export const MATRIX_CELL = { width: 170, height: 58 } as const;
const MARGIN = { left: 250, right: 110, top: 86, bottom: 80 } as const;

/** The figure size that fits `matrix` (for exports). */
export function matrixFigureSize(matrix: CrossDatasetMatrix): { width: number; height: number } {
  return {
    width: MARGIN.left + MARGIN.right + MATRIX_CELL.width * Math.max(1, matrix.columns.length),
    height: MARGIN.top + MARGIN.bottom + MATRIX_CELL.height * Math.max(1, matrix.rows.length),
  };
}

/** One cell per (run, test set): its AUC, interval and whether it is the run's own test split. */
function heatmapSeries(matrix: CrossDatasetMatrix, columnIndex: Map<string, number>, rowIndex: Map<number, number>): HeatmapSeriesOption {
  return {
    type: 'heatmap',
    name: 'ROC AUC',
    data: matrix.cells.map((cell) => ({
      value: [columnIndex.get(cell.column)!, rowIndex.get(cell.runId)!, cell.auc ?? 0.5],
      evaluationId: cell.evaluationId,
      runId: cell.runId,
      label: {
        formatter:
          `${cell.auc === null ? 'n/a' : formatAuc(cell.auc)}${cell.source === 'own' ? ' (own)' : ''}` +
          `${cell.interval ? `\n[${formatAuc(cell.interval.low)}–${formatAuc(cell.interval.high)}]` : ''}`,
      },
    })),
    label: { show: true, fontSize: 13, color: '#111111', lineHeight: 18 },
    itemStyle: { borderColor: '#ffffff', borderWidth: 2 },
  };
}

/**
 * Rows = runs ("run 3 · MobileNetBased" over its training folder), columns = "dataset · split"; each cell is
 * coloured by AUC (chance 0.5 white, 1 blue, worse than chance red) and shows "AUC / [low–high]", with "own" marking the run's own test
 * split. The y axis runs top-down in matrix order. Cell data carry the evaluation id for click-through.
 */
export function matrixFigure(matrix: CrossDatasetMatrix, title = 'Cross-dataset ROC AUC'): EChartsOption {
  const columnIndex = new Map(matrix.columns.map((c, i) => [c.key, i]));
  const rowIndex = new Map(matrix.rows.map((r, i) => [r.runId, i]));
  const series = heatmapSeries(matrix, columnIndex, rowIndex);
  const category = (data: string[], name: string, inverse: boolean) =>
    ({ type: 'category', data, name, nameLocation: 'middle', nameTextStyle: { fontSize: 13 }, inverse, splitArea: { show: false } }) as const;
  return {
    ...baseOption(title, "cells: AUC of P(fake) [95 % bootstrap interval]; 'own' = the run's own test split, best checkpoint"),
    grid: { ...MARGIN },
    xAxis: {
      ...category(
        matrix.columns.map((c) => `${c.datasetName} · ${c.split}`),
        'Evaluated on',
        false,
      ),
      nameGap: 40,
      position: 'bottom',
      // Every column named, wrapped to its cell's width rather than thinned out.
      axisLabel: { interval: 0, width: MATRIX_CELL.width - 10, overflow: 'break' },
      axisTick: { show: false },
    },
    yAxis: {
      ...category(
        matrix.rows.map((r) => `${runLabel(r.runId, r.model)}\ntrained on ${r.trainingDatasetName}`),
        'Detector',
        true,
      ),
      nameGap: 228,
      axisLabel: { interval: 0, lineHeight: 16 },
      axisTick: { show: false },
    },
    visualMap: {
      type: 'continuous',
      min: 0,
      max: 1,
      calculable: false,
      orient: 'vertical',
      right: 16,
      top: 'middle',
      text: ['AUC 1', '0'],
      inRange: { color: ['#e15759', '#ffffff', '#4e79a7'] },
    },
    legend: { show: false },
    series: [series],
  };
}
