// Loads a recorded run's detector with one of its checkpoints (for scoring, explaining and serving).
import type * as tf from '@tensorflow/tfjs';
import { UnmaskError } from '../engine/errors.js';
import { isModelName, MODEL_NAMES, models, type ModelEntry, type ModelName } from '../models/registry.js';
import type { CheckpointRecord, RunRecord, RunStore } from '../store/index.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { findCheckpoint, type CheckpointKind } from './score.js';

export interface RunModel {
  run: RunRecord;
  name: ModelName;
  entry: ModelEntry;
  checkpoint: CheckpointRecord;
  /** Owned by the caller: dispose it. */
  model: tf.LayersModel;
}

/** Builds run `runId`'s model and loads its `kind` checkpoint. The engine must be initialised first. */
export function loadRunModel(store: RunStore, runId: number, kind: CheckpointKind = 'best'): RunModel {
  const run = store.getRun(runId);
  if (!isModelName(run.model))
    throw new UnmaskError('BAD_ARGUMENT', `run ${runId} uses model '${run.model}', which this build does not have (${MODEL_NAMES.join(', ')})`);
  const checkpoint = findCheckpoint(store, runId, kind);
  const entry: ModelEntry = models[run.model];
  const model = entry.create();
  try {
    loadCheckpoint(checkpoint.path, model);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { run, name: run.model, entry, checkpoint, model };
}
