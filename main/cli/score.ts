// `unmask score`: a run's own scores of a split into the store (another folder or checkpoint becomes an evaluation).
import path from 'node:path';
import { runFolders } from '../data/run-folders.js';
import type { SplitName } from '../data/index.js';
import type { COMMANDS } from './commands.js';
import { evaluationLine, scoringProgress } from './evaluate.js';
import { UsageError, type ParsedCommand } from './spec.js';
import { openStore } from './train.js';

/** Parses a positive integer flag, or throws BAD_ARGUMENT naming it. */
export function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got '${value}'`);
  return n;
}

/** --run as a run id. */
export function runId(value: string | undefined): number {
  const id = positiveInt('run', value);
  if (id === undefined) throw new UsageError('--run is required');
  return id;
}

/** --checkpoint as best or last. */
export function checkpointKind(value: string | undefined): 'best' | 'last' {
  const kind = value ?? 'best';
  if (kind !== 'best' && kind !== 'last') throw new UsageError(`--checkpoint must be best or last, got '${kind}'`);
  return kind;
}

/**
 * `unmask score`: progress on stderr (on a terminal), the result as one JSON line on stdout. The run's own scores
 * are its best checkpoint on its own dataset; asked for another folder or the last checkpoint, it records an
 * evaluation instead and says so, leaving the run's own scores as they were.
 */
export async function scoreCommand({ values }: ParsedCommand<typeof COMMANDS.score.options>): Promise<number> {
  const run = runId(values.run);
  const kind = checkpointKind(values.checkpoint);
  const split = (values.split ?? 'test') as SplitName;
  const batchSize = positiveInt('batch-size', values['batch-size']);
  const { initEngine } = await import('../engine/select.js');
  await initEngine();
  const { store } = openStore(values.db);
  try {
    const own = runFolders(store.getRun(run));
    const dataset = values.dataset === undefined ? own[0]! : path.resolve(values.dataset);
    const ownFolder = own.length === 1 && dataset === path.resolve(own[0]!);
    if (values.dataset === undefined && own.length > 1 && kind !== 'best') {
      throw new UsageError(`unmask score: run ${run} trained on ${own.length} folders; evaluate its last checkpoint on one of them: -d FOLDER`);
    }
    if (!(values.dataset === undefined || ownFolder) || kind !== 'best') {
      const { evaluateRun } = await import('../analysis/evaluate.js');
      const why = values.dataset !== undefined && !ownFolder ? 'another folder' : 'the last checkpoint';
      process.stderr.write(`scoring ${why}: recorded as an evaluation; run ${run}'s own scores are left as they are\n`);
      const outcome = await evaluateRun(store, run, { dataset, split, checkpoint: kind, batchSize, onProgress: scoringProgress() });
      process.stdout.write(`${JSON.stringify({ recordedAs: 'evaluation', ...evaluationLine(outcome) })}\n`);
      return 0;
    }
    const { scoreRun } = await import('../analysis/score.js');
    const result = await scoreRun(store, run, { split, batchSize, onProgress: scoringProgress() });
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } finally {
    store.close();
  }
}
