// Evaluations as the API shows them: rows with their labelled source, one evaluation's analysis, the cross-dataset matrix.
import path from 'node:path';
import type { EvaluationDetail, EvaluationRow, MatrixResult, ScoreSource } from '../api/contract.js';
import type { EvaluationMetrics } from '../analysis/evaluation-metrics.js';
import { matrixFigure, matrixFigureSize } from '../analysis/figures/matrix.js';
import { crossDatasetMatrix, matrixCsv } from '../analysis/matrix.js';
import { scoreOriginLabel } from '../analysis/score-source.js';
import type { EvaluationRecord, RunStore } from '../store/index.js';
import { analyseScores } from './analysis.js';

/** Where an evaluation's numbers come from. */
export function evaluationSource(e: EvaluationRecord): ScoreSource {
  const origin = {
    kind: 'evaluation' as const,
    datasetPath: e.datasetPath,
    split: e.split,
    checkpoint: e.checkpoint,
    checkpointEpoch: e.checkpointEpoch,
    preprocess: e.preprocess,
  };
  return { ...origin, evaluationId: e.id, datasetName: path.basename(e.datasetPath), label: scoreOriginLabel(origin) };
}

/** A stored evaluation as a row; metrics of migrated evaluations (none stored) are left null but their AUC. */
export function toEvaluationRow(e: EvaluationRecord, model: string): EvaluationRow {
  const m = e.metrics as EvaluationMetrics | null;
  return {
    id: e.id,
    runId: e.runId,
    model,
    source: evaluationSource(e),
    n: e.n,
    auc: e.auc,
    aucInterval: m?.aucInterval ? { low: m.aucInterval.low, high: m.aucInterval.high } : null,
    ap: m?.ap ?? null,
    eer: m?.eer ?? null,
    accuracyAtHalf: m?.atHalf.accuracy ?? null,
    runThreshold: m?.runThreshold?.threshold ?? null,
    accuracyAtRunThreshold: m?.atRunThreshold?.accuracy ?? null,
    runThresholdMissing: m?.runThresholdMissing ?? null,
    skipped: e.skipped,
    origin: e.origin,
    note: e.note,
    createdAt: e.createdAt,
  };
}

/** Every evaluation (or one run's) as rows, newest first. */
export function evaluationRows(store: RunStore, runId?: number): EvaluationRow[] {
  const models = new Map(store.listRuns().map((r) => [r.id, r.model]));
  return store.listEvaluations(runId === undefined ? {} : { runId }).map((e) => toEvaluationRow(e, models.get(e.runId) ?? ''));
}

/** One evaluation's metrics at `threshold`, charts and worst errors. */
export function evaluationDetail(store: RunStore, evaluationId: number, threshold = 0.5): EvaluationDetail {
  const e = store.getEvaluation(evaluationId);
  const run = store.getRun(e.runId);
  const source = evaluationSource(e);
  return { ...analyseScores(run, source, store.getEvaluationScores(evaluationId), threshold), evaluation: toEvaluationRow(e, run.model) };
}

/** The cross-dataset matrix with its heatmap option (the same builder as `unmask matrix --out`) and CSV. */
export function matrixResult(store: RunStore, runIds?: readonly number[]): MatrixResult {
  const matrix = crossDatasetMatrix(store, { runIds });
  return { ...matrix, chart: matrixFigure(matrix) as Record<string, unknown>, size: matrixFigureSize(matrix), csv: matrixCsv(matrix) };
}
