// summary.md and summary.json of a figure export: one row of metrics per run, beside the figures.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { SplitName } from '../data/index.js';
import type { RunStore } from '../store/index.js';
import { registryParamCounter, type ParamCounter } from './figures/frontier.js';
import { summarize } from './metrics.js';

export interface RunSummaryRow {
  run: number;
  model: string;
  dataset: string;
  parameters: number | null;
  engine: string;
  status: string;
  epochs: number;
  bestValAcc: number | null;
  bestEpoch: number | null;
  testAccAtBestVal: number | null;
  /** Metrics of the split's saved scores at threshold 0.5 (null when unscored or one class). */
  scores: { split: SplitName; n: number; auc: number; ap: number; eer: number; accuracy: number } | null;
}

const pct = (v: number | null) => (v == null ? '–' : `${v.toFixed(2)} %`);
const num = (v: number | undefined, digits = 4) => (v == null ? '–' : v.toFixed(digits));

/** Writes `summary.json` and `summary.md` into `out` and returns their paths. */
export async function writeRunsSummary(
  store: RunStore,
  runIds: readonly number[],
  out: string,
  split: SplitName,
  countParams: ParamCounter = registryParamCounter,
): Promise<string[]> {
  const rows: RunSummaryRow[] = [];
  const summaries = new Map(store.listRuns().map((r) => [r.id, r]));
  for (const id of new Set(runIds)) {
    const run = summaries.get(id) ?? store.getRun(id);
    const s = summaries.get(id);
    const scored = store.getScores(id, split);
    const both = scored.some((r) => r.label === 0) && scored.some((r) => r.label === 1);
    const m = both ? summarize(scored.map((r) => r.label), scored.map((r) => r.probs[1])) : null;
    rows.push({
      run: id,
      model: run.model,
      dataset: run.datasetPath,
      parameters: await countParams(run.model),
      engine: run.engine,
      status: run.status,
      epochs: s?.epochsDone ?? 0,
      bestValAcc: s?.bestValAcc ?? null,
      bestEpoch: s?.bestEpoch ?? null,
      testAccAtBestVal: s?.testAccAtBestVal ?? null,
      scores: m ? { split, n: m.n, auc: m.auc, ap: m.ap, eer: m.eer, accuracy: m.accuracy } : null,
    });
  }
  const json = path.join(out, 'summary.json');
  const md = path.join(out, 'summary.md');
  await fs.writeFile(json, `${JSON.stringify({ split, runs: rows }, null, 2)}\n`);
  const lines = [
    `# Unmask report (${new Date().toISOString()})`,
    '',
    `Metrics of the saved ${split} scores at threshold 0.5; accuracies of the best-validation epoch.`,
    '',
    `| run | model | dataset | parameters | engine | epochs | best val acc (epoch) | test acc at best val | ${split} AUC | AP | EER | acc |`,
    '| ---: | --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.run} | ${r.model} | ${path.basename(r.dataset)} | ${r.parameters?.toLocaleString('en') ?? '–'} | ${r.engine} | ${r.epochs} | ` +
        `${pct(r.bestValAcc)}${r.bestEpoch ? ` (${r.bestEpoch})` : ''} | ${pct(r.testAccAtBestVal)} | ${num(r.scores?.auc)} | ${num(r.scores?.ap)} | ${num(r.scores?.eer)} | ${r.scores ? pct(100 * r.scores.accuracy) : '–'} |`,
    ),
    '',
  ];
  await fs.writeFile(md, lines.join('\n'));
  return [json, md];
}
