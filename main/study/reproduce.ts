// `unmask reproduce`: the course assignment's whole study in one command — train, score, cross-dataset evaluation, figures, summary.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { evaluateRun } from '../analysis/evaluate.js';
import { writeMatrixFiles } from '../analysis/figures/matrix-files.js';
import { crossDatasetMatrix } from '../analysis/matrix.js';
import { bootstrapAucInterval } from '../analysis/metrics.js';
import { exportFigures } from '../analysis/figures/export.js';
import { explainGrid } from '../analysis/explain/index.js';
import { findCheckpoint, scoreRun } from '../analysis/score.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { decodeImage, linkSubset, normalise, type DatasetScan } from '../data/index.js';
import { FaceFinder, faceCacheDir } from '../data/face-cache.js';
import { UnmaskError } from '../engine/errors.js';
import { readsPartBoxes } from '../models/xception-parts.js';
import { countTrainableParams, modelEntry, models } from '../models/registry.js';
import type { RunStore } from '../store/index.js';
import { trainRun, type TrainEvent } from '../train/session.js';
import { checkTrainRequest } from '../train/request.js';
import { QUICK, STUDY_JOBS, xceptionWeights, type StudyJob } from './jobs.js';
import { describeRecipe, renderSummary, trainedBy, type JobResult, type StudyReport } from './summary.js';
import { selfBlendGrid } from '../analysis/figures/self-blend-grid.js';

export interface StudyOptions {
  dataRoot: string;
  out: string;
  quick: boolean;
  seed: number;
  store: RunStore;
  runsDir: string;
  /** Keras's ImageNet Xception no-top .h5 for the Xception step (else UNMASK_XCEPTION_WEIGHTS, else the cache). */
  xceptionWeights?: string;
  onEvent?: (event: TrainEvent) => void;
  log: (line: string) => void;
}

function datasetFor(job: StudyJob, options: StudyOptions, scratch: string): string {
  const full = path.resolve(options.dataRoot, job.dataset);
  if (!fs.existsSync(full)) throw new UnmaskError('NOT_FOUND', `dataset ${job.dataset} not found under ${options.dataRoot}`);
  if (!options.quick) return full;
  const subset = path.join(scratch, job.dataset);
  return fs.existsSync(subset) ? subset : linkSubset(full, subset, QUICK.perClass);
}

async function runJob(
  job: StudyJob & { model: keyof typeof models },
  options: StudyOptions,
  scratch: string,
  scans: Map<string, DatasetScan>,
  weights: string | undefined,
): Promise<JobResult> {
  const request = checkTrainRequest({
    weights,
    dataset: datasetFor(job, options, scratch),
    model: job.model,
    optimizer: job.optimizer,
    lr: job.lr,
    batchSize: job.batchSize,
    epochs: options.quick ? QUICK.epochs : job.epochs,
    seed: options.seed,
    ...(job.featureViews ? { featureViews: job.featureViews } : {}),
    ...job.recipe,
  });
  const recipe = job.recipe ? ` (${describeRecipe(job.recipe)})` : '';
  options.log(`== ${job.key}: ${job.model} on ${job.dataset}, ${request.epochs} epoch(s), ${trainedBy(job)} batch ${job.batchSize}${recipe}`);
  const outcome = await trainRun(options.store, request, {
    runsDir: options.runsDir,
    onEvent: (event) => {
      if (event.type === 'scan') scans.set(job.dataset, event.scan);
      options.onEvent?.(event);
    },
  });
  await scoreRun(options.store, outcome.run, { split: 'val' });
  const test = await scoreRun(options.store, outcome.run, { split: 'test' });
  const rows = options.store.getScores(outcome.run, 'test');
  const labels = rows.map((r) => r.label);
  const fake = rows.map((r) => r.probs[1]);
  const model = models[job.model].create();
  const params = countTrainableParams(model);
  model.dispose();
  return {
    job,
    run: outcome.run,
    params,
    epochs: outcome.epochs,
    bestEpoch: outcome.bestEpoch,
    bestValAcc: outcome.bestValAcc,
    testAccAtBestVal: outcome.testAccAtBestVal,
    wallSeconds: outcome.wallSeconds,
    engine: outcome.engine,
    test: test.summary,
    aucInterval: test.summary ? bootstrapAucInterval(labels, fake, { samples: 1000, seed: options.seed }) : null,
  };
}

