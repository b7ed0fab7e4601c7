// summary.md of a study: the course assignment's numeric answers (accuracies, proportions, parameter counts, AUCs).
import type { DatasetScan } from '../data/index.js';
import type { CrossDatasetMatrix } from '../analysis/matrix.js';
import type { MetricSummary } from '../analysis/metrics.js';
import type { StudyJob } from './jobs.js';
import type { RecipeOptions } from '../train/recipe-types.js';

export interface JobResult {
  job: StudyJob;
  run: number;
  params: number;
  epochs: number;
  bestEpoch: number | null;
  bestValAcc: number | null;
  testAccAtBestVal: number | null;
  wallSeconds: number;
  engine: string;
  test: MetricSummary | null;
  aucInterval: { low: number; high: number } | null;
}

export interface StudyReport {
  quick: boolean;
  startedAt: string;
  results: JobResult[];
  scans: Map<string, DatasetScan>;
  skipped: { step: string; reason: string }[];
  figures: string[];
  /** Every run on its own test split and on the other dataset's (null until measured). */
  matrix: CrossDatasetMatrix | null;
}

const pct = (v: number | null | undefined): string => (v == null ? '–' : `${v.toFixed(2)} %`);
const num = (v: number | null | undefined, digits = 3): string => (v == null ? '–' : v.toFixed(digits));

function proportions(name: string, scan: DatasetScan): string[] {
  const rows = (['train', 'val', 'test'] as const).map((split) => {
    const s = scan.splits[split];
    return `| ${name} | ${split} | ${s.counts.real} | ${s.counts.fake} | ${num(s.fakeToReal)} |`;
  });
  return [...rows, `| ${name} | all | ${scan.counts.real} | ${scan.counts.fake} | ${num(scan.fakeToReal)} |`];
}

/** A recipe in words, as flags (e.g. "--unfreeze-blocks 2 --schedule cosine"). */
export function describeRecipe(recipe: RecipeOptions): string {
  const flag = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return Object.entries(recipe)
    .map(([k, v]) => (v === true ? `--${flag(k)}` : `--${flag(k)} ${String(v)}`))
    .join(' ');
}

/** The optimizer and rate, or for a closed-form head the fit itself (no optimizer step is taken). */
export function trainedBy(job: Pick<StudyJob, 'optimizer' | 'lr' | 'recipe'>): string {
  return job.recipe?.headFit === 'ridge' ? 'closed-form ridge head' : `${job.optimizer} lr ${job.lr}`;
}

/** Per dataset: the course assignment's runs beside the strongest detector the study trains. */
function baselineVersusBest(report: StudyReport): string[] {
  const best = report.results.filter((r) => r.job.role === 'best');
  if (best.length === 0) return [];
  const rows = [...best.flatMap((b) => report.results.filter((r) => r.job.dataset === b.job.dataset && r.job.role === 'assignment')), ...best].sort(
    (a, b) => a.job.dataset.localeCompare(b.job.dataset) || (a.job.role === b.job.role ? 0 : a.job.role === 'assignment' ? -1 : 1),
  );
  return [
    '## The baseline recipe and the best one, side by side',
    '',
    '| dataset | recipe | model | settings | test AUC (95 % CI) | test acc at best val | wall |',
    '| --- | --- | --- | --- | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.job.dataset} | ${r.job.role === 'best' ? '**best**' : 'baseline'} | ${r.job.model} | ${trainedBy(r.job)}, ${r.epochs} epochs` +
        `${r.job.recipe ? `, ${describeRecipe(r.job.recipe)}` : ''} | ${num(r.test?.auc)}${r.aucInterval ? ` (${num(r.aucInterval.low)}–${num(r.aucInterval.high)})` : ''} | ` +
        `${pct(r.testAccAtBestVal)} | ${Math.round(r.wallSeconds)} s |`,
    ),
    '',
    ...best.filter((b) => b.job.why).map((b) => `- **${b.job.key}**: ${b.job.why}`),
    '',
  ];
}

