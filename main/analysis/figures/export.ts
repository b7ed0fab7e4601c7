// exportFigures: every figure of a set of runs written to a folder (training curves, score figures, sample grids).
import fs from 'node:fs/promises';
import path from 'node:path';
import { UnmaskError } from '../../engine/errors.js';
import type { RunRecord, RunStore, ScoreRow } from '../../store/index.js';
import type { SplitName } from '../../data/index.js';
import { runFolders } from '../../data/run-folders.js';
import { confusionAt } from '../metrics.js';
import type { EChartsOption } from './echarts.js';
import { frontierFigure, frontierLegendRows, frontierPoints, type ParamCounter } from './frontier.js';
import { accuracyFigure, confusionFigure, detFigure, histogramFigure, lossFigure, rocFigure, runLabel, softScoreCurves, type RunHistory } from './options.js';
import { writeFigure, type FigureSize } from './render.js';
import { writeSampleGrid } from './sample-grid.js';

export type FigureFormat = 'svg' | 'png';

export interface ExportOptions {
  /** Folder to write into (created). */
  out: string;
  /** Split whose saved scores and images are drawn (default 'test'). */
  split?: SplitName;
  /** Formats of the chart figures (default both); sample grids are always PNG. */
  formats?: FigureFormat[];
  /** Decision threshold of the confusion matrices (default 0.5). */
  threshold?: number;
  /** Parameter count per model name for the frontier figure (default: build the model from the registry). */
  countParams?: ParamCounter;
}

/** A figure (or group of figures) that was not written, and why. */
export interface SkippedFigure {
  figures: string[];
  reason: string;
}

export interface ExportResult {
  out: string;
  /** Absolute paths of the files written, in the order written. */
  files: string[];
  skipped: SkippedFigure[];
}

const SIZES: Record<'history' | 'curve' | 'confusion' | 'histogram', FigureSize> = {
  history: { width: 900, height: 560 },
  curve: { width: 820, height: 680 },
  confusion: { width: 640, height: 520 },
  histogram: { width: 900, height: 540 },
};

/** A file-name-safe form of a dataset folder's name. */
function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '') || 'dataset';
}

class Writer {
  readonly files: string[] = [];
  readonly skipped: SkippedFigure[] = [];

  constructor(
    readonly out: string,
    private readonly formats: readonly FigureFormat[],
  ) {}

  async figure(name: string, option: EChartsOption, size: FigureSize): Promise<void> {
    for (const format of this.formats) {
      const file = path.join(this.out, `${name}.${format}`);
      await writeFigure(option, file, size);
      this.files.push(file);
    }
  }

  skip(figures: string[], reason: string): void {
    this.skipped.push({ figures, reason });
  }
}

/** ROC, DET, confusion and histogram figures of one run's saved scores. */
async function scoreFigures(w: Writer, run: RunRecord, rows: ScoreRow[], split: SplitName, threshold: number): Promise<void> {
  const id = run.id;
  const ref = { id, label: runLabel(id, run.model) };
  const labels = rows.map((r) => r.label);
  const fake = rows.map((r) => r.probs[1]);
  if (labels.includes(0) && labels.includes(1)) {
    const curves = softScoreCurves(ref, rows);
    await w.figure(`roc-${id}`, rocFigure(curves, `ROC — ${ref.label} (${split}, n = ${rows.length})`), SIZES.curve);
    await w.figure(`det-${id}`, detFigure(curves, `DET — ${ref.label} (${split}, n = ${rows.length})`), SIZES.curve);
  } else {
    w.skip([`roc-${id}`, `det-${id}`], `run ${id}'s ${split} scores hold only ${labels[0] === 1 ? 'fake' : 'real'} images; ROC and DET need both classes`);
  }
  await w.figure(`confusion-${id}`, confusionFigure(confusionAt(labels, fake, threshold), { run: ref, threshold }), SIZES.confusion);
  await w.figure(`histogram-${id}`, histogramFigure(labels, fake, { run: ref }), SIZES.histogram);
}

