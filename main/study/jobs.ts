// The seed's study: which model trains on which dataset with which hyper-parameters (its run_me.sh).
import fs from 'node:fs';
import path from 'node:path';
import type { ModelName } from '../models/registry.js';
import { KERAS_XCEPTION, weightsCacheDir } from '../models/pretrained/xception-weights.js';
import type { OptimizerName } from '../train/optimizers.js';

export interface StudyJob {
  /** Stable key, used in file names. */
  key: string;
  model: ModelName;
  /** Folder name under --data-root. */
  dataset: 'fakes_dataset' | 'synthetic_dataset';
  lr: number;
  batchSize: number;
  epochs: number;
  optimizer: OptimizerName;
  /** Why this job cannot run yet; a skipped job is reported, never faked. */
  skip?: string;
  /** Checked when the study starts: a reason the job cannot run on this machine, or null. */
  unavailable?: () => string | null;
}

/** The Xception fine-tune needs Keras's ImageNet weights in the cache (or internet to fetch them once). */
function xceptionWeightsMissing(): string | null {
  const file = path.join(weightsCacheDir(), KERAS_XCEPTION.notop.file);
  return fs.existsSync(file)
    ? null
    : `Keras's ImageNet Xception weights are not cached (${file}); fetch them once with internet (unmask train -m XceptionBased) or copy the file there`;
}

export const STUDY_JOBS: readonly StudyJob[] = [
  { key: 'simplenet-fakes', model: 'SimpleNet', dataset: 'fakes_dataset', lr: 0.001, batchSize: 32, epochs: 5, optimizer: 'Adam' },
  { key: 'simplenet-synthetic', model: 'SimpleNet', dataset: 'synthetic_dataset', lr: 0.001, batchSize: 32, epochs: 5, optimizer: 'Adam' },
  {
    key: 'xception-synthetic',
    model: 'XceptionBased',
    dataset: 'synthetic_dataset',
    lr: 0.001,
    batchSize: 32,
    epochs: 2,
    optimizer: 'Adam',
    unavailable: xceptionWeightsMissing,
  },
  // The offline pretrained path: the bundled ImageNet MobileNet, frozen, its head trained on cached multi-level
  // features. Not the seed's lr 1e-3 × 2 epochs: the 8928→1000 head overshoots at that rate (test AUC 0.92
  // vs 0.95; chosen on a replica's validation AUC, 0.91 vs 0.95), and 10 head epochs take under a minute.
  { key: 'mobilenet-synthetic', model: 'MobileNetBased', dataset: 'synthetic_dataset', lr: 0.0001, batchSize: 32, epochs: 10, optimizer: 'Adam' },
  {
    key: 'bonus-fakes',
    model: 'Bonus',
    dataset: 'fakes_dataset',
    lr: 0.001,
    batchSize: 32,
    epochs: 5,
    optimizer: 'Adam',
  },
];

/** --quick: images linked per class from each split, and epochs, so CI runs the whole pipeline in seconds. */
export const QUICK = { perClass: { train: 12, val: 6, test: 6 }, epochs: 1 } as const;
