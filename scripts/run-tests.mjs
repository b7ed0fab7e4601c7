// Runs the tests with Node's test runner (Node 20's --test does not expand globs): every *.test.ts under main/ and
// test/, or only the files and folders named on the command line; `--unit` keeps the fast inner-loop set (no
// browser, no child-process CLI or queue runs, no full trainings). Other flags go to node --test.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Left out of `--unit`, always run by `npm test`: test/ (child processes, browsers, queues) and the main/ files that
 * train or score real images for tens of seconds each.
 */
const SLOW = [
  /^test\//,
  /main\/train\/(frozen|step)\.test\.ts$/,
  /main\/analysis\/(evaluate|score)\.test\.ts$/,
  /main\/analysis\/explain\/explain-cli\.test\.ts$/,
  /main\/models\/bonus\.test\.ts$/,
];

function findTests(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : findTests(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

const argv = process.argv.slice(2);
const unit = argv.includes('--unit');
const named = argv.filter((a) => !a.startsWith('--') && fs.existsSync(a));
const flags = argv.filter((a) => a !== '--unit' && !named.includes(a));
const roots = named.length > 0 ? named : ['main', 'test'].filter((dir) => fs.existsSync(dir));
let files = roots.flatMap((p) => (fs.statSync(p).isDirectory() ? findTests(p) : [p])).sort();
if (unit) files = files.filter((f) => !SLOW.some((slow) => slow.test(f.split(path.sep).join('/'))));
// The full run takes one file at a time: the 2-core machines share their cores with each test's wasm thread pool.
// The unit set's files are short, and mostly start-up (tsx, tfjs): two at a time.
const args = ['--import', 'tsx', '--test', `--test-concurrency=${unit ? 2 : 1}`, ...flags, ...files];
const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(result.status ?? 1);
