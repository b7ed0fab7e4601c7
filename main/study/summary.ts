// summary.md of a study: the seed's numeric answers (accuracies, proportions, parameter counts, AUCs).
import type { DatasetScan } from '../data/index.js';
import type { MetricSummary } from '../analysis/metrics.js';
import type { StudyJob } from './jobs.js';

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

/** Markdown answering the seed's questions from what this study measured (nothing is filled in by hand). */
export function renderSummary(report: StudyReport): string {
  const lines = [
    `# Unmask study${report.quick ? ' (quick: small subsets, 1 epoch — not the seed numbers)' : ''}`,
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
    '| run | model | dataset | trainable params | epochs | best val acc (epoch) | test acc at best val | test AUC (95 % CI) | test AP | test EER | wall | engine |',
    '| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...report.results.map(
      (r) =>
        `| ${r.run} | ${r.job.model} | ${r.job.dataset} | ${r.params.toLocaleString('en-US')} | ${r.epochs} | ${pct(r.bestValAcc)} (${r.bestEpoch ?? '–'}) | ` +
        `${pct(r.testAccAtBestVal)} | ${num(r.test?.auc)}${r.aucInterval ? ` (${num(r.aucInterval.low)}–${num(r.aucInterval.high)})` : ''} | ` +
        `${num(r.test?.ap)} | ${num(r.test?.eer)} | ${Math.round(r.wallSeconds)} s | ${r.engine} |`,
    ),
    '',
    'Test accuracy is taken at the epoch with the best validation accuracy (the seed\'s Q8 and Q14); AUC, AP and',
    'EER use the fake output (B) of the best-validation checkpoint on the test split; the 95 % interval is a',
    'stratified bootstrap (1000 resamples).',
    '',
  ];
  if (report.skipped.length) {
    lines.push('## Skipped', '', ...report.skipped.map((s) => `- **${s.step}**: ${s.reason}`), '');
  }
  lines.push('## Figures', '', ...report.figures.map((f) => `- ${f}`), '');
  return lines.join('\n');
}
