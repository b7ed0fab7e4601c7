// Run records as the API shows them: store summaries plus the model's parameter count.
import path from 'node:path';
import type { RunRow } from '../api/contract.js';
import type { RunSummary } from '../store/index.js';

/** `parameters` comes from the caller: counting builds the model, which is the analysis worker's job. */
export function toRunRow(run: RunSummary, parameters: number | null): RunRow {
  return {
    id: run.id,
    model: run.model,
    datasetPath: run.datasetPath,
    datasetName: path.basename(run.datasetPath),
    params: run.params,
    parameters,
    engine: run.engine,
    status: run.status,
    createdAt: run.createdAt,
    finishedAt: run.finishedAt,
    error: run.error,
    epochsDone: run.epochsDone,
    bestValAcc: run.bestValAcc,
    bestEpoch: run.bestEpoch,
    testAccAtBestVal: run.testAccAtBestVal,
    auc: run.auc,
    seconds: run.seconds,
  };
}
