// A queue worker's evaluation and feature-shard jobs: each one request to an analysis-worker process on a scratch store.
import path from 'node:path';
import { RunStore } from '../store/index.js';
import { runAnalysisProcess } from './child-jobs.js';
import { restoreSnapshot } from './journal.js';
import { evaluatePayload, featuresPayload, mapRowPaths, parseWire, scoreRowFromWire, type EvaluateResult, type FeaturesResult } from './payloads.js';
import { checkedRequest, withScratchStore, type JobHandle, type WorkerContext } from './worker-context.js';

/**
 * Scores the payload's run on a folder of the data root, as `evaluateRun` does on the coordinator: the run (its
 * checkpoints on the artifact root) and its own validation scores, which set its threshold, are recorded in a
 * scratch store first. The result is the evaluation, image paths relative to the data root, for the coordinator
 * to record. With an S3 artifact root the run's checkpoints are pulled into this machine's mirror first.
 */
export async function evaluateJob(job: JobHandle, ctx: WorkerContext, signal: AbortSignal): Promise<EvaluateResult> {
  const payload = parseWire(evaluatePayload, job.data, 'evaluate job');
  const dataset = ctx.dataRoot.resolve(payload.params.dataset);
  // A run trained elsewhere than on the data root cannot score its own validation split here: its threshold is then missing.
  const runDataset = payload.run.dataset ? ctx.dataRoot.resolve(payload.run.dataset) : path.join(ctx.dataRoot.dir, '.not-on-the-data-root');
  await ctx.sync?.pullAll(payload.run.snapshot.checkpoints.map((c) => c.path));
  return withScratchStore(async (dbPath) => {
    const store = RunStore.open(dbPath);
    try {
      const runId = restoreSnapshot(store, payload.run.snapshot, runDataset, ctx.artifacts);
      const val = payload.run.valScores;
      if (val)
        store.saveScores(
          runId,
          'val',
          mapRowPaths(val.rows.map(scoreRowFromWire), (p) => ctx.dataRoot.join(p)),
          { checkpointEpoch: val.checkpointEpoch },
        );
      store.close();
      const { split, checkpoint, cropFaces } = payload.params;
      const { evaluationId } = await runAnalysisProcess(dbPath, 'evaluate', { runId, dataset, split, checkpoint, cropFaces }, signal);
      const reopened = RunStore.open(dbPath);
      try {
        const e = reopened.getEvaluation(evaluationId);
        return {
          worker: ctx.name,
          datasetFingerprint: e.datasetFingerprint,
          split: e.split,
          checkpoint: e.checkpoint ?? 'best',
          checkpointEpoch: e.checkpointEpoch ?? 1,
          preprocess: e.preprocess,
          rows: mapRowPaths(reopened.getEvaluationScores(evaluationId), (p) => ctx.dataRoot.relative(p)),
          metrics: e.metrics ?? {},
          engine: e.engine,
          skipped: e.skipped,
          trainedOn: e.note !== null,
        };
      } finally {
        reopened.close();
      }
    } finally {
      store.close();
    }
  });
}

/**
 * Writes one shard of a frozen-backbone run's feature cache (`feature-cache/` of the artifact root). With an S3
 * artifact root the cache is pulled first (views already there are not computed again) and pushed after.
 */
export async function featuresJob(job: JobHandle, ctx: WorkerContext, signal: AbortSignal): Promise<FeaturesResult> {
  const payload = parseWire(featuresPayload, job.data, 'features job');
  const request = checkedRequest(payload.request, ctx.dataRoot);
  const cacheRoot = ctx.artifacts.resolve('feature-cache');
  await ctx.sync?.pull('feature-cache');
  const result = await withScratchStore((dbPath) => runAnalysisProcess(dbPath, 'features', { request, shard: payload.shard, cacheRoot }, signal));
  await ctx.sync?.push('feature-cache');
  return { worker: ctx.name, ...result };
}
