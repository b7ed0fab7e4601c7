// `unmask score`: score a run's checkpoint on one split, store the per-image scores, print one JSON line.
import { parseArgs } from 'node:util';
import { scoreRun, type CheckpointKind } from '../analysis/score.js';
import type { SplitName } from '../data/index.js';
import { UnmaskError } from '../engine/errors.js';
import { openStore, storeOptions } from './train.js';

const USAGE = 'usage: unmask score --run RUN [--split test] [--checkpoint best|last] [--batch-size N] [--dataset DIR] [--db FILE]';

/** Parses a positive integer flag, or throws BAD_ARGUMENT naming it. */
export function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UnmaskError('BAD_ARGUMENT', `--${name} must be a positive integer, got '${value}'`);
  return n;
}

/** `unmask score`: progress lines on stderr (when it is a terminal), the result as one JSON line on stdout. */
export async function scoreCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      run: { type: 'string' },
      split: { type: 'string', default: 'test' },
      checkpoint: { type: 'string', default: 'best' },
      'batch-size': { type: 'string' },
      dataset: { type: 'string' },
      ...storeOptions,
    },
  });
  const run = positiveInt('run', values.run);
  if (run === undefined) throw new UnmaskError('BAD_ARGUMENT', USAGE);
  const { initEngine } = await import('../engine/select.js');
  await initEngine();
  const { store } = openStore(values.db);
  const tty = process.stderr.isTTY === true;
  try {
    const result = await scoreRun(store, run, {
      split: values.split as SplitName,
      checkpoint: values.checkpoint as CheckpointKind,
      batchSize: positiveInt('batch-size', values['batch-size']),
      dataset: values.dataset,
      onProgress: tty ? (p) => process.stderr.write(`\rscoring ${p.batch}/${p.batches} ${p.imgPerSec.toFixed(1)} img/s\u001b[K`) : undefined,
    });
    if (tty) process.stderr.write('\n');
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } finally {
    store.close();
  }
}
