// `unmask reproduce`: the whole study headless; progress on stderr, one JSON line (what was written) on stdout.
import path from 'node:path';
import { reproduce } from '../study/reproduce.js';
import type { COMMANDS } from './commands.js';
import type { ParsedCommand } from './spec.js';
import { openStore } from './train.js';
import { trainingProgress } from './progress.js';

export async function reproduceCommand({ values }: ParsedCommand<typeof COMMANDS.reproduce.options>): Promise<number> {
  const dataRoot = path.resolve(values['data-root'] ?? process.env.UNMASK_DATA_ROOT ?? '../shared/data');
  const out = path.resolve(values.out ?? 'figures');
  // The study keeps its own database (and checkpoints) beside its figures unless --db says otherwise.
  const { store, runsDir } = openStore(values.db ?? path.join(out, 'study', 'unmask.db'));
  try {
    const progress = trainingProgress();
    const report = await reproduce({
      dataRoot,
      out,
      quick: values.quick === true,
      seed: Number(values.seed ?? 0),
      store,
      runsDir,
      xceptionWeights: values['xception-weights'],
      onEvent: progress,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    const runs = report.results.map((r) => ({ run: r.run, key: r.job.key, testAccAtBestVal: r.testAccAtBestVal, auc: r.test?.auc ?? null }));
    process.stdout.write(`${JSON.stringify({ out, runs, written: report.figures, skipped: report.skipped })}\n`);
    return 0;
  } finally {
    store.close();
  }
}
