// `unmask evaluate` (score a run on any folder, stored as an evaluation) and `unmask evaluations` (list them).
import path from 'node:path';
import type { EvaluationOutcome } from '../analysis/evaluate.js';
import type { EvaluationMetrics } from '../analysis/evaluation-metrics.js';
import { scoreOriginLabel } from '../analysis/score-source.js';
import type { EvaluationRecord, EvaluationSplit } from '../store/index.js';
import type { BatchProgress } from '../train/epoch.js';
import type { COMMANDS } from './commands.js';
import { checkpointKind, positiveInt, runId } from './score.js';
import { UsageError, type ParsedCommand } from './spec.js';
import { openStore, resolveDataset } from './train.js';

/** A scoring progress line redrawn on stderr when it is a terminal (stdout stays one JSON line). */
export function scoringProgress(stream: NodeJS.WriteStream = process.stderr): ((p: BatchProgress) => void) | undefined {
  if (stream.isTTY !== true) return undefined;
  return (p) => stream.write(`\rscoring ${p.batch}/${p.batches} ${p.imgPerSec.toFixed(1)} img/s\u001b[K${p.batch === p.batches ? '\n' : ''}`);
}

/** Where an evaluation's numbers come from, in words: "fakes_dataset · all images · best checkpoint (epoch 3)". */
export function evaluationLabel(e: Pick<EvaluationRecord, 'datasetPath' | 'split' | 'checkpoint' | 'checkpointEpoch' | 'preprocess'>): string {
  return scoreOriginLabel({ kind: 'evaluation', ...e });
}

/** What `evaluate` prints: the evaluation's key, its label, its metrics and what was left out. */
export function evaluationLine(outcome: EvaluationOutcome): Record<string, unknown> {
  const e = outcome.evaluation;
  return {
    evaluation: e.id,
    run: e.runId,
    label: evaluationLabel(e),
    dataset: e.datasetPath,
    fingerprint: e.datasetFingerprint,
    split: e.split,
    checkpoint: e.checkpoint,
    checkpointEpoch: e.checkpointEpoch,
    trainedOn: outcome.trainedOn,
    n: e.n,
    metrics: outcome.metrics,
    preprocess: e.preprocess,
    skipped: outcome.skipped,
    ...(e.preprocess === 'crop-faces' ? { faceless: outcome.faceless } : {}),
    seconds: outcome.seconds,
  };
}

export async function evaluateCommand({ values }: ParsedCommand<typeof COMMANDS.evaluate.options>): Promise<number> {
  const run = runId(values.run);
  const split = values.split as EvaluationSplit | undefined;
  if (split !== undefined && !['all', 'train', 'val', 'test'].includes(split)) {
    throw new UsageError(`--split must be all, test, val or train, got '${split}'`);
  }
  const checkpoint = checkpointKind(values.checkpoint);
  const batchSize = positiveInt('batch-size', values['batch-size']);
  const dataset = resolveDataset(values.dataset, values['data-root']);
  const [{ initEngine }, { evaluateRun }] = await Promise.all([import('../engine/select.js'), import('../analysis/evaluate.js')]);
  await initEngine();
  const { store } = openStore(values.db);
  try {
    const outcome = await evaluateRun(store, run, {
      dataset,
      split,
      checkpoint,
      batchSize,
      preprocess: values['crop-faces'] ? 'crop-faces' : undefined,
      onProgress: scoringProgress(),
    });
    if (outcome.faceless.length > 0)
      process.stderr.write(`no face found in ${outcome.faceless.length} image(s), scored whole: ${outcome.faceless.join(', ')}\n`);
    process.stdout.write(`${JSON.stringify(evaluationLine(outcome))}\n`);
    return 0;
  } finally {
    store.close();
  }
}

const fixed = (v: number | null | undefined, digits = 3): string => (v == null ? '-' : v.toFixed(digits));
const pct = (v: number | null | undefined): string => (v == null ? '-' : `${(100 * v).toFixed(1)}%`);

export async function evaluationsCommand({ values }: ParsedCommand<typeof COMMANDS.evaluations.options>): Promise<number> {
  const filter = values.run === undefined ? {} : { runId: runId(values.run) };
  const { store } = openStore(values.db);
  try {
    const evaluations = store.listEvaluations(filter);
    if (values.json) {
      for (const e of evaluations) process.stdout.write(`${JSON.stringify({ ...e, label: evaluationLabel(e) })}\n`);
      return 0;
    }
    const models = new Map(store.listRuns().map((r) => [r.id, r.model]));
    const rows = evaluations.map((e) => {
      const m = e.metrics as EvaluationMetrics | null;
      const interval = m?.aucInterval ? ` [${fixed(m.aucInterval.low)}–${fixed(m.aucInterval.high)}]` : '';
      const atRun = m?.atRunThreshold ? `${pct(m.atRunThreshold.accuracy)} @${fixed(m.atRunThreshold.threshold, 2)}` : '-';
      return [
        String(e.id),
        `${e.runId} ${models.get(e.runId) ?? ''}`.trim(),
        path.basename(e.datasetPath),
        e.split,
        e.checkpoint === null ? 'not recorded' : `${e.checkpoint}${e.checkpointEpoch ? ` ep ${e.checkpointEpoch}` : ''}`,
        String(e.n),
        `${fixed(e.auc)}${interval}`,
        pct(m?.atHalf.accuracy),
        atRun,
        e.origin === 'migrated' ? 'moved from an older database' : e.createdAt.slice(0, 19),
      ];
    });
    const header = ['eval', 'run', 'dataset', 'split', 'checkpoint', 'images', 'AUC [95% CI]', 'acc @0.5', "acc @run's threshold", 'recorded'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const row of [header, ...rows])
      process.stdout.write(
        `${row
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd()}\n`,
      );
    return 0;
  } finally {
    store.close();
  }
}
