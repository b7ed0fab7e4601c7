// Every `unmask` command, described once: its summary, flags and arguments. Parsing, `--help`, `unmask --help` and
// the README's command list are all made from this table (see spec.ts and readme.ts).
import { EXPLAIN_METHODS } from '../analysis/explain/method-names.js';
import {
  artifacts,
  artifactsCache,
  batchSize,
  checkpoint,
  cropFaces,
  dataRoot,
  db,
  queue,
  queueableTrainOptions,
  runFlag,
  s3Endpoint,
  trainOptions,
} from './options.js';
import type { CommandSpec } from './spec.js';

/** Spelled out per command so each command's `Values<…>` type knows its flags. */
export const COMMANDS = {
  engine: {
    summary: 'print the selected engine as one JSON line (UNMASK_ENGINE=gpu|native|wasm|cpu forces one)',
    options: {},
  },
  params: {
    summary: "print a model's trainable parameter count as a bare integer",
    options: {
      model: {
        type: 'string',
        short: 'm',
        value: 'MODEL',
        required: true,
        help: 'SimpleNet, XceptionBased, XceptionRegions, XceptionParts, XceptionStats, MobileNetBased, Bonus, …',
      },
    },
  },
  train: {
    summary: 'train a detector on a dataset: progress on stderr, one JSON line (run id, epochs, accuracies, engine) on stdout',
    details: 'The course assignment\'s flags are the baseline recipe; the others are opt-in (see "Training recipes" in the README).',
    options: {
      ...trainOptions,
      'dry-run': { type: 'boolean', help: 'check the request and print it resolved (every default filled in) as one JSON line, without training' },
    },
  },
  resume: {
    summary: 'continue an interrupted or cancelled run from its last completed epoch',
    options: { db },
    positionals: { name: 'RUN', help: 'the run to continue', min: 1, max: 1 },
  },
  sweep: {
    summary: 'train every combination of the listed models, learning rates, optimizers, batch sizes and seeds: one run each',
    details:
      'With --queue the runs go to the Redis queue and `unmask worker` processes on any machine train them, several at once; without one ' +
      'they run here, one after another. Progress on stderr; one JSON line per run (job, run id, worker, state) on stdout as each ends. ' +
      "The runs are grouped as one sweep in `unmask runs` and the app's Runs screen.",
    options: {
      ...queueableTrainOptions,
      model: { type: 'string', short: 'm', value: 'A,B', help: 'models (default SimpleNet)' },
      lr: { type: 'string', value: 'LR,LR', help: "learning rates (default each model's own)" },
      optimizer: { type: 'string', short: 'o', value: 'A,B', help: 'optimizers (default Adam)' },
      'batch-size': { type: 'string', short: 'b', value: 'N,N', help: 'batch sizes (default 32)' },
      seed: { type: 'string', value: 'N,N', help: 'random seeds (default 0)' },
      queue,
      artifacts,
      's3-endpoint': s3Endpoint,
      'artifacts-cache': artifactsCache,
    },
  },
  runs: {
    summary: 'the run table: model, dataset, parameters, engine, status, best val acc, test acc at best val, own test AUC',
    details:
      "AUCs are the run's own: its best checkpoint on its own test split. Scores of other folders or checkpoints are evaluations (`unmask evaluations`).",
    options: { json: { type: 'boolean', help: 'one JSON object per run instead of the table' }, db },
  },
  'export-log': {
    summary: "a run's per-epoch train/val/test loss and accuracy and its parameters as JSON (the course assignment's log shape)",
    options: { out: { type: 'string', value: 'FILE', help: 'write it here instead of stdout' }, db },
    positionals: { name: 'RUN', help: 'the run', min: 1, max: 1 },
  },
  score: {
    summary: "score a run's own split (its best checkpoint on its own dataset) into the store; prints metrics as one JSON line",
    details:
      "With --dataset (another folder) or --checkpoint last it does not touch the run's own scores: it records an evaluation, as `unmask evaluate` does.",
    options: {
      run: runFlag('the run to score'),
      split: { type: 'string', value: 'test|val|train', default: 'test', help: 'split to score' },
      checkpoint,
      dataset: { type: 'string', short: 'd', value: 'FOLDER', help: 'score another folder (recorded as an evaluation)' },
      'batch-size': batchSize,
      db,
    },
  },
  evaluate: {
    summary: "score a run on any folder, split or checkpoint and store it as an evaluation (the run's own scores are left as they are)",
    details:
      'FOLDER may be laid out as {train,val,test}/{real,fake}, only test/{real,fake}, or flat real/ and fake/. --split all (the default for a ' +
      "folder the run was not trained on; test for its own) scores every image. Prints accuracy at 0.5 and at the run's validation-chosen " +
      'threshold, AUC with a 95 % bootstrap interval, AP and EER as one JSON line.',
    options: {
      run: runFlag('the run to evaluate'),
      dataset: { type: 'string', short: 'd', value: 'FOLDER', required: true, help: 'the folder (or a NAME under --data-root)' },
      split: { type: 'string', value: 'all|test|val|train', help: "which images (default: all, or test on the run's own folder)" },
      checkpoint,
      'batch-size': batchSize,
      'crop-faces': cropFaces,
      'data-root': dataRoot,
      db,
    },
  },
  evaluations: {
    summary: 'list the stored evaluations: run, dataset, split, checkpoint, images, AUC with its interval, accuracy',
    options: { run: { type: 'string', value: 'RUN', help: "only this run's" }, json: { type: 'boolean', help: 'one JSON object per evaluation' }, db },
  },
  predict: {
    summary: "is it fake? One JSON line per image: path, P(fake) and the label at the run's validation-chosen threshold",
    details:
      'Folders are walked in name order and streamed a few batches at a time, so a folder of any size fits in memory. An image that ' +
      'cannot be read gets a line with its error instead, and the exit status is then 1.',
    options: { run: runFlag('the detector to use'), checkpoint, 'batch-size': batchSize, 'crop-faces': cropFaces, db },
    positionals: { name: 'PATH...', help: 'image files and folders', min: 1, max: Infinity },
  },
  matrix: {
    summary: 'the cross-dataset matrix: runs × evaluated datasets, AUC with its interval per cell, as JSON (and figures + CSV)',
    options: {
      out: { type: 'string', value: 'DIR', help: 'also write matrix.svg, matrix.png and matrix.csv here' },
      runs: { type: 'string', value: '1,2,3', help: 'only these runs (default every run with a cell)' },
      db,
    },
  },
  metrics: {
    summary: 'AUC, AP, EER and accuracy of label,score CSV rows as one JSON line',
    options: {
      csv: { type: 'string', value: 'FILE', required: true, help: 'CSV with label (0 real, 1 fake) and score columns' },
      threshold: { type: 'string', value: 'T', default: '0.5', help: 'decision threshold for accuracy and the confusion matrix' },
      bootstrap: { type: 'string', value: 'SAMPLES', help: 'also a stratified bootstrap interval of the AUC' },
      seed: { type: 'string', value: 'N', help: 'seed of the bootstrap (default 0)' },
    },
  },
  figures: {
    summary: 'loss/accuracy (runs overlaid), ROC, DET, confusion, histograms (SVG+PNG) and sample grids of runs',
    options: {
      runs: { type: 'string', value: '1,2,3', required: true, help: 'run ids' },
      out: { type: 'string', value: 'DIR', required: true, help: 'folder to write into' },
      split: { type: 'string', value: 'test|val|train', default: 'test', help: "which of the runs' own score sets" },
      format: { type: 'string', value: 'svg,png', default: 'svg,png', help: 'figure formats' },
      threshold: { type: 'string', value: 'T', default: '0.5', help: 'threshold of the confusion matrices' },
      db,
    },
  },
  explain: {
    summary: 'a saliency or CAM heatmap of one image for a run, blended over it, as PNG, plus one JSON line',
    options: {
      run: runFlag('the run whose detector explains'),
      image: { type: 'string', value: 'PATH', required: true, help: 'the image' },
      method: { type: 'string', value: 'METHOD', required: true, help: `${EXPLAIN_METHODS.slice(0, -1).join(', ')} or ${EXPLAIN_METHODS.at(-1)}` },
      layer: { type: 'string', value: 'NAME', help: "CAM methods: the layer (default the model's)" },
      checkpoint,
      target: { type: 'string', value: 'real|fake|predicted', default: 'predicted', help: 'class to explain' },
      out: { type: 'string', value: 'FILE.png', required: true, help: 'where to write the overlay' },
      'crop-faces': cropFaces,
      db,
    },
  },
  bonus: {
    summary: "a Bonus checkpoint's test AUC, accuracy and parameter count as one JSON line",
    options: {
      checkpoint: { type: 'string', value: 'DIR', required: true, help: 'checkpoint folder (e.g. resources/models/bonus)' },
      dataset: { type: 'string', short: 'd', value: 'DATASET', required: true, help: 'dataset folder, or its NAME under --data-root' },
      'data-root': dataRoot,
      split: { type: 'string', value: 'test|val|train', default: 'test', help: 'split to score' },
      'batch-size': { type: 'string', value: 'N', help: 'images per forward pass (default 32)' },
      seed: { type: 'string', value: 'N', default: '0', help: "seed of a flat layout's split" },
    },
  },
  reproduce: {
    summary: "the course assignment's steps and the best detectors — train, score, cross-dataset evaluation, figures, summary.md",
    options: {
      'data-root': { type: 'string', value: 'DIR', help: 'folder holding fakes_dataset and synthetic_dataset (default UNMASK_DATA_ROOT, else ../shared/data)' },
      out: { type: 'string', value: 'DIR', default: 'figures', help: "folder for the figures, summary.md and the study's database" },
      quick: { type: 'boolean', help: "12/6/6 images per class, 1 epoch (a smoke run, not the study's numbers)" },
      seed: { type: 'string', value: 'N', default: '0', help: 'random seed of every run' },
      'xception-weights': { type: 'string', value: 'FILE', help: "Keras's ImageNet Xception no-top .h5 (default UNMASK_XCEPTION_WEIGHTS, else the cache)" },
      db: { type: 'string', value: 'FILE', help: 'run database (default OUT/study/unmask.db)' },
    },
  },
  serve: {
    summary: 'browser mode: the app on http://127.0.0.1 with an access token (npm run serve builds the UI first)',
    options: {
      port: { type: 'string', value: 'N', default: '5175', help: 'port (0 = any free one)' },
      db,
      'data-root': { type: 'string', value: 'DIR', help: 'folder whose sub-folders the app offers as datasets' },
      token: { type: 'string', value: 'TOKEN', help: 'access token (default UNMASK_TOKEN, else a random one)' },
      queue,
      artifacts,
      's3-endpoint': s3Endpoint,
      'artifacts-cache': artifactsCache,
    },
  },
  worker: {
    summary: 'take training, evaluation and feature-extraction jobs from a Redis queue, each in its own process, until stopped',
    details:
      'Prints one JSON line (its name host:pid:engine, the queue, the roots) and logs jobs on stderr. The data root and the artifact root are ' +
      "the coordinator's folders as this machine mounts them (jobs name paths relative to them; nothing outside them is read). A worker that " +
      'dies has its training job continued by another from the last completed epoch; Ctrl-C hands running jobs back at once.',
    options: {
      queue: { ...queue, help: 'the Redis job queue, redis://HOST:PORT or rediss://USER:PASSWORD@HOST:PORT (default UNMASK_QUEUE)' },
      concurrency: { type: 'string', value: 'N', default: '1', help: 'jobs run at once (each in its own process)' },
      'data-root': { type: 'string', value: 'DIR', help: "the coordinator's data root as mounted here (default UNMASK_DATA_ROOT)" },
      artifacts: {
        type: 'string',
        value: 'DIR|s3://B/P',
        help: "the coordinator's artifact root as mounted here, or its S3 bucket and prefix (default UNMASK_ARTIFACTS)",
      },
      's3-endpoint': s3Endpoint,
      'artifacts-cache': artifactsCache,
      name: { type: 'string', value: 'NAME', help: 'the name the fleet view shows (default host:pid:engine)' },
      'lock-seconds': { type: 'string', value: 'N', default: '30', help: "a job's lock: a dead worker's job is taken over after about this long" },
    },
  },
  bench: {
    summary: 'engine throughput beside PyTorch (engine), explanation latency (explain), memory under load (soak), a sweep over 1, 2, 4 queue workers (queue)',
    options: {
      quick: { type: 'boolean', help: 'engine, soak, queue: a shorter run' },
      'with-cpu': { type: 'boolean', help: 'engine: include the pure-JS cpu engine (minutes per step)' },
      rounds: {
        type: 'string',
        value: 'N',
        default: '1',
        help: 'engine: rounds of every engine and PyTorch, the order flipped each round; RATIO lines per round and their median',
      },
      engines: { type: 'string', value: 'LIST', help: 'engine: only these engines, comma-separated (e.g. native,wasm)' },
      child: { type: 'boolean', help: 'internal: measure the engine of this process', hidden: true },
    },
    positionals: { name: 'engine|explain|soak|queue', help: 'which benchmark', min: 1, max: 1 },
  },
  help: {
    summary: "this list, or one command's help (`unmask help evaluate` = `unmask evaluate --help`)",
    options: { markdown: { type: 'boolean', help: "print the README's command list (made from this same table)" } },
    positionals: { name: 'COMMAND', help: 'a command', min: 0, max: 1 },
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}
