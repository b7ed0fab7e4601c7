// `unmask figures`: writes the figures of some runs (SVG + PNG) to a folder and prints one JSON line listing them.
import { parseArgs } from 'node:util';
import { exportFigures, type FigureFormat } from '../analysis/figures/export.js';
import type { SplitName } from '../data/index.js';
import { UnmaskError } from '../engine/errors.js';
import { openStore, storeOptions } from './train.js';

const USAGE = 'usage: unmask figures --runs 1,2,3 --out DIR [--split test] [--format svg,png] [--threshold 0.5] [--db FILE]';

/** Parses "1,2,3" into run ids; throws BAD_ARGUMENT for anything else. */
export function parseRunIds(text: string | undefined): number[] {
  if (!text) throw new UnmaskError('BAD_ARGUMENT', USAGE);
  const ids = text.split(',').map((part) => part.trim());
  const bad = ids.find((id) => !/^[1-9]\d*$/.test(id));
  if (bad !== undefined) throw new UnmaskError('BAD_ARGUMENT', `--runs takes run ids separated by commas, got '${text}'`);
  return ids.map(Number);
}

/** `unmask figures`: the result ({out, files, skipped}) as one JSON line on stdout. */
export async function figuresCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string' },
      out: { type: 'string' },
      split: { type: 'string', default: 'test' },
      format: { type: 'string', default: 'svg,png' },
      threshold: { type: 'string', default: '0.5' },
      ...storeOptions,
    },
  });
  const runIds = parseRunIds(values.runs);
  if (!values.out) throw new UnmaskError('BAD_ARGUMENT', USAGE);
  const split = values.split!;
  if (!['train', 'val', 'test'].includes(split)) throw new UnmaskError('BAD_ARGUMENT', `--split must be train, val or test, got '${split}'`);
  const threshold = Number(values.threshold);
  if (!Number.isFinite(threshold)) throw new UnmaskError('BAD_ARGUMENT', `--threshold must be a number, got '${values.threshold}'`);
  const formats = values.format!.split(',').map((f) => f.trim()) as FigureFormat[];
  const { store } = openStore(values.db);
  try {
    const result = await exportFigures(store, runIds, { out: values.out, split: split as SplitName, formats, threshold });
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } finally {
    store.close();
  }
}
