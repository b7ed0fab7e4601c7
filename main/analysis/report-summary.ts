// summary.md and summary.json of a figure export: one row of metrics per run, beside the figures.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { SplitName } from '../data/index.js';
import type { RunStore } from '../store/index.js';
import { registryParamCounter, type ParamCounter } from './figures/frontier.js';
import { summarize } from './metrics.js';
import { scoreOriginLabel } from './score-source.js';

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
  /** Metrics of the run's own saved scores of the split at threshold 0.5 (null when unscored or one class). */
  scores: { split: SplitName; n: number; auc: number; ap: number; eer: number; accuracy: number; source: string } | null;
}

/** An evaluation of a reported run, with where its numbers come from. */
export interface EvaluationSummaryRow {
  evaluation: number;
  run: number;
  source: string;
  n: number;
  auc: number | null;
  origin: string;
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
    const epoch = s?.ownScores.find((o) => o.split === split)?.checkpointEpoch ?? null;
    const source = scoreOriginLabel({ kind: 'own', datasetPath: run.datasetPath, split, checkpoint: 'best', checkpointEpoch: epoch });
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
      scores: m ? { split, n: m.n, auc: m.auc, ap: m.ap, eer: m.eer, accuracy: m.accuracy, source } : null,
    });
  }
  const json = path.join(out, 'summary.json');
  const md = path.join(out, 'summary.md');
  const evaluations: EvaluationSummaryRow[] = [...new Set(runIds)].flatMap((id) =>
    store.listEvaluations({ runId: id }).map((e) => ({
      evaluation: e.id, run: id, source: scoreOriginLabel({ kind: 'evaluation', ...e }), n: e.n, auc: e.auc, origin: e.origin,
    })),
  );
  await fs.writeFile(json, `${JSON.stringify({ split, runs: rows, evaluations }, null, 2)}\n`);
  const lines = [
    `# Unmask report (${new Date().toISOString()})`,
    '',
    `Metrics of each run's own ${split} scores (its best checkpoint on its own ${split} split) at threshold 0.5; accuracies of the best-validation epoch.`,
    '',
    `| run | model | dataset | parameters | engine | epochs | best val acc (epoch) | test acc at best val | own ${split} AUC | AP | EER | acc |`,
    '| ---: | --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.run} | ${r.model} | ${path.basename(r.dataset)} | ${r.parameters?.toLocaleString('en') ?? '–'} | ${r.engine} | ${r.epochs} | ` +
        `${pct(r.bestValAcc)}${r.bestEpoch ? ` (${r.bestEpoch})` : ''} | ${pct(r.testAccAtBestVal)} | ${num(r.scores?.auc)} | ${num(r.scores?.ap)} | ${num(r.scores?.eer)} | ${r.scores ? pct(100 * r.scores.accuracy) : '–'} |`,
    ),
    '',
    ...(evaluations.length === 0
      ? []
      : [
          "## Evaluations (other folders, splits or checkpoints; never the runs' own numbers)",
          '',
          '| evaluation | run | scores | n | AUC |',
          '| ---: | ---: | --- | ---: | ---: |',
          ...evaluations.map((e) => `| ${e.evaluation} | ${e.run} | ${e.source}${e.origin === 'migrated' ? ' (moved from an older database)' : ''} | ${e.n} | ${num(e.auc ?? undefined)} |`),
          '',
        ]),
  ];
  await fs.writeFile(md, lines.join('\n'));
  return [json, md];
}
