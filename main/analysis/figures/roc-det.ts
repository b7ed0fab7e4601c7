// ROC and DET figures of a detector's two soft scores (A = P(real), B = P(fake)) as ECharts options.
import type { EChartsOption, LineSeriesOption } from './echarts.js';
import { detCurve, probit, rocAuc, rocCurve } from '../metrics.js';
import type { ScoreRow } from '../../store/index.js';
import { baseOption, formatAuc, formatPercent, legendBelow, REFERENCE_COLOR, runColor, valueAxis, type RunRef } from './style.js';

/** Which soft output of the 2-way softmax a curve ranks by. */
export type SoftScore = 'A' | 'B';

/** One curve's input: a run's images ranked by one soft score, labelled 1 for that score's positive class. */
export interface ScoreCurveInput extends RunRef {
  score: SoftScore;
  /** 1 = the positive class of this score (real for A, fake for B), 0 = the other. */
  labels: number[];
  scores: number[];
}

/** Legend text of a soft score. */
export const SOFT_SCORE_NAMES: Record<SoftScore, string> = {
  A: 'A = P(real), real positive',
  B: 'B = P(fake), fake positive',
};

/**
 * Curve figures put their legend below the plot, one curve per row: inside it, a legend covers curves
 * wherever they run (a detector worse than chance crosses the corner a better one leaves empty).
 */
function curveLayout(title: string, subtitle: string | undefined, names: readonly string[]): EChartsOption {
  const base = baseOption(title, subtitle);
  const { legend, gridBottom } = legendBelow(names, { vertical: true });
  return { ...base, grid: { left: 80, right: 32, top: (base.grid as { top: number }).top, bottom: gridBottom }, legend };
}

/** Line style per soft score: B (the detector's own score) solid, A dashed. */
const SCORE_LINE: Record<SoftScore, 'solid' | 'dashed'> = { A: 'dashed', B: 'solid' };

/**
 * The two curve inputs of a run's saved scores, as the seed plots them: B = probs[1] ("fake" output) with
 * fake as the positive class, and A = probs[0] ("real" output) with REAL as the positive class.
 * Why A takes real as positive: the softmax makes A = 1 - B, so A ranks the images in exactly the reverse
 * order of B. Scored against "fake is positive", A would give the curve of a detector that is always
 * wrong (AUC_A = 1 - AUC_B, below the chance line), which says nothing new. With real as positive, A is a
 * real-image detector with the same AUC as B (P(A_real > A_fake) = P(B_fake > B_real)); its ROC point at
 * threshold 1 - t is (1 - TPR_B(t), 1 - FPR_B(t)), i.e. B's curve mirrored across the line TPR = 1 - FPR
 * (the two coincide when B's curve is symmetric), and on the DET plot A's (FPR, FNR) is B's (FNR, FPR),
 * B's curve mirrored across the diagonal. A visible gap between A and B therefore only comes from float32
 * rounding of the softmax or from ties, and the pair is a sanity check of the scoring.
 */
export function softScoreCurves(run: RunRef, rows: readonly ScoreRow[]): [ScoreCurveInput, ScoreCurveInput] {
  return [
    { ...run, score: 'B', labels: rows.map((r) => r.label), scores: rows.map((r) => r.probs[1]) },
    { ...run, score: 'A', labels: rows.map((r) => 1 - r.label), scores: rows.map((r) => r.probs[0]) },
  ];
}

/** Legend text of one curve, with its AUC: "run 3 · SimpleNet — B = P(fake), fake positive (AUC 0.912)". */
export function curveName(curve: ScoreCurveInput, auc: number): string {
  return `${curve.label} — ${SOFT_SCORE_NAMES[curve.score]} (AUC ${formatAuc(auc)})`;
}

function curveSeries(curve: ScoreCurveInput, name: string, data: number[][]): LineSeriesOption {
  const color = runColor(curve.id);
  return {
    type: 'line',
    name,
    data,
    showSymbol: false,
    color,
    lineStyle: { color, width: 2, type: SCORE_LINE[curve.score] },
    itemStyle: { color },
  };
}

function chanceSeries(data: number[][]): LineSeriesOption {
  return {
    type: 'line',
    name: 'chance',
    data,
    showSymbol: false,
    silent: true,
    color: REFERENCE_COLOR,
    lineStyle: { color: REFERENCE_COLOR, width: 1, type: 'dashed' },
    itemStyle: { color: REFERENCE_COLOR },
  };
}

/**
 * ROC curves (scikit-learn's roc_curve points, from {@link rocCurve}) of each input, AUC in the legend,
 * and the chance diagonal. Axes: false / true positive rate of each curve's own positive class.
 */
