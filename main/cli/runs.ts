// `unmask runs` (the run table) and `unmask export-log RUN` (a run's log in the course assignment's JSON shape).
import fs from 'node:fs';
import { foldersName, runFolders } from '../data/run-folders.js';
import { UnmaskError } from '../engine/errors.js';
import type { RunSummary } from '../store/index.js';
import type { COMMANDS } from './commands.js';
import type { ParsedCommand } from './spec.js';
import { openStore } from './train.js';

const pct = (v: number | null): string => (v == null ? '-' : `${v.toFixed(2)}%`);

/**
 * The run's own test AUC as the table shows it, with where it comes from: "0.954 (best ep 3)"; "missing" when an
 * older version let another scoring replace it (re-score it with `unmask score`); "-" before it is scored.
 */
export function ownTestAuc(run: RunSummary): string {
  if (run.missingOwnScores.some((m) => m.split === 'test')) return `missing: unmask score --run ${run.id}`;
  const set = run.ownScores.find((s) => s.split === 'test');
  if (!set) return '-';
  const auc = set.auc == null ? 'n/a' : set.auc.toFixed(3);
  return `${auc} (${set.checkpointEpoch == null ? 'best, epoch not recorded' : `best ep ${set.checkpointEpoch}`})`;
}

export async function runsCommand({ values }: ParsedCommand<typeof COMMANDS.runs.options>): Promise<number> {
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
      foldersName(runFolders(r)),
      `${r.params.optimizer} lr=${r.params.lr} b=${r.params.batchSize}`,
      `${r.epochsDone}/${r.params.epochs}`,
      r.engine,
      r.status,
      pct(r.bestValAcc),
      pct(r.testAccAtBestVal),
      ownTestAuc(r),
      `${Math.round(r.seconds)}s`,
    ]);
    const header = ['run', 'model', 'dataset', 'params', 'epochs', 'engine', 'status', 'best val', 'test@best', 'own test AUC', 'time'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const row of [header, ...rows]) process.stdout.write(`${row.map((c, i) => c.padEnd(widths[i]!)).join('  ')}\n`);
    return 0;
  } finally {
    store.close();
  }
}

export async function exportLogCommand({ values, positionals }: ParsedCommand<(typeof COMMANDS)['export-log']['options']>): Promise<number> {
  const id = Number(positionals[0]);
  if (!Number.isInteger(id) || id < 1) throw new UnmaskError('BAD_ARGUMENT', `unmask export-log: RUN must be a run id, got '${positionals[0]}'`);
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
