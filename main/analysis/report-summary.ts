// summary.md and summary.json of a figure export: one row of metrics per run, beside the figures.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { SplitName } from '../data/index.js';
import { foldersName, foldersText, runFolders } from '../data/run-folders.js';
import type { RunStore, RunSummary } from '../store/index.js';
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
  const ids = [...new Set(runIds)];
  const summaries = new Map(store.listRuns().map((r) => [r.id, r]));
  const rows: RunSummaryRow[] = [];
  for (const id of ids) rows.push(await summaryRow(store, id, summaries.get(id), split, countParams));
  const evaluations: EvaluationSummaryRow[] = ids.flatMap((id) =>
    store.listEvaluations({ runId: id }).map((e) => ({
      evaluation: e.id,
      run: id,
      source: scoreOriginLabel({ kind: 'evaluation', ...e }),
      n: e.n,
      auc: e.auc,
      origin: e.origin,
    })),
  );
  const json = path.join(out, 'summary.json');
  const md = path.join(out, 'summary.md');
  await fs.writeFile(json, `${JSON.stringify({ split, runs: rows, evaluations }, null, 2)}\n`);
  await fs.writeFile(md, summaryMarkdown(rows, evaluations, split));
  return [json, md];
}

/** One run's row: its record, best-validation accuracies, and the metrics of its own `split` scores. */
async function summaryRow(store: RunStore, id: number, s: RunSummary | undefined, split: SplitName, countParams: ParamCounter): Promise<RunSummaryRow> {
  const run = s ?? store.getRun(id);
  const scored = store.getScores(id, split);
  const epoch = s?.ownScores.find((o) => o.split === split)?.checkpointEpoch ?? null;
  const folders = runFolders(run);
  const source = scoreOriginLabel({
    kind: 'own',
    datasetPath: run.datasetPath,
    datasetName: foldersName(folders),
    split,
    checkpoint: 'best',
    checkpointEpoch: epoch,
  });
  const both = scored.some((r) => r.label === 0) && scored.some((r) => r.label === 1);
  const m = both
    ? summarize(
        scored.map((r) => r.label),
        scored.map((r) => r.probs[1]),
      )
    : null;
  return {
    run: id,
    model: run.model,
    dataset: foldersText(folders),
    parameters: await countParams(run.model),
    engine: run.engine,
    status: run.status,
    epochs: s?.epochsDone ?? 0,
    bestValAcc: s?.bestValAcc ?? null,
    bestEpoch: s?.bestEpoch ?? null,
    testAccAtBestVal: s?.testAccAtBestVal ?? null,
    scores: m ? { split, n: m.n, auc: m.auc, ap: m.ap, eer: m.eer, accuracy: m.accuracy, source } : null,
  };
}

function summaryMarkdown(rows: readonly RunSummaryRow[], evaluations: readonly EvaluationSummaryRow[], split: SplitName): string {
  const lines = [
    `# Unmask report (${new Date().toISOString()})`,
    '',
    `Metrics of each run's own ${split} scores (its best checkpoint on its own ${split} split) at threshold 0.5; accuracies of the best-validation epoch.`,
    '',
    `| run | model | dataset | parameters | engine | epochs | best val acc (epoch) | test acc at best val | own ${split} AUC | AP | EER | acc |`,
    '| ---: | --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.run} | ${r.model} | ${foldersName(r.dataset.split(' + '))} | ${r.parameters?.toLocaleString('en') ?? '–'} | ${r.engine} | ${r.epochs} | ` +
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
          ...evaluations.map(
            (e) =>
              `| ${e.evaluation} | ${e.run} | ${e.source}${e.origin === 'migrated' ? ' (moved from an older database)' : ''} | ${e.n} | ${num(e.auc ?? undefined)} |`,
          ),
          '',
        ]),
  ];
  return lines.join('\n');
}
