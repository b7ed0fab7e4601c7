// The accuracy-versus-size frontier: test AUC against trainable parameters (log scale), Pareto-optimal runs ringed.
import type { EChartsOption } from './echarts.js';
import { foldersName, foldersText, runFolders } from '../../data/run-folders.js';
import type { RunStore } from '../../store/index.js';
import { baseOption, formatAuc, REFERENCE_COLOR, runColor, runLabel, valueAxis, type RunRef } from './style.js';

/** One run on the frontier figure. */
export interface FrontierPoint extends RunRef {
  /** Trainable parameters of the run's model. */
  params: number;
  /** ROC AUC of its saved test scores (fake = positive). */
  auc: number;
  /**
   * The test set the AUC was measured on (the run's dataset folder). AUCs of different test sets are not
   * comparable, so each gets its own Pareto front; omitted = one shared test set.
   */
  dataset?: string;
}

/** A run left off the frontier, and why. */
export interface FrontierGap {
  id: number;
  reason: string;
}

/** Counts a model's trainable parameters by registry name; null when this build has no such model. */
export type ParamCounter = (model: string) => Promise<number | null>;

const FRONT_COLOR = '#333333';
/** Line style of each test set's front, in order of first appearance. */
const FRONT_LINES = ['solid', 'dashed', 'dotted'] as const;

/**
 * The Pareto-optimal points: those no other point dominates (dominating = no more parameters and no lower AUC,
 * and strictly better in one of the two). Ties (same parameters and AUC) are all kept. Sorted by parameters,
 * then AUC; along the result, AUC rises with the parameter count.
 */
export function paretoFront<T extends Pick<FrontierPoint, 'params' | 'auc'>>(points: readonly T[]): T[] {
  const dominates = (a: T, b: T): boolean => a.params <= b.params && a.auc >= b.auc && (a.params < b.params || a.auc > b.auc);
  return points.filter((p) => !points.some((q) => dominates(q, p))).sort((a, b) => a.params - b.params || a.auc - b.auc);
}

/** A parameter count as axis labels and legends show it: 56098 → "56.1k", 16901762 → "16.9M". */
export function formatParams(n: number): string {
  const [div, unit] = n >= 1e9 ? [1e9, 'G'] : n >= 1e6 ? [1e6, 'M'] : n >= 1e3 ? [1e3, 'k'] : [1, ''];
  return `${Number((n / div).toPrecision(3))}${unit}`;
}

/** Rows the legend takes at the bottom of the frontier figure (two entries a row: runs, fronts, chance). */
export function frontierLegendRows(points: readonly Pick<FrontierPoint, 'dataset'>[]): number {
  return Math.ceil((points.length + new Set(points.map((p) => p.dataset)).size + 1) / 2);
}

/**
 * Test AUC (y) against trainable parameters (x, log₁₀ axis spanning whole decades): one dot per run in the
 * run's colour (legend: label, test set, parameters, AUC); per test set, its Pareto-optimal runs ringed and
 * joined by a dark step line (solid, dashed, dotted for the first three test sets); chance (AUC 0.5) dashed grey. Throws RangeError for a point with params < 1 or a non-finite AUC.
 */
export function frontierFigure(points: readonly FrontierPoint[], title = 'Test AUC vs model size'): EChartsOption {
  for (const p of points) {
    if (!(Number.isFinite(p.params) && p.params >= 1)) throw new RangeError(`run ${p.id}: parameter count must be ≥ 1, got ${p.params}`);
    if (!Number.isFinite(p.auc)) throw new RangeError(`run ${p.id}: AUC must be finite, got ${p.auc}`);
  }
  const params = points.map((p) => p.params);
  const aucs = points.map((p) => p.auc);
  const xMin = 10 ** Math.floor(Math.log10(Math.min(...params, 1e4)));
  const xMax = 10 ** Math.ceil(Math.log10(Math.max(...params, 1e5)));
  const yMin = Math.floor(Math.min(0.5, ...aucs) * 10 - 1e-9) / 10;
  const yMax = Math.min(1, Math.ceil(Math.max(...aucs, 0.5) * 10 + 0.5) / 10);
  const base = baseOption(title, 'ringed: Pareto-optimal (no other run has fewer parameters and a higher test AUC)');
  return {
    ...base,
    grid: { ...(base.grid as object), bottom: 72 + 22 * frontierLegendRows(points) },
    xAxis: {
      type: 'log',
      logBase: 10,
      min: xMin,
      max: xMax,
      name: 'Trainable parameters (log scale)',
      nameLocation: 'middle',
      nameGap: 32,
      nameTextStyle: { fontSize: 13 },
      axisLabel: { formatter: (v: number) => formatParams(v) },
    },
    yAxis: valueAxis('Test AUC', { min: yMin, max: yMax, interval: yMax - yMin > 0.3 + 1e-9 ? 0.1 : 0.05, nameGap: 44 }),
    series: [chanceSeries(xMin, xMax), ...frontSeries(points), ...points.map(runSeries)],
  };
}