export function rocFigure(curves: readonly ScoreCurveInput[], title = 'ROC curve', subtitle?: string): EChartsOption {
  const series = curves.map((c) => {
    const roc = rocCurve(c.labels, c.scores);
    return curveSeries(
      c,
      curveName(c, rocAuc(c.labels, c.scores)),
      roc.fpr.map((x, i) => [x, roc.tpr[i]!]),
    );
  });
  const unit = { min: 0, max: 1, interval: 0.2 };
  return {
    ...curveLayout(title, subtitle, [...series.map((s) => s.name as string), 'chance']),
    xAxis: valueAxis('False positive rate', unit),
    yAxis: valueAxis('True positive rate', { ...unit, nameGap: 40 }),
    series: [
      ...series,
      chanceSeries([
        [0, 0],
        [1, 1],
      ]),
    ],
  };
}

/** Tick positions of DET axes (scikit-learn's DetCurveDisplay), as probabilities. */
export const DET_TICKS = [0.001, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95, 0.99, 0.999] as const;

/** DET axes span probit(0.0005)…probit(0.9995); rates of 0 or 1 (probit ±∞) are drawn on the border. */
export const DET_LIMIT = probit(0.9995);

/** A rate on the normal-deviate axis: probit(p), clamped to ±{@link DET_LIMIT}. */
export function detCoordinate(p: number): number {
  return Math.max(-DET_LIMIT, Math.min(DET_LIMIT, probit(p)));
}

/** Percent label of a DET tick position (empty for positions that are not ticks). */
function detTickLabel(value: number): string {
  const tick = DET_TICKS.find((p) => Math.abs(probit(p) - value) < 1e-9);
  return tick === undefined ? '' : formatPercent(tick);
}

/** Ids of the DET axes: how {@link restoreDetLabels} finds them in an option that went through JSON. */
const DET_AXIS_ID = { x: 'det-fpr', y: 'det-fnr' } as const;

/** A normal-deviate axis: values are probit(rate), ticks at {@link DET_TICKS} labelled in percent. */
function detAxis(name: string, nameGap: number, id: string) {
  const ticks = DET_TICKS.map(probit);
  return valueAxis(name, {
    id,
    min: -DET_LIMIT,
    max: DET_LIMIT,
    nameGap,
    axisTick: { customValues: ticks },
    axisLabel: { customValues: ticks, formatter: detTickLabel },
    splitLine: { show: true },
    axisLine: { onZero: false },
  });
}

/**
 * DET curves (from {@link detCurve}) on normal-deviate axes: each point is (probit(FPR), probit(FNR)),
 * so curves of normally distributed scores are straight lines (Martin et al. 1997). Tick labels are percents.
 * The chance line FNR = 1 - FPR is y = -x here. Note: the axis labels use a formatter function, which JSON
 * drops: an option that crossed a transport gets it back from {@link restoreDetLabels}.
 */
export function detFigure(curves: readonly ScoreCurveInput[], title = 'DET curve', subtitle?: string): EChartsOption {
  const series = curves.map((c) => {
    const det = detCurve(c.labels, c.scores);
    const data = det.fpr.map((x, i) => [detCoordinate(x), detCoordinate(det.fnr[i]!)]);
    return curveSeries(c, curveName(c, rocAuc(c.labels, c.scores)), data);
  });
  return {
    ...curveLayout(title, subtitle, [...series.map((s) => s.name as string), 'chance']),
    xAxis: detAxis('False positive rate (normal deviate scale)', 32, DET_AXIS_ID.x),
    yAxis: detAxis('False negative rate (normal deviate scale)', 48, DET_AXIS_ID.y),
    series: [
      ...series,
      chanceSeries([
        [-DET_LIMIT, DET_LIMIT],
        [DET_LIMIT, -DET_LIMIT],
      ]),
    ],
  };
}

/** Puts the DET tick-label formatter back on the DET axes of an option that went through JSON (others unchanged). */
export function restoreDetLabels(option: EChartsOption): EChartsOption {
  const ids: readonly string[] = Object.values(DET_AXIS_ID);
  const restore = (axis: unknown): unknown => {
    if (Array.isArray(axis)) return axis.map(restore);
    if (!axis || typeof axis !== 'object' || !ids.includes((axis as { id?: string }).id ?? '')) return axis;
    const a = axis as { axisLabel?: Record<string, unknown> };
    return { ...a, axisLabel: { ...a.axisLabel, formatter: detTickLabel } };
  };
  return { ...option, xAxis: restore(option.xAxis), yAxis: restore(option.yAxis) } as EChartsOption;
}
