// Run records as the API shows them: store summaries plus the model's parameter count and where each number comes from.
import type { RunRow, ScoreSource, SplitName } from '../api/contract.js';
import { scoreOriginLabel } from '../analysis/score-source.js';
import { foldersName, runFolders } from '../data/run-folders.js';
import type { JobRecord, RunSummary } from '../store/index.js';

/** The source of a run's own scores of `split` (its best checkpoint on that split of its own dataset). */
export function ownScoreSource(run: Pick<RunSummary, 'datasetPath' | 'params'>, split: SplitName, checkpointEpoch: number | null): ScoreSource {
  const datasetName = foldersName(runFolders(run));
  const origin = { kind: 'own' as const, datasetPath: run.datasetPath, datasetName, split, checkpoint: 'best' as const, checkpointEpoch };
  return { ...origin, evaluationId: null, label: scoreOriginLabel(origin) };
}

const isSplit = (s: string): s is SplitName => s === 'train' || s === 'val' || s === 'test';

/**
 * `parameters` comes from the caller: counting builds the model, which is the analysis worker's job. `job` is
 * the training job that recorded the run, if the ledger has it.
 */
export function toRunRow(run: RunSummary, parameters: number | null, evaluations: number, job: Pick<JobRecord, 'sweep' | 'worker'> | null = null): RunRow {
  const test = run.ownScores.find((s) => s.split === 'test');
  return {
    id: run.id,
    model: run.model,
    datasetPath: run.datasetPath,
    datasetPaths: runFolders(run),
    datasetName: foldersName(runFolders(run)),
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
    testAuc: run.testAuc,
    testAucSource: test ? ownScoreSource(run, 'test', test.checkpointEpoch) : null,
    missingOwnScores: run.missingOwnScores.flatMap((m) => (isSplit(m.split) ? [{ split: m.split, reason: m.reason, evaluationId: m.evaluationId }] : [])),
    evaluations,
    seconds: run.seconds,
    sweep: job?.sweep ?? null,
    worker: job?.worker ?? null,
  };
}
