// Metrics and chart options of saved scores: a run's own or an evaluation's (analysis), or several runs' (comparison).
import type { AnalysisResult, ChartOption, MetricSummary, ScoredImage, ScoreSource, SplitName } from '../api/contract.js';
import { summarize } from '../analysis/metrics.js';
import {
  accuracyFigure,
  confusionFigure,
  detFigure,
  histogramFigure,
  lossFigure,
  rocFigure,
  runLabel,
  softScoreCurves,
  type RunHistory,
} from '../analysis/figures/options.js';
import type { RunRecord, ScoreRow } from '../store/index.js';

/** What a comparison's curves are: each run's own split, scored with its best checkpoint. */
const OWN_SPLIT_NOTE = (split: SplitName): string => `each run's own ${split} split · best checkpoint`;

/** Mistakes listed per kind in an analysis. */
const WORST_LISTED = 12;

function hasBothClasses(rows: readonly ScoreRow[]): boolean {
  return rows.some((r) => r.label === 0) && rows.some((r) => r.label === 1);
}

/** summarize() of saved scores at `threshold`, or null when they hold one class only. */
export function scoreMetrics(rows: readonly ScoreRow[], threshold = 0.5): MetricSummary | null {
  if (!hasBothClasses(rows)) return null;
  return summarize(
    rows.map((r) => r.label),
    rows.map((r) => r.probs[1]),
    threshold,
  );
}

/** The most confident mistakes: real images scored fake (false positives) and the reverse, worst first. */
function worst(rows: readonly ScoreRow[], threshold: number): { falsePositives: ScoredImage[]; falseNegatives: ScoredImage[] } {
  const scored = rows.map((r): ScoredImage => ({ path: r.path, label: r.label === 1 ? 'fake' : 'real', score: r.probs[1] }));
  return {
    falsePositives: scored
      .filter((s) => s.label === 'real' && s.score >= threshold)
      .sort((a, b) => b.score - a.score)
      .slice(0, WORST_LISTED),
    falseNegatives: scored
      .filter((s) => s.label === 'fake' && s.score < threshold)
      .sort((a, b) => a.score - b.score)
      .slice(0, WORST_LISTED),
  };
}

/** An analysis of scores (rows non-empty) of `run` from `source`: metrics at `threshold`, every chart labelled with the source. */
export function analyseScores(run: RunRecord, source: ScoreSource, rows: readonly ScoreRow[], threshold = 0.5): Omit<AnalysisResult, 'split'> {
  const ref = { id: run.id, label: runLabel(run.id, run.model) };
  const labels = rows.map((r) => r.label);
  const fake = rows.map((r) => r.probs[1]);
  const summary = scoreMetrics(rows, threshold);
  const curves = summary ? softScoreCurves(ref, rows) : null;
  const subtitle = `${source.label} · n = ${rows.length}`;
  return {
    runId: run.id,
    source,
    n: rows.length,
    summary,
    charts: {
      roc: curves ? (rocFigure(curves, `ROC — ${ref.label}`, subtitle) as ChartOption) : null,
      det: curves ? (detFigure(curves, `DET — ${ref.label}`, subtitle) as ChartOption) : null,
      confusion: summary ? (confusionFigure(summary.confusion, { run: ref, threshold, source: subtitle }) as ChartOption) : null,
      histogram: histogramFigure(labels, fake, { run: ref, source: subtitle }) as ChartOption,
    },
    ...worst(rows, threshold),
  };
}

/** One run's analysis of its own scores of a split (rows non-empty). */
export function analyse(run: RunRecord, split: SplitName, source: ScoreSource, rows: readonly ScoreRow[], threshold = 0.5): AnalysisResult {
  return { ...analyseScores(run, source, rows, threshold), split };
}

/** Overlaid curves of several runs: loss and accuracy histories, and ROC/DET of their own scores of `split`. */
export function comparisonCharts(histories: RunHistory[], scored: { run: RunRecord; rows: readonly ScoreRow[] }[], split: SplitName) {
  const curves = scored
    .filter(({ rows }) => hasBothClasses(rows))
    // One curve per run (B = P(fake)); A mirrors it and would double the legend.
    .map(({ run, rows }) => softScoreCurves({ id: run.id, label: runLabel(run.id, run.model) }, rows)[0]);
  return {
    loss: lossFigure(histories) as ChartOption,
    accuracy: accuracyFigure(histories) as ChartOption,
    roc: curves.length ? (rocFigure(curves, `ROC — ${split}`, OWN_SPLIT_NOTE(split)) as ChartOption) : null,
    det: curves.length ? (detFigure(curves, `DET — ${split}`, OWN_SPLIT_NOTE(split)) as ChartOption) : null,
  };
}