/** One sample grid per distinct dataset folder of the runs (each folder of a run trained on several), named samples-<folder name>.png. */
async function sampleGrids(w: Writer, runs: readonly RunRecord[], split: SplitName): Promise<void> {
  const byPath = new Map<string, RunRecord>();
  for (const run of runs) for (const folder of runFolders(run)) if (!byPath.has(folder)) byPath.set(folder, run);
  const used = new Set<string>();
  for (const [datasetPath, run] of byPath) {
    const base = safeName(path.basename(datasetPath));
    let name = `samples-${base}`;
    for (let k = 2; used.has(name); k++) name = `samples-${base}-${k}`;
    used.add(name);
    const file = path.join(w.out, `${name}.png`);
    try {
      await writeSampleGrid(datasetPath, file, { split, seed: run.params.seed });
      w.files.push(file);
    } catch (error) {
      if (!(error instanceof UnmaskError) || error.code === 'INTERNAL') throw error;
      w.skip([`${name}.png`], `dataset ${datasetPath}: ${error.message}`);
    }
  }
}

/**
 * Writes the figures of runs `runIds` into `options.out`: loss and accuracy of all runs overlaid; for each
 * run with saved scores of the split, roc-<id>, det-<id>, confusion-<id> and histogram-<id>; and a
 * samples-<dataset>.png grid per distinct dataset; and `frontier` (test AUC vs parameters of every run in the
 * store with test scores; {@link frontierFigure}). Figures that cannot be drawn (no epochs, no scores, one
 * class, a missing dataset folder) are listed in `skipped` with the reason and the fix. Throws NOT_FOUND
 * for an unknown run id (before writing anything) and BAD_ARGUMENT for bad options.
 */
export async function exportFigures(store: RunStore, runIds: readonly number[], options: ExportOptions): Promise<ExportResult> {
  const split = options.split ?? 'test';
  const formats = options.formats ?? ['svg', 'png'];
  if (runIds.length === 0) throw new UnmaskError('BAD_ARGUMENT', 'exportFigures needs at least one run id');
  if (formats.length === 0 || formats.some((f) => f !== 'svg' && f !== 'png'))
    throw new UnmaskError('BAD_ARGUMENT', `formats must be svg and/or png, got ${formats.join(',')}`);
  const runs = [...new Set(runIds)].map((id) => store.getRun(id));
  const out = path.resolve(options.out);
  await fs.mkdir(out, { recursive: true });
  const w = new Writer(out, formats);
  const histories: RunHistory[] = runs.map((r) => ({ id: r.id, label: runLabel(r.id, r.model), epochs: store.getEpochs(r.id) }));
  const withEpochs = histories.filter((h) => h.epochs.length > 0);
  for (const h of histories) if (h.epochs.length === 0) w.skip([`loss (run ${h.id})`, `accuracy (run ${h.id})`], `run ${h.id} has no finished epoch`);
  if (withEpochs.length > 0) {
    await w.figure('loss', lossFigure(withEpochs), SIZES.history);
    await w.figure('accuracy', accuracyFigure(withEpochs), SIZES.history);
  }
  for (const run of runs) {
    const rows = store.getScores(run.id, split);
    const names = ['roc', 'det', 'confusion', 'histogram'].map((f) => `${f}-${run.id}`);
    if (rows.length === 0) w.skip(names, `no ${split} scores for run ${run.id}: run \`unmask score --run ${run.id} --split ${split}\``);
    else await scoreFigures(w, run, rows, split, options.threshold ?? 0.5);
  }
  await sampleGrids(w, runs, split);
  // The frontier compares every run of the store with test scores, not only the runs asked for.
  const frontier = await frontierPoints(store, options.countParams);
  if (frontier.gaps.length)
    w.skip(
      frontier.gaps.map((g) => `frontier (run ${g.id})`),
      frontier.gaps.map((g) => g.reason).join('; '),
    );
  if (frontier.points.length > 0) {
    await w.figure('frontier', frontierFigure(frontier.points), { width: 900, height: 480 + 22 * frontierLegendRows(frontier.points) });
  } else w.skip(['frontier'], 'no run in the store has test scores: run `unmask score --run N --split test`');
  return { out, files: w.files, skipped: w.skipped };
}
