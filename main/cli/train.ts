// `unmask train` and `unmask resume`: the course assignment's training flags, progress on stderr, one JSON line on stdout.
import fs from 'node:fs';
import path from 'node:path';
import { UnmaskError } from '../engine/errors.js';
import { defaultDbPath, RunStore } from '../store/index.js';
import { resumeRun, trainRun, type SessionOptions, type TrainOutcome } from '../train/session.js';
import { checkTrainRequest, type TrainRequest } from '../train/request.js';
import type { ModelName } from '../models/registry.js';
import type { OptimizerName } from '../train/optimizers.js';
import type { AugmentPolicy, HeadFit, LrSchedule, SelectBy, SelfBlendMode, TrainViews } from '../train/recipe-types.js';
import type { COMMANDS } from './commands.js';
import { trainingProgress } from './progress.js';
import type { ParsedCommand } from './spec.js';

/** The database: --db, else UNMASK_DB, else the app's user-data folder. Checkpoints go in `runs/` beside it. */
export function openStore(db: string | undefined): { store: RunStore; runsDir: string } {
  const file = path.resolve(db ?? defaultDbPath());
  return { store: RunStore.open(file), runsDir: path.join(path.dirname(file), 'runs') };
}

/** DATASET is a folder path, or a name under --data-root (default UNMASK_DATA_ROOT). */
export function resolveDataset(dataset: string | undefined, dataRoot: string | undefined): string {
  if (!dataset) throw new UnmaskError('BAD_ARGUMENT', 'a dataset is required: -d PATH, or -d NAME with --data-root DIR');
  if (fs.existsSync(dataset)) return path.resolve(dataset);
  const root = dataRoot ?? process.env.UNMASK_DATA_ROOT;
  if (root && fs.existsSync(path.join(root, dataset))) return path.resolve(root, dataset);
  throw new UnmaskError(
    'NOT_FOUND',
    `no dataset folder '${dataset}'${root ? ` (nor ${path.join(root, dataset)})` : ' (set --data-root or UNMASK_DATA_ROOT to use a name)'}`,
  );
}

/** `-d` given once is that folder; given several times, the list of folders (each resolved as resolveDataset does). */
function resolveDatasets(datasets: readonly string[] | undefined, dataRoot: string | undefined): string | string[] {
  if (!datasets || datasets.length <= 1) return resolveDataset(datasets?.[0], dataRoot);
  return datasets.map((d) => resolveDataset(d, dataRoot));
}

/** Ctrl-C cancels the run cleanly (marked cancelled, checkpoints kept); a second Ctrl-C exits at once. */
function cancelOnSigint(): AbortController {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\ncancelling after this batch (Ctrl-C again to quit now)\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  return controller;
}

type TrainFlags = ParsedCommand<typeof COMMANDS.train.options>['values'];

/** The request the training flags ask for, unchecked (a flag left out is undefined); `unmask sweep` reuses it. */
export function requestFromFlags(
  values: Omit<TrainFlags, 'weights' | 'feature-views'> & Partial<Pick<TrainFlags, 'weights' | 'feature-views'>>,
): Partial<TrainRequest> & { dataset: string | string[] } {
  const pair = (yes: boolean | undefined, no: boolean | undefined, name: string): boolean | undefined => {
    if (yes && no) throw new UnmaskError('BAD_ARGUMENT', `--${name} and --no-${name} contradict each other`);
    return yes ? true : no ? false : undefined;
  };
  const num = (v: string | undefined): number | undefined => (v == null ? undefined : Number(v));
  return {
    dataset: resolveDatasets(values.dataset, values['data-root']),
    model: values.model as ModelName | undefined,
    optimizer: values.optimizer as OptimizerName | undefined,
    lr: num(values.lr),
    batchSize: num(values['batch-size']),
    epochs: num(values.epochs),
    seed: num(values.seed),
    pretrained: pair(values.pretrained, values['no-pretrained'], 'pretrained'),
    weights: values.weights,
    freezeBackbone: pair(values['freeze-backbone'], values['no-freeze-backbone'], 'freeze-backbone'),
    featureViews: num(values['feature-views']),
    unfreezeBlocks: values['unfreeze-blocks'] === 'all' ? 'all' : num(values['unfreeze-blocks']),
    backboneLrScale: num(values['backbone-lr-scale']),
    schedule: values.schedule as LrSchedule | undefined,
    warmupEpochs: num(values['warmup-epochs']),
    weightDecay: num(values['weight-decay']),
    selectBy: values['select-by'] as SelectBy | undefined,
    patience: num(values.patience),
    ttaFlip: values['tta-flip'],
    selfBlend: values['self-blend'] as SelfBlendMode | undefined,
    trainViews: values['train-views'] as TrainViews | undefined,
    headFit: values['head-fit'] as HeadFit | undefined,
    cropFaces: values['crop-faces'],
    augment: values.augment as AugmentPolicy | undefined,
    balancedBatches: values['balanced-batches'],
  };
}

export async function trainCommand({ values }: ParsedCommand<typeof COMMANDS.train.options>): Promise<number> {
  const request = checkTrainRequest(requestFromFlags(values));
  if (values['dry-run']) {
    process.stdout.write(`${JSON.stringify(request)}\n`);
    return 0;
  }
  return withSession(values.db, (store, options) => trainRun(store, request, options));
}

/** Opens the store, runs one training session with Ctrl-C cancel and progress on stderr, prints its outcome. */
async function withSession(db: string | undefined, run: (store: RunStore, options: SessionOptions) => Promise<TrainOutcome>): Promise<number> {
  const { store, runsDir } = openStore(db);
  try {
    const outcome = await run(store, { runsDir, signal: cancelOnSigint().signal, onEvent: trainingProgress() });
    process.stdout.write(`${JSON.stringify(outcome)}\n`);
    return 0;
  } finally {
    store.close();
  }
}

export async function resumeCommand({ values, positionals }: ParsedCommand<typeof COMMANDS.resume.options>): Promise<number> {
  const id = Number(positionals[0]);
  if (!Number.isInteger(id) || id < 1) throw new UnmaskError('BAD_ARGUMENT', `unmask resume: RUN must be a run id, got '${positionals[0]}'`);
  return withSession(values.db, (store, options) => resumeRun(store, id, options));
}
