// `unmask figures`: writes the figures of some runs (SVG + PNG) to a folder and prints one JSON line listing them.
import { exportFigures, type FigureFormat } from '../analysis/figures/export.js';
import type { SplitName } from '../data/index.js';
import { UnmaskError } from '../engine/errors.js';
import type { COMMANDS } from './commands.js';
import type { ParsedCommand } from './spec.js';
import { openStore } from './train.js';

/** Parses "1,2,3" into run ids; throws BAD_ARGUMENT for anything else. */
export function parseRunIds(text: string | undefined): number[] {
  if (!text) throw new UnmaskError('BAD_ARGUMENT', '--runs needs run ids separated by commas');
  const ids = text.split(',').map((part) => part.trim());
  const bad = ids.find((id) => !/^[1-9]\d*$/.test(id));
  if (bad !== undefined) throw new UnmaskError('BAD_ARGUMENT', `--runs takes run ids separated by commas, got '${text}'`);
  return ids.map(Number);
}

/** `unmask figures`: the result ({out, files, skipped}) as one JSON line on stdout. */
export async function figuresCommand({ values }: ParsedCommand<typeof COMMANDS.figures.options>): Promise<number> {
  const runIds = parseRunIds(values.runs);
  if (!values.out) throw new UnmaskError('BAD_ARGUMENT', '--out is required');
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
