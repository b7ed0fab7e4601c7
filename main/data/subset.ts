// A small look-alike of a dataset folder made of symbolic links, for quick studies and tests.
import fs from 'node:fs';
import path from 'node:path';
import { SPLITS } from './types.js';

/**
 * Links the first `perClass` files (by name) of every `{split}/{class}` folder of `source` into the same
 * layout under `dest`. Only the seed's `{train,val,test}/{real,fake}` layout is mirrored; nothing is copied.
 */
export function linkSubset(source: string, dest: string, perClass: Partial<Record<(typeof SPLITS)[number], number>> | number): string {
  for (const split of SPLITS) {
    const n = typeof perClass === 'number' ? perClass : (perClass[split] ?? 0);
    for (const cls of ['real', 'fake']) {
      const from = path.join(source, split, cls);
      if (n === 0 || !fs.existsSync(from)) continue;
      const to = path.join(dest, split, cls);
      fs.mkdirSync(to, { recursive: true });
      for (const name of fs
        .readdirSync(from)
        .filter((f) => !f.startsWith('.'))
        .sort()
        .slice(0, n)) {
        fs.symlinkSync(path.resolve(from, name), path.join(to, name));
      }
    }
  }
  return dest;
}
