// `unmask runs` (the run table) and `unmask export-log RUN` (a run's log in the course assignment's JSON shape).
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { UnmaskError } from '../engine/errors.js';
import { openStore, storeOptions } from './train.js';

const pct = (v: number | null): string => (v == null ? '-' : `${v.toFixed(2)}%`);

export async function runsCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...storeOptions, json: { type: 'boolean', default: false } } });
  const { store } = openStore(values.db);
  try {
    const runs = store.listRuns();
    if (values.json) {
      for (const r of runs) process.stdout.write(`${JSON.stringify(r)}\n`);
      return 0;
    }
    const rows = runs.map((r) => [
      String(r.id),
      r.model,
      r.datasetPath.split(/[\\/]/).filter(Boolean).at(-1) ?? r.datasetPath,
      `${r.params.optimizer} lr=${r.params.lr} b=${r.params.batchSize}`,
      `${r.epochsDone}/${r.params.epochs}`,
      r.engine,
      r.status,
      pct(r.bestValAcc),
      pct(r.testAccAtBestVal),
      `${Math.round(r.seconds)}s`,
    ]);
    const header = ['run', 'model', 'dataset', 'params', 'epochs', 'engine', 'status', 'best val', 'test@best', 'time'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const row of [header, ...rows]) process.stdout.write(`${row.map((c, i) => c.padEnd(widths[i]!)).join('  ')}\n`);
    return 0;
  } finally {
    store.close();
  }
}

export async function exportLogCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...storeOptions, out: { type: 'string' } } });
  const id = Number(positionals[0]);
  if (!Number.isInteger(id)) throw new UnmaskError('BAD_ARGUMENT', 'usage: unmask export-log RUN_ID [--out FILE] [--db FILE]');
  const { store } = openStore(values.db);
  try {
    const text = `${JSON.stringify(store.exportLog(id), null, 2)}\n`;
    if (values.out) fs.writeFileSync(values.out, text);
    else process.stdout.write(text);
    return 0;
  } finally {
    store.close();
  }
}
