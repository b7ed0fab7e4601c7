// A queued training run's state beside its checkpoints on the artifact root: what the next worker resumes from.
import fs from 'node:fs';
import path from 'node:path';
import type { CheckpointRecord, EpochRecord, RunStore, TrainParams } from '../store/index.js';
import { epochFromWire, type WireSnapshot } from './payloads.js';
import type { SharedRoot } from './roots.js';

/** What a run is, as every machine can record it (its dataset path is each machine's own). */
export interface RunIdentity {
  model: string;
  datasetFingerprint: string;
  params: TrainParams;
  engine: string;
}

/** A checkpoint as it crosses the queue: its folder relative to the artifact root. */
export type SharedCheckpoint = CheckpointRecord;

/** The run and its completed epochs with their checkpoints (paths relative to the artifact root). */
export interface RunSnapshot {
  run: RunIdentity;
  epochs: EpochRecord[];
  checkpoints: SharedCheckpoint[];
}

/** Where the training state of queue job `jobId` is kept, under the artifact root. */
export function jobFolder(artifacts: SharedRoot, jobId: string): string {
  return artifacts.resolve(`jobs/${jobId}`);
}

/** The snapshot of run `runId` in `store` (checkpoint paths made relative to `artifacts`). */
export function snapshotOf(store: RunStore, runId: number, artifacts: SharedRoot): RunSnapshot {
  const run = store.getRun(runId);
  return {
    run: { model: run.model, datasetFingerprint: run.datasetFingerprint, params: run.params, engine: run.engine },
    epochs: store.getEpochs(runId),
    checkpoints: store.getCheckpoints(runId).map((c) => ({ ...c, path: artifacts.relative(c.path) })),
  };
}

/**
 * Writes the snapshot of `runId` to `file`, flushed and renamed into place. Called after an epoch's checkpoints
 * are on disk and recorded, before older ones are pruned: a worker killed at any point leaves a journal whose
 * last checkpoint exists.
 */
export function writeJournal(file: string, store: RunStore, runId: number, artifacts: SharedRoot): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, JSON.stringify(snapshotOf(store, runId, artifacts)));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** The journal a previous attempt left (unchecked JSON), or null when the job never got as far as creating its run. */
export function readJournal(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  return JSON.parse(text) as unknown;
}

/**
 * Records a snapshot as run 1 of an empty scratch store (its dataset at `datasetPath` on this machine), so the
 * usual resume continues it. Returns the run id.
 */
export function restoreSnapshot(store: RunStore, snapshot: WireSnapshot, datasetPath: string, artifacts: SharedRoot): number {
  const { id } = store.createRun({ ...snapshot.run, datasetPath });
  for (const epoch of snapshot.epochs) {
    const checkpoints = snapshot.checkpoints.filter((c) => c.epoch === epoch.epoch).map((c) => ({ ...c, path: artifacts.resolve(c.path) }));
    store.recordEpoch(id, epochFromWire(epoch), checkpoints);
  }
  return id;
}
