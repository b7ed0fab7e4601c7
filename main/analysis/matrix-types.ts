// The cross-dataset matrix's plain types, shared by the analysis and the API contract (which the renderer type-imports).
import type { EvaluationSplit } from '../store/types.js';

/** A scored dataset: a folder and which of its images (DeepfakeBench's columns are test sets). */
export interface MatrixColumn {
  key: string;
  datasetPath: string;
  datasetName: string;
  split: EvaluationSplit;
}

/** A detector: a run, named by its model and the dataset it was trained on. */
export interface MatrixRow {
  runId: number;
  model: string;
  trainingDataset: string;
  trainingDatasetName: string;
}

/** A run's AUC on one column, and where it comes from. */
export interface MatrixCell {
  runId: number;
  column: string;
  /** null when undefined (one class only). */
  auc: number | null;
  /** 95 % stratified bootstrap interval of the AUC. */
  interval: { low: number; high: number } | null;
  n: number;
  /** 'own': the run's own test scores (its best checkpoint on its own test split); else a stored evaluation. */
  source: 'own' | 'evaluation';
  evaluationId: number | null;
  checkpoint: 'best' | 'last' | null;
  checkpointEpoch: number | null;
}

export interface CrossDatasetMatrix {
  rows: MatrixRow[];
  columns: MatrixColumn[];
  cells: MatrixCell[];
}
