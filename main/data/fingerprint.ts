// A dataset's content fingerprint: changes when any image's bytes, label or split change.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SPLITS, type DatasetScan } from './types.js';

/**
 * sha256 over (split, label, path relative to the root, sha256 of the file's bytes) of every sample, in a
 * fixed order, so a resumed run can refuse a dataset that changed under it. Reads every image once.
 */
export async function fingerprintDataset(scan: DatasetScan, concurrency = 16): Promise<string> {
  const rows: string[] = [];
  for (const split of SPLITS) {
    for (const s of scan.splits[split].samples) rows.push(`${split}\t${s.label}\t${path.relative(scan.root, s.path)}\t${s.path}`);
  }
  rows.sort();
  const digests = new Array<string>(rows.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < rows.length) {
      const i = next++;
      const file = rows[i]!.split('\t')[3]!;
      digests[i] = createHash('sha256').update(await fs.readFile(file)).digest('hex');
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, worker));
  const total = createHash('sha256');
  rows.forEach((row, i) => total.update(`${row.split('\t').slice(0, 3).join('\t')}\t${digests[i]}\n`));
  return `sha256:${total.digest('hex')}`;
}
