// Metrics and chart options of saved scores, for one run (analysis) or several (comparison).
import type { AnalysisResult, ChartOption, MetricsSummary, ScoredImage, SplitName } from '../api/contract.js';
import { summarize, type MetricSummary } from '../analysis/metrics.js';
import {
  accuracyFigure, confusionFigure, detFigure, histogramFigure, lossFigure, rocFigure, runLabel, softScoreCurves, type RunHistory,
} from '../analysis/figures/options.js';
import type { RunRecord, ScoreRow } from '../store/index.js';

/** Mistakes listed per kind in an analysis. */
const WORST_LISTED = 12;

function toMetrics(s: MetricSummary): MetricsSummary {
  return {
    n: s.n, auc: s.auc, ap: s.ap, eer: s.eer, eerThreshold: s.eerThreshold, threshold: s.threshold, accuracy: s.accuracy,
    confusion: { tp: s.confusion.tp, fp: s.confusion.fp, tn: s.confusion.tn, fn: s.confusion.fn },
    perClass: { real: s.perClass.real ?? 0, fake: s.perClass.fake ?? 0 },
  };
}

function hasBothClasses(rows: readonly ScoreRow[]): boolean {
  return rows.some((r) => r.label === 0) && rows.some((r) => r.label === 1);
}

/** summarize() of saved scores at `threshold`, or null when they hold one class only. */
export function scoreMetrics(rows: readonly ScoreRow[], threshold = 0.5): MetricsSummary | null {
  if (!hasBothClasses(rows)) return null;
  return toMetrics(summarize(rows.map((r) => r.label), rows.map((r) => r.probs[1]), threshold));
}

/** The most confident mistakes: real images scored fake (false positives) and the reverse, worst first. */
function worst(rows: readonly ScoreRow[], threshold: number): { falsePositives: ScoredImage[]; falseNegatives: ScoredImage[] } {
  const scored = rows.map((r): ScoredImage => ({ path: r.path, label: r.label === 1 ? 'fake' : 'real', score: r.probs[1] }));
  return {
    falsePositives: scored.filter((s) => s.label === 'real' && s.score >= threshold).sort((a, b) => b.score - a.score).slice(0, WORST_LISTED),
    falseNegatives: scored.filter((s) => s.label === 'fake' && s.score < threshold).sort((a, b) => a.score - b.score).slice(0, WORST_LISTED),
  };
}

/** One run's analysis of a split's saved scores (rows non-empty). */
export function analyse(run: RunRecord, split: SplitName, rows: readonly ScoreRow[], threshold = 0.5): AnalysisResult {
  const ref = { id: run.id, label: runLabel(run.id, run.model) };
  const labels = rows.map((r) => r.label);
  const fake = rows.map((r) => r.probs[1]);
  const summary = scoreMetrics(rows, threshold);
  const curves = summary ? softScoreCurves(ref, rows) : null;
  const suffix = `${ref.label} (${split}, n = ${rows.length})`;
  return {
    runId: run.id,
    split,
    n: rows.length,
    summary,
    charts: {
      roc: curves ? (rocFigure(curves, `ROC — ${suffix}`) as ChartOption) : null,
      det: curves ? (detFigure(curves, `DET — ${suffix}`) as ChartOption) : null,
      confusion: summary ? (confusionFigure(summary.confusion, { run: ref, threshold }) as ChartOption) : null,
      histogram: histogramFigure(labels, fake, { run: ref }) as ChartOption,
    },
    ...worst(rows, threshold),
  };
}

/** Overlaid curves of several runs: loss and accuracy histories, and ROC/DET of the runs scored on `split`. */
export function comparisonCharts(histories: RunHistory[], scored: { run: RunRecord; rows: readonly ScoreRow[] }[], split: SplitName) {
  const curves = scored
    .filter(({ rows }) => hasBothClasses(rows))
    // One curve per run (B = P(fake)); A mirrors it and would double the legend.
    .map(({ run, rows }) => softScoreCurves({ id: run.id, label: runLabel(run.id, run.model) }, rows)[0]);
  return {
    loss: lossFigure(histories) as ChartOption,
    accuracy: accuracyFigure(histories) as ChartOption,
    roc: curves.length ? (rocFigure(curves, `ROC — ${split}`) as ChartOption) : null,
    det: curves.length ? (detFigure(curves, `DET — ${split}`) as ChartOption) : null,
  };
}
