// The cross-dataset matrix: each run's AUC on every dataset it was scored on (its own test split and its evaluations).
import path from 'node:path';
import { foldersName, foldersText, runFolders } from '../data/run-folders.js';
import type { EvaluationRecord, EvaluationSplit, RunStore, RunSummary } from '../store/index.js';
import type { CrossDatasetMatrix, MatrixCell, MatrixColumn } from './matrix-types.js';
import { bootstrapAucInterval } from './bootstrap.js';
import { DEFAULT_INTERVAL } from './evaluation-metrics.js';

export type { CrossDatasetMatrix, MatrixCell, MatrixColumn, MatrixRow } from './matrix-types.js';

/** A column's key: its folder (a run trained on several folders has its own test column of them all) and split. */
const columnKey = (folders: string | readonly string[], split: EvaluationSplit): string =>
  `${(typeof folders === 'string' ? [folders] : folders).map((f) => path.resolve(f)).join('\u0000+')}\u0000${split}`;

/** Preference among a run's evaluations of one column: best checkpoint, then last, then unknown; newest first. */
function rank(e: EvaluationRecord): number {
  return e.checkpoint === 'best' ? 0 : e.checkpoint === 'last' ? 1 : 2;
}

function intervalOf(labels: number[], scores: number[]): { low: number; high: number } | null {
  if (!labels.includes(0) || !labels.includes(1)) return null;
  return bootstrapAucInterval(labels, scores, DEFAULT_INTERVAL);
}

function storedInterval(e: EvaluationRecord): { low: number; high: number } | null | undefined {
  const i = (e.metrics as { aucInterval?: { low: number; high: number } | null } | null)?.aucInterval;
  return i === undefined ? undefined : i && { low: i.low, high: i.high };
}

/**
 * Rows = runs with any cell (oldest first), columns = (dataset folder, split) pairs (by name), cells = AUC with
 * its interval: a run's own test scores on its training folder's test split, and for every other column its
 * preferred evaluation there ({@link rank}). Intervals come from the evaluation's stored metrics, else they
 * are computed from the stored scores (1000 resamples, seed 0, as evaluations do).
 */
export function crossDatasetMatrix(store: RunStore, options: { runIds?: readonly number[] } = {}): CrossDatasetMatrix {
  const wanted = options.runIds ? new Set(options.runIds) : null;
  const runs = store
    .listRuns()
    .filter((r) => wanted === null || wanted.has(r.id))
    .sort((a, b) => a.id - b.id);
  const columns = new Map<string, MatrixColumn>();
  const cells: MatrixCell[] = [];
  const addColumn = (folders: readonly string[], split: EvaluationSplit): string => {
    const key = columnKey(folders, split);
    const resolved = folders.map((f) => path.resolve(f));
    if (!columns.has(key)) columns.set(key, { key, datasetPath: foldersText(resolved), datasetName: foldersName(resolved), split });
    return key;
  };
  const withCells = new Set<number>();
  for (const run of runs) {
    const own = ownCell(store, run, addColumn);
    if (own) cells.push(own);
    const chosen = new Map<string, EvaluationRecord>();
    for (const e of store.listEvaluations({ runId: run.id })) {
      const key = columnKey(e.datasetPath, e.split);
      if (own && key === own.column) continue;
      const held = chosen.get(key);
      if (!held || rank(e) < rank(held)) chosen.set(key, e); // listed newest first: ties keep the newest
    }
    for (const e of chosen.values()) {
      const column = addColumn([e.datasetPath], e.split);
      let interval = storedInterval(e);
      if (interval === undefined) {
        const rows = store.getEvaluationScores(e.id);
        interval = intervalOf(
          rows.map((r) => r.label),
          rows.map((r) => r.probs[1]),
        );
      }
      cells.push({
        runId: run.id,
        column,
        auc: e.auc,
        interval,
        n: e.n,
        source: 'evaluation',
        evaluationId: e.id,
        checkpoint: e.checkpoint,
        checkpointEpoch: e.checkpointEpoch,
      });
    }
    if (own || chosen.size > 0) withCells.add(run.id);
  }
  const rows = runs
    .filter((r) => withCells.has(r.id))
    .map((r) => ({ runId: r.id, model: r.model, trainingDataset: foldersText(runFolders(r)), trainingDatasetName: foldersName(runFolders(r)) }));
  const sorted = [...columns.values()].sort(
    (a, b) => a.datasetName.localeCompare(b.datasetName) || a.datasetPath.localeCompare(b.datasetPath) || a.split.localeCompare(b.split),
  );
  return { rows, columns: sorted, cells };
}

function ownCell(store: RunStore, run: RunSummary, addColumn: (folders: readonly string[], split: EvaluationSplit) => string): MatrixCell | null {
  const set = run.ownScores.find((s) => s.split === 'test');
  if (!set) return null;
  const rows = store.getScores(run.id, 'test');
  const column = addColumn(runFolders(run), 'test');
  const interval = intervalOf(
    rows.map((r) => r.label),
    rows.map((r) => r.probs[1]),
  );
  return {
    runId: run.id,
    column,
    auc: set.auc,
    interval,
    n: set.n,
    source: 'own',
    evaluationId: null,
    checkpoint: 'best',
    checkpointEpoch: set.checkpointEpoch,
  };
}

const csvField = (value: string): string => (/[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
const fixed = (v: number | null | undefined): string => (v == null ? '' : v.toFixed(4));

/** The matrix as CSV: one line per run; per column its AUC, interval bounds, images and where the number came from. */
export function matrixCsv(matrix: CrossDatasetMatrix): string {
  const header = ['run', 'model', 'trained on'];
  for (const c of matrix.columns) {
    const name = `${c.datasetName} (${c.split})`;
    header.push(`${name} AUC`, `${name} CI low`, `${name} CI high`, `${name} n`, `${name} source`);
  }
  const lines = [header.map(csvField).join(',')];
  for (const row of matrix.rows) {
    const fields = [String(row.runId), row.model, row.trainingDatasetName];
    for (const c of matrix.columns) {
      const cell = matrix.cells.find((x) => x.runId === row.runId && x.column === c.key);
      const source = !cell
        ? ''
        : cell.source === 'own'
          ? 'own test scores'
          : `evaluation ${cell.evaluationId} (${cell.checkpoint ?? 'checkpoint not recorded'}${cell.checkpointEpoch ? ` epoch ${cell.checkpointEpoch}` : ''})`;
      fields.push(fixed(cell?.auc), fixed(cell?.interval?.low), fixed(cell?.interval?.high), cell ? String(cell.n) : '', source);
    }
    lines.push(fields.map(csvField).join(','));
  }
  return `${lines.join('\n')}\n`;
}