/** The course assignment's Xception question (Q25): XceptionBased from ImageNet weights on synthetic_dataset. */
function xceptionStep(report: StudyReport): string[] {
  const r = report.results.find((x) => x.job.key === 'xception-synthetic');
  const head = ["## The course assignment's Xception step (Q25)", ''];
  if (!r) {
    const skipped = report.skipped.find((s) => s.step.startsWith('xception-synthetic'));
    return [...head, `Not run: ${skipped?.reason ?? 'not part of this study'}.`, ''];
  }
  return [
    ...head,
    `XceptionBased from Keras's ImageNet weights on ${r.job.dataset} (${r.job.optimizer}, lr ${r.job.lr}, batch ${r.job.batchSize}, ${r.epochs} epoch(s)): ` +
      `**test accuracy ${pct(r.testAccAtBestVal)}** at the best validation epoch (${r.bestEpoch ?? '–'}), **test AUC ${num(r.test?.auc)}**` +
      `${r.aucInterval ? ` (95 % CI ${num(r.aucInterval.low)}–${num(r.aucInterval.high)})` : ''}, ${Math.round(r.wallSeconds)} s on the ${r.engine} engine.`,
    '',
  ];
}

/** The cross-dataset matrix: each detector's test AUC on its own dataset and on the other one. */
function crossDatasetSection(report: StudyReport): string[] {
  const m = report.matrix;
  if (!m || m.cells.length === 0) return [];
  const keyOf = new Map(report.results.map((r) => [r.run, r.job.key]));
  const cell = (runId: number, column: string): string => {
    const c = m.cells.find((x) => x.runId === runId && x.column === column);
    if (!c) return '–';
    const auc = `${num(c.auc)}${c.interval ? ` (${num(c.interval.low)}–${num(c.interval.high)})` : ''}`;
    return c.source === 'own' ? `**${auc}**` : auc;
  };
  return [
    '## Cross-dataset generalisation',
    '',
    "Test AUC of every detector on each dataset's test split (95 % stratified bootstrap interval, 1000 resamples); **bold**:",
    "the dataset it was trained on (the run's own test split). Every cell uses the run's best checkpoint. Also in",
    '`matrix.svg`, `matrix.png` and `matrix.csv`.',
    '',
    `| run | study step | model | trained on | ${m.columns.map((c) => `${c.datasetName} (${c.split})`).join(' | ')} |`,
    `| ---: | --- | --- | --- | ${m.columns.map(() => '---:').join(' | ')} |`,
    ...m.rows.map(
      (r) =>
        `| ${r.runId} | ${keyOf.get(r.runId) ?? '–'} | ${r.model} | ${r.trainingDatasetName} | ${m.columns.map((c) => cell(r.runId, c.key)).join(' | ')} |`,
    ),
    '',
  ];
}

/** Markdown answering the course assignment's questions from what this study measured (nothing is filled in by hand). */
export function renderSummary(report: StudyReport): string {
  const lines = [
    `# Unmask study${report.quick ? ' (quick: small subsets, 1 epoch — not the course assignment’s numbers)' : ''}`,
    '',
    `Started ${report.startedAt}. Every number below was measured by this run of \`unmask reproduce\`.`,
    '',
    '## Datasets: fake:real proportions',
    '',
    '| dataset | split | real | fake | fake:real |',
    '| --- | --- | ---: | ---: | ---: |',
    ...[...report.scans].flatMap(([name, scan]) => proportions(name, scan)),
    '',
    '## Runs',
    '',
    '| run | model | dataset | trainable params | epochs | best val acc (epoch) | test acc at best val | own test AUC (95 % CI) | test AP | test EER | wall | engine |',
    '| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...report.results.map(
      (r) =>
        `| ${r.run} | ${r.job.model} | ${r.job.dataset} | ${r.params.toLocaleString('en-US')} | ${r.epochs} | ${pct(r.bestValAcc)} (${r.bestEpoch ?? '–'}) | ` +
        `${pct(r.testAccAtBestVal)} | ${num(r.test?.auc)}${r.aucInterval ? ` (${num(r.aucInterval.low)}–${num(r.aucInterval.high)})` : ''} | ` +
        `${num(r.test?.ap)} | ${num(r.test?.eer)} | ${Math.round(r.wallSeconds)} s | ${r.engine} |`,
    ),
    '',
    'Test accuracy is taken at the epoch with the best validation accuracy (the course assignment’s Q8 and Q14); runs that select',
    'by validation AUC (`--select-by auc`) report the epoch of their best validation AUC instead. AUC, AP and',
    'EER use the fake output (B) of the best-validation checkpoint on the test split; the 95 % interval is a',
    'stratified bootstrap (1000 resamples).',
    '',
  ];
  lines.push(...xceptionStep(report));
  lines.push(...baselineVersusBest(report));
  lines.push(...crossDatasetSection(report));
  if (report.skipped.length) {
    lines.push('## Skipped', '', ...report.skipped.map((s) => `- **${s.step}**: ${s.reason}`), '');
  }
  lines.push('## Figures', '', ...report.figures.map((f) => `- ${f}`), '');
  return lines.join('\n');
}
