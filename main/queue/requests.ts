// The coordinator's side of a job's payload: a checked training request as the queue carries it, an evaluation's
// run snapshot, and the checkpoints a run trained here publishes to the artifact root first.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { JobRequest } from '../api/contract.js';
import { trainRequest } from '../api/schemas.js';
import { runFolders } from '../data/run-folders.js';
import { modelEntry } from '../models/registry.js';
import { UnmaskError } from '../engine/errors.js';
import type { RunStore } from '../store/index.js';
import type { TrainRequest } from '../train/request.js';
import { datasetFolders } from '../train/request-schema.js';
import type { EvaluatePayload, TrainPayload } from './payloads.js';
import type { Roots } from './record.js';

/** The API-shaped request of a checked one (defaults filled in), dataset and all. */
export function apiRequestOf(checked: TrainRequest): JobRequest {
  const keys = Object.keys(trainRequest.shape) as (keyof JobRequest)[];
  return Object.fromEntries(
    keys.filter((k) => checked[k as keyof TrainRequest] !== undefined).map((k) => [k, checked[k as keyof TrainRequest]]),
  ) as unknown as JobRequest;
}

/**
 * Whether a run trains on a frozen trunk, whose feature views are then extracted in shards first: a pretrained
 * model with the backbone not unfrozen whole and not explicitly fine-tuned.
 */
export function usesFeatureShards(checked: TrainRequest): boolean {
  return modelEntry(checked.model).pretrained != null && checked.freezeBackbone !== false && checked.unfreezeBlocks !== 'all';
}

/**
 * The one folder of a queued request. A queue job names its folder relative to the data root and its run records
 * that folder; training on several folders together runs on this machine only.
 */
export function queuedFolder(dataset: string | readonly string[]): string {
  const folders = datasetFolders(dataset);
  if (folders.length > 1) {
    throw new UnmaskError(
      'BAD_ARGUMENT',
      `the job queue trains on one dataset folder, not ${folders.length} (${folders.join(' + ')}): train several folders together on this machine`,
    );
  }
  return folders[0]!;
}

/** A checked request as a train job carries it: API fields only, the dataset relative to the data root. */
export function queuedRequest(checked: TrainRequest, roots: Roots): TrainPayload['request'] {
  const request = { ...apiRequestOf(checked), dataset: roots.dataRoot.relative(queuedFolder(checked.dataset)) };
  // Shards are extracted for a frozen trunk: the worker must not decide otherwise for its engine.
  return usesFeatureShards(checked) ? { ...request, freezeBackbone: true } : request;
}

/**
 * A checkpoint folder as a path relative to the artifact root: as it is when the run was trained by the queue,
 * else copied once to `published/<database>/run-<id>/` (a run trained on this machine, evaluated by a worker).
 */
function sharedCheckpoint(store: RunStore, runId: number, folder: string, roots: Roots): string {
  try {
    return roots.artifacts.relative(folder);
  } catch {
    const key = createHash('sha256').update(store.file).digest('hex').slice(0, 12);
    const rel = `published/${key}/run-${runId}/${path.basename(folder)}`;
    const target = roots.artifacts.resolve(rel);
    if (!fs.existsSync(target)) {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.cpSync(folder, `${target}.tmp-${process.pid}`, { recursive: true });
      fs.renameSync(`${target}.tmp-${process.pid}`, target);
    }
    return rel;
  }
}

/** `file` relative to the data root, or null when it is not under it. */
function dataRelative(file: string, roots: Roots): string | null {
  try {
    return roots.dataRoot.relative(file);
  } catch {
    return null;
  }
}

/**
 * What an evaluation job needs of run `runId`: its epochs and checkpoints (published to the artifact root), its
 * folder relative to the data root (null when not under it), and its own validation scores, which set its threshold.
 */
export function evaluationRun(store: RunStore, runId: number, roots: Roots): EvaluatePayload['run'] {
  const run = store.getRun(runId);
  const checkpoints = store
    .getCheckpoints(runId)
    .map((c) => ({ ...c, path: sharedCheckpoint(store, runId, path.resolve(path.dirname(store.file), c.path), roots) }));
  const snapshot = {
    run: { model: run.model, datasetFingerprint: run.datasetFingerprint, params: run.params, engine: run.engine },
    epochs: store.getEpochs(runId),
    checkpoints,
  };
  // A run of several folders is not one folder of the data root: no folder is its own (as for one outside the root).
  const folders = runFolders(run);
  const dataset = folders.length === 1 ? dataRelative(folders[0]!, roots) : null;
  const own = store
    .listRuns()
    .find((r) => r.id === runId)
    ?.ownScores.find((s) => s.split === 'val');
  const rows = store.getScores(runId, 'val').map((r) => ({ ...r, path: dataRelative(r.path, roots) }));
  const valScores =
    own?.checkpointEpoch != null && rows.length > 0 && rows.every((r) => r.path !== null)
      ? { split: 'val' as const, checkpointEpoch: own.checkpointEpoch, rows: rows.map((r) => ({ ...r, path: r.path! })) }
      : null;
  return { snapshot, dataset, valScores };
}
