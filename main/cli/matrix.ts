// `unmask matrix`: the cross-dataset matrix as one JSON line, and with --out its figure (SVG, PNG) and CSV.
import path from 'node:path';
import type { COMMANDS } from './commands.js';
import { parseRunIds } from './figures.js';
import type { ParsedCommand } from './spec.js';
import { openStore } from './train.js';

export async function matrixCommand({ values }: ParsedCommand<typeof COMMANDS.matrix.options>): Promise<number> {
  const runIds = values.runs === undefined ? undefined : parseRunIds(values.runs);
  const [{ crossDatasetMatrix }, { writeMatrixFiles }] = await Promise.all([import('../analysis/matrix.js'), import('../analysis/figures/matrix-files.js')]);
  const { store } = openStore(values.db);
  try {
    const matrix = crossDatasetMatrix(store, { runIds });
    const files = values.out === undefined ? [] : await writeMatrixFiles(matrix, path.resolve(values.out));
    process.stdout.write(`${JSON.stringify({ ...matrix, files })}\n`);
    return 0;
  } finally {
    store.close();
  }
}
