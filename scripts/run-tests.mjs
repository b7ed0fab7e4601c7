// Runs every *.test.ts under main/ and test/ with Node's test runner (Node 20's --test does not expand globs).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

function findTests(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : findTests(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

const files = ['main', 'test'].flatMap((dir) => (fs.existsSync(dir) ? findTests(dir) : [])).sort();
// One file at a time: the 2-core machines share their cores with each test's wasm thread pool.
const args = ['--import', 'tsx', '--test', '--test-concurrency=1', ...process.argv.slice(2), ...files];
const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(result.status ?? 1);
