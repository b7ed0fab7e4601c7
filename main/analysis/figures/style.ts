// Shared look of every figure: the fixed run palette, class colours, line styles per split, and option pieces.
import type { EChartsOption } from './echarts.js';

/**
 * Tableau 10: distinguishable, print-safe colours. A run's colour is PALETTE[(id - 1) mod 10], a function of
 * its id alone, so run 3 is the same orange in every figure, app view and export.
 */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'] as const;

/** Colours of the two classes (histograms, sample grids): not in the run palette, so never confused with a run. */
export const CLASS_COLORS = { real: '#1b7f5f', fake: '#c0392b' } as const;

/** Line style per split in the training-curve figures. */
export const SPLIT_LINE = { train: 'solid', val: 'dashed', test: 'dotted' } as const;

/** Grey of reference lines (chance diagonal). */
export const REFERENCE_COLOR = '#8c8c8c';

/** The stable colour of a run id. */
export function runColor(id: number): string {
  const n = PALETTE.length;
  return PALETTE[(((Math.trunc(id) - 1) % n) + n) % n]!;
}

/** A run as figures name it. */
export interface RunRef {
  id: number;
  /** Legend text; {@link runLabel} gives the default. */
  label: string;
}

/** The default legend text of a run: "run 3 · SimpleNet". */
export function runLabel(id: number, model?: string): string {
  return model ? `run ${id} · ${model}` : `run ${id}`;
}

/** An AUC as legends show it: three decimals. */
export function formatAuc(auc: number): string {
  return Number.isFinite(auc) ? auc.toFixed(3) : 'n/a';
}

/** A probability as a DET tick label: 0.001 → "0.1%", 0.05 → "5%", 0.999 → "99.9%". */
export function formatPercent(p: number): string {
  return `${Number((p * 100).toFixed(1))}%`;
}

/** Title, legend, grid and text settings every figure shares (white background, no animation). */
export function baseOption(title: string, subtitle?: string): EChartsOption {
  const subtitleLines = subtitle ? subtitle.split('\n').length : 0;
  return {
    animation: false,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: 'Helvetica, Arial, DejaVu Sans Condensed, sans-serif' },
    // An explicit line height: a browser canvas without CJK fonts collapses ECharts' default, overlapping the lines.
    title: { text: title, subtext: subtitle, left: 'center', top: 8, textStyle: { fontSize: 16 }, subtextStyle: { fontSize: 12, lineHeight: 16 } },
    legend: { type: 'plain', bottom: 8, left: 'center', itemWidth: 28 },
    grid: { left: 72, right: 32, top: 56 + 18 * subtitleLines + (subtitleLines ? 2 : 0), bottom: 110, containLabel: false },
    tooltip: { trigger: 'item' },
  };
}

/**
 * Width a figure's legend is laid out for: narrow enough for a chart beside another in the app's window, so the
 * rows estimated here are never fewer than the ones ECharts draws (an export, wider, just has room to spare).
 */
export const LEGEND_LAYOUT_WIDTH = 540;

/** Rows a horizontal legend of `names` takes at {@link LEGEND_LAYOUT_WIDTH} (12 px text, 28 px symbols). */
export function legendRows(names: readonly string[], width = LEGEND_LAYOUT_WIDTH): number {
  let rows = 1;
  let used = 0;
  for (const name of names) {
    const item = 28 + 5 + 7 * name.length + 10;
    if (used > 0 && used + item > width) {
      rows++;
      used = 0;
    }
    used += item;
  }
  return rows;
}

/**
 * A legend below the plot and the x-axis name, never over a curve or an axis name: `gridBottom` leaves room
 * for the axis (`axisSpace`: tick labels and name) and the legend's rows (one item per row when vertical).
 */
export function legendBelow(
  names: readonly string[],
  options: { axisSpace?: number; vertical?: boolean } = {},
): { legend: EChartsOption['legend']; gridBottom: number } {
  const rows = options.vertical ? names.length : legendRows(names);
  const legend = options.vertical
    ? { type: 'plain' as const, orient: 'vertical' as const, bottom: 8, left: 72, itemWidth: 28, itemGap: 6 }
    : { type: 'plain' as const, bottom: 8, left: 'center', itemWidth: 28 };
  return { legend, gridBottom: (options.axisSpace ?? 64) + 8 + rows * 22 };
}

/** A numeric axis (x or y) as the figures use it. */
export interface ValueAxis {
  type: 'value';
  name: string;
  nameLocation: 'middle';
  /** Stable component id, for finding the axis again after the option went through JSON. */
  id?: string;
  nameGap: number;
  nameTextStyle: { fontSize: number };
  min?: number;
  max?: number;
  interval?: number;
  minInterval?: number;
  scale?: boolean;
  axisTick?: { customValues: number[] };
  axisLabel?: { customValues?: number[]; formatter?: (value: number) => string };
  splitLine?: { show: boolean };
  axisLine?: { onZero: boolean };
}

/** A value axis with its name centred along it. */
export function valueAxis(name: string, extra: Partial<Omit<ValueAxis, 'type' | 'name'>> = {}): ValueAxis {
  return { type: 'value', name, nameLocation: 'middle', nameGap: 32, nameTextStyle: { fontSize: 13 }, ...extra };
}