/** One run's dot, in the run's colour, labelled with its AUC. */
function runSeries(p: FrontierPoint) {
  const color = runColor(p.id);
  return {
    type: 'scatter' as const,
    name: `${p.label}${p.dataset === undefined ? '' : ` · ${foldersName(p.dataset.split(' + '))}`} (${formatParams(p.params)} params, AUC ${formatAuc(p.auc)})`,
    data: [[p.params, p.auc]],
    color,
    symbolSize: 12,
    itemStyle: { color },
    label: { show: true, position: 'right' as const, distance: 14, formatter: formatAuc(p.auc), color: '#333333', fontSize: 11 },
    z: 3,
  };
}

/** Per test set, its Pareto-optimal runs ringed and joined by a step line (solid, dashed, dotted…). */
function frontSeries(points: readonly FrontierPoint[]) {
  const datasets = [...new Set(points.map((p) => p.dataset))];
  return datasets.map((dataset, i) => {
    const front = paretoFront(points.filter((p) => p.dataset === dataset));
    const type = FRONT_LINES[i % FRONT_LINES.length]!;
    return {
      type: 'line' as const,
      name: `Pareto front${dataset === undefined || datasets.length === 1 ? '' : ` — ${foldersName(dataset.split(' + '))}`} (no run is smaller and better)`,
      data: front.map((p) => [p.params, p.auc]),
      step: 'end' as const,
      color: FRONT_COLOR,
      symbol: 'emptyCircle',
      symbolSize: 22,
      showSymbol: true,
      lineStyle: { color: FRONT_COLOR, width: 1.5, type },
      itemStyle: { color: FRONT_COLOR, borderWidth: 2 },
      z: 2,
    };
  });
}

function chanceSeries(xMin: number, xMax: number) {
  return {
    type: 'line' as const,
    name: 'chance (AUC 0.5)',
    data: [
      [xMin, 0.5],
      [xMax, 0.5],
    ],
    showSymbol: false,
    color: REFERENCE_COLOR,
    lineStyle: { color: REFERENCE_COLOR, width: 1, type: 'dashed' as const },
    z: 1,
  };
}

/** The registry's count for a model name (`unmask params -m`), cached per name; loads the engine on first use. */
const counts = new Map<string, number | null>();
export const registryParamCounter: ParamCounter = async (model) => {
  if (counts.has(model)) return counts.get(model)!;
  const { countTrainableParams, isModelName, models } = await import('../../models/registry.js');
  let n: number | null = null;
  if (isModelName(model)) {
    await (await import('../../engine/select.js')).initEngine();
    const built = models[model].create();
    n = countTrainableParams(built);
    built.dispose();
  }
  counts.set(model, n);
  return n;
};

/**
 * Every run of the store that has its own test scores, as frontier points: its own test AUC (RunSummary.testAuc), its dataset folder, and its model's trainable parameter count as built by the registry
 * (what a device would hold: a frozen-backbone fine-tune still ships its backbone). Runs without test
 * scores are left out silently; runs whose AUC is undefined or whose model this build lacks are in `gaps`.
 */
export async function frontierPoints(
  store: RunStore,
  countParams: ParamCounter = registryParamCounter,
): Promise<{ points: FrontierPoint[]; gaps: FrontierGap[] }> {
  const points: FrontierPoint[] = [];
  const gaps: FrontierGap[] = [];
  for (const run of store.listRuns()) {
    const labels = new Set(store.getScores(run.id, 'test').map((r) => r.label));
    if (labels.size === 0) continue;
    if (labels.size < 2 || run.testAuc === null) {
      gaps.push({ id: run.id, reason: `run ${run.id}'s test scores have no AUC (one class only)` });
      continue;
    }
    const params = await countParams(run.model);
    if (params === null) {
      gaps.push({ id: run.id, reason: `run ${run.id} uses model '${run.model}', which this build does not have` });
      continue;
    }
    points.push({ id: run.id, label: runLabel(run.id, run.model), params, auc: run.testAuc, dataset: foldersText(runFolders(run)) });
  }
  return { points: points.sort((a, b) => a.id - b.id), gaps };
}
