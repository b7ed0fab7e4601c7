// `unmask bonus` (the course assignment's bonus step): a Bonus checkpoint's test AUC, accuracy and parameter count as one JSON line.
import path from 'node:path';
import { scoreImages } from '../analysis/score.js';
import { datasetsFromScan, scanDataset, SPLITS, type SplitName } from '../data/index.js';
import { UnmaskError } from '../engine/errors.js';
import { initEngine } from '../engine/select.js';
import { countTrainableParams, models } from '../models/registry.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { resolveDataset } from './train.js';
import type { COMMANDS } from './commands.js';
import { positiveInt } from './score.js';
import type { ParsedCommand } from './spec.js';

/** What `unmask bonus` prints. */
export interface BonusResult {
  /** ROC AUC of P(fake) on the split (null when it holds one class only). */
  auc: number | null;
  /** Share of images classified right at P(fake) ≥ 0.5 (the argmax), 0–1. */
  accuracy: number;
  /** Trainable parameters of the Bonus model. */
  params: number;
  /** Images scored. */
  n: number;
  split: SplitName;
  checkpoint: string;
  /** The epoch the checkpoint was taken after. */
  epoch: number;
  dataset: string;
  engine: string;
  /** Images that failed to decode and were left out. */
  skipped: number;
  seconds: number;
}

/**
 * Loads the Bonus model from a checkpoint directory (`checkpoint.json` + `weights.bin`, as `train` writes to
 * runs/<id>/best-epoch-N), scores the dataset's split (default test) in inference mode, and prints the result.
 */
export async function bonusCommand({ values }: ParsedCommand<typeof COMMANDS.bonus.options>): Promise<number> {
  if (!values.checkpoint) throw new UnmaskError('BAD_ARGUMENT', '--checkpoint is required');
  const split = values.split as SplitName;
  if (!(SPLITS as readonly string[]).includes(split)) throw new UnmaskError('BAD_ARGUMENT', `--split must be one of ${SPLITS.join(', ')}, got '${split}'`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new UnmaskError('BAD_ARGUMENT', `--seed must be an integer, got '${values.seed}'`);
  const batchSize = positiveInt('batch-size', values['batch-size']) ?? 32;
  const started = performance.now();
  const root = resolveDataset(values.dataset, values['data-root']);
  const engine = (await initEngine()).engine;
  const model = models.Bonus.create();
  try {
    const checkpoint = path.resolve(values.checkpoint);
    const epoch = loadCheckpoint(checkpoint, model);
    // The seed only matters for a flat layout, whose splits are drawn by a seeded hash (training's default is 0).
    const set = datasetsFromScan(await scanDataset(root, { seed }))[split];
    if (set.length === 0) throw new UnmaskError('DATASET_INVALID', `${root} has no ${split} images to score`);
    const tty = process.stderr.isTTY === true;
    const { rows, summary, skipped } = await scoreImages(model, set, {
      batchSize,
      onProgress: tty ? (p) => process.stderr.write(`\rscoring ${p.batch}/${p.batches} ${p.imgPerSec.toFixed(1)} img/s\u001b[K`) : undefined,
    });
    if (tty) process.stderr.write('\n');
    const result: BonusResult = {
      auc: summary?.auc ?? null,
      accuracy: rows.filter((r) => (r.probs[1] >= 0.5 ? 1 : 0) === r.label).length / rows.length,
      params: countTrainableParams(model),
      n: rows.length,
      split,
      checkpoint,
      epoch,
      dataset: root,
      engine,
      skipped: skipped.length,
      seconds: (performance.now() - started) / 1000,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } finally {
    model.dispose();
  }
}