/** The course assignment's explanation figure: 4 real and 4 fake test images × (image, saliency, Grad-CAM), best checkpoint. */
async function writeExplainGrid(options: StudyOptions, result: JobResult): Promise<string> {
  const rows = options.store.getScores(result.run, 'test');
  const pick = (label: 0 | 1) => rows.filter((r) => r.label === label).slice(0, 4);
  const entry = models[result.job.model as keyof typeof models];
  const model = entry.create();
  try {
    loadCheckpoint(findCheckpoint(options.store, result.run, 'best').path, model);
    const faces = readsPartBoxes(model) ? new FaceFinder(faceCacheDir(options.store.file)) : null;
    const images = await Promise.all(
      [...pick(0), ...pick(1)].map(async (r) => {
        const bytes = await decodeImage(r.path);
        return { input: normalise(bytes), label: r.label, landmarks: faces ? await faces.landmarks(bytes) : null };
      }),
    );
    const file = `explain-${result.run}.png`;
    fs.writeFileSync(path.join(options.out, file), await explainGrid(model, images, entry.camLayer));
    return file;
  } finally {
    model.dispose();
  }
}

/** A sample of the self-blended pseudo-fakes that `--self-blend` trains with, made from fakes_dataset's real faces. */
async function writePseudoFakes(options: StudyOptions, scratch: string): Promise<string> {
  const file = 'self-blended-pseudo-fakes.png';
  const root = datasetFor({ dataset: 'fakes_dataset' } as StudyJob, options, scratch);
  fs.writeFileSync(
    path.join(options.out, file),
    await selfBlendGrid(root, { count: 8, seed: options.seed, faces: new FaceFinder(faceCacheDir(options.store.file)) }),
  );
  return file;
}

/** The study's other dataset: where a detector trained on one is tested for generalisation. */
function otherDataset(dataset: StudyJob['dataset']): StudyJob['dataset'] {
  return dataset === 'fakes_dataset' ? 'synthetic_dataset' : 'fakes_dataset';
}

/**
 * Evaluates every trained detector on the other dataset's test split (the columns of DeepfakeBench's cross-dataset
 * table are test sets), then writes the cross-dataset matrix (matrix.svg/png/csv) of the study's runs.
 */
async function crossDataset(report: StudyReport, options: StudyOptions, scratch: string): Promise<void> {
  for (const result of report.results) {
    const other = otherDataset(result.job.dataset);
    const dataset = datasetFor({ dataset: other } as StudyJob, options, scratch);
    options.log(`== cross-dataset: run ${result.run} (${result.job.key}) on ${other}'s test split`);
    await evaluateRun(options.store, result.run, { dataset, split: 'test', interval: { samples: 1000, seed: options.seed } });
  }
  report.matrix = crossDatasetMatrix(options.store, { runIds: report.results.map((r) => r.run) });
  const files = await writeMatrixFiles(report.matrix, options.out);
  report.figures.push(...files.map((f) => path.relative(options.out, f)));
}

/** Runs every study job that can run, writes figures and summary.md to `out`, and returns the report. */
export async function reproduce(options: StudyOptions): Promise<StudyReport> {
  const report: StudyReport = {
    quick: options.quick,
    startedAt: new Date().toISOString(),
    results: [],
    scans: new Map(),
    skipped: [],
    figures: [],
    matrix: null,
  };
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-study-'));
  fs.mkdirSync(options.out, { recursive: true });
  try {
    for (const job of STUDY_JOBS) {
      const source = modelEntry(job.model).pretrained?.source === 'imagenet:keras_xception_notop' ? xceptionWeights(options.xceptionWeights) : {};
      const reason = job.skip ?? ('missing' in source ? source.missing : null);
      if (reason) {
        report.skipped.push({ step: `${job.key} (${job.model} on ${job.dataset})`, reason });
        options.log(`== ${job.key}: skipped — ${reason}`);
        continue;
      }
      report.results.push(
        await runJob(job as StudyJob & { model: keyof typeof models }, options, scratch, report.scans, 'weights' in source ? source.weights : undefined),
      );
    }
    await crossDataset(report, options, scratch);
    const figures = await exportFigures(
      options.store,
      report.results.map((r) => r.run),
      { out: options.out, split: 'test' },
    );
    report.figures.push(...figures.files.map((f) => path.relative(options.out, f)));
    report.skipped.push(...figures.skipped.map((s) => ({ step: `figures ${s.figures.join(', ')}`, reason: s.reason })));
    for (const result of report.results) report.figures.push(await writeExplainGrid(options, result));
    report.figures.push(await writePseudoFakes(options, scratch));
    const summary = path.join(options.out, 'summary.md');
    fs.writeFileSync(summary, renderSummary(report));
    report.figures.push('summary.md');
    return report;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
