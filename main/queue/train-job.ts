// A queue worker's training job: a new run, or the run a dead worker left, continued from its last completed epoch.
import path from 'node:path';
import { RunStore } from '../store/index.js';
import type { TrainWorkerMessage } from '../worker/protocol.js';
import { runAnalysisProcess, runTrainProcess } from './child-jobs.js';
import { jobFolder, readJournal, restoreSnapshot, snapshotOf } from './journal.js';
import { mapRowPaths, parseWire, runSnapshot, trainPayload, type TrainResult, type WireScoreSet } from './payloads.js';
import { queuedFolder, usesFeatureShards } from './requests.js';
import { checkedRequest, progressSender, withScratchStore, type JobHandle, type WorkerContext } from './worker-context.js';

/**
 * Trains the job's run in a train-worker process on a scratch store, its checkpoints and journal in
 * `jobs/<job id>/` of the artifact root and its feature cache in `feature-cache/`. When an earlier attempt left
 * a journal (its worker died), the run is restored from it and resumed from its last completed epoch, so the
 * result equals an uninterrupted run's; a journal with every epoch done only needs the run scored. Progress
 * ('run', 'progress', 'epoch') goes out as job progress; the result is the run's snapshot and own val/test scores.
 * With an S3 artifact root the job folder and the feature cache are pulled into this machine's mirror first, and
 * the job folder pushed after each epoch (before the epoch is reported) and at the end.
 */
export async function trainJob(job: JobHandle, ctx: WorkerContext, signal: AbortSignal): Promise<TrainResult> {
  const payload = parseWire(trainPayload, job.data, 'train job');
  const request = checkedRequest(payload.request, ctx.dataRoot);
  const folder = jobFolder(ctx.artifacts, job.id);
  const rel = `jobs/${job.id}`;
  const frozen = usesFeatureShards(request);
  await ctx.sync?.pull(rel);
  if (frozen) await ctx.sync?.pull('feature-cache');
  // Checkpoints before the journal that names them: the bucket never holds a journal whose checkpoint it lacks.
  const pushJob = async () => {
    await ctx.sync?.push(`${rel}/runs`);
    await ctx.sync?.push(`${rel}/journal.json`);
  };
  const journalFile = path.join(folder, 'journal.json');
  const found = readJournal(journalFile);
  const prior = found ? parseWire(runSnapshot, found, `journal ${journalFile}`) : null;
  const progress = progressSender(job);
  return withScratchStore(async (dbPath) => {
    const store = RunStore.open(dbPath);
    const runId = prior ? restoreSnapshot(store, prior, queuedFolder(request.dataset), ctx.artifacts) : null;
    store.close();
    const location = { dbPath, runsDir: path.join(folder, 'runs'), featureCacheDir: ctx.artifacts.resolve('feature-cache') };
    const journal = { file: journalFile, artifactRoot: ctx.artifacts.dir };
    let featuresComputed: number | null = null;
    let wallSeconds = 0;
    if (prior && runId !== null && prior.epochs.length >= request.epochs) {
      // Every epoch was done when the last worker died: only the run's own scores are left to take.
      for (const split of ['val', 'test'] as const) await runAnalysisProcess(dbPath, 'score', { runId, split }, signal);
    } else {
      const relay = relayTo(progress, dbPath, ctx, ctx.sync ? pushJob : undefined);
      const command =
        runId !== null ? { type: 'resume' as const, runId, store: location, journal } : { type: 'start' as const, request, store: location, journal };
      const outcome = await runTrainProcess(command, relay, signal);
      featuresComputed = outcome.features?.computed ?? null;
      wallSeconds = outcome.wallSeconds;
    }
    await progress.flush();
    await pushJob();
    if (frozen) await ctx.sync?.push('feature-cache');
    return { worker: ctx.name, ...readResult(dbPath, ctx), wallSeconds, featuresComputed };
  });
}

/**
 * The train worker's messages as job progress; a run and an epoch are described from the scratch store it writes.
 * `beforeEpoch` runs before an epoch is reported (its checkpoints pushed, for the coordinator to pull).
 */
function relayTo(
  progress: ReturnType<typeof progressSender>,
  dbPath: string,
  ctx: WorkerContext,
  beforeEpoch?: () => Promise<void>,
): (m: TrainWorkerMessage) => void {
  const read = <T>(fn: (store: RunStore) => T): T => {
    const store = RunStore.open(dbPath);
    try {
      return fn(store);
    } finally {
      store.close();
    }
  };
  let runId = 0;
  return (m) => {
    if (m.type === 'run') {
      runId = m.runId;
      const { run } = read((s) => snapshotOf(s, runId, ctx.artifacts));
      progress.send({ type: 'run', worker: ctx.name, run, startEpoch: m.startEpoch });
    } else if (m.type === 'progress') progress.send({ type: 'progress', worker: ctx.name, progress: m.progress });
    else if (m.type === 'epoch') {
      const { checkpoints } = read((s) => snapshotOf(s, runId, ctx.artifacts));
      progress.send({ type: 'epoch', worker: ctx.name, epoch: m.epoch, checkpoints: checkpoints.filter((c) => c.epoch === m.epoch.epoch) }, beforeEpoch);
    }
  };
}

/** The finished run from the scratch store: snapshot, and own scores with image paths relative to the data root. */
function readResult(dbPath: string, ctx: WorkerContext): Pick<TrainResult, 'snapshot' | 'scores'> {
  const store = RunStore.open(dbPath);
  try {
    const summary = store.listRuns()[0]!;
    const scores: WireScoreSet[] = summary.ownScores.flatMap((set) => {
      if ((set.split !== 'val' && set.split !== 'test') || set.checkpointEpoch === null) return [];
      const rows = mapRowPaths(store.getScores(summary.id, set.split), (p) => ctx.dataRoot.relative(p));
      return [{ split: set.split, checkpointEpoch: set.checkpointEpoch, rows }];
    });
    return { snapshot: snapshotOf(store, summary.id, ctx.artifacts), scores };
  } finally {
    store.close();
  }
}
