// `unmask reproduce`: the whole study headless; progress on stderr, one JSON line (what was written) on stdout.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { reproduce } from '../study/reproduce.js';
import { openStore, storeOptions } from './train.js';
import { trainingProgress } from './progress.js';

export async function reproduceCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-root': { type: 'string' },
      out: { type: 'string', default: 'figures' },
      quick: { type: 'boolean', default: false },
      seed: { type: 'string', default: '0' },
      'xception-weights': { type: 'string' },
      ...storeOptions,
    },
  });
  const dataRoot = path.resolve(values['data-root'] ?? process.env.UNMASK_DATA_ROOT ?? '../shared/data');
  const out = path.resolve(values.out!);
  // The study keeps its own database (and checkpoints) beside its figures unless --db says otherwise.
  const { store, runsDir } = openStore(values.db ?? path.join(out, 'study', 'unmask.db'));
  try {
    const progress = trainingProgress();
    const report = await reproduce({
      dataRoot,
      out,
      quick: values.quick!,
      seed: Number(values.seed),
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
