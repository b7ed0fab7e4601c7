// Bundles the Electron side with esbuild: main/app/main.ts and the worker scripts to out/main/ (ESM), the preload to
// out/preload/index.cjs (CommonJS: a sandboxed preload cannot load ES modules). `--renderer` also runs the Vite build.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Electron 41 runs Node 24 and Chromium 146; older targets only cost down-levelling. */
const NODE_TARGET = 'node22';
const CHROME_TARGET = 'chrome130';

/**
 * Main process and workers: our own code bundled, every package left to node_modules (`packages: 'external'`). The
 * natives and wasm (better-sqlite3, sharp, @tensorflow/*, h5wasm) must stay external anyway, and the pure-JS ones
 * ship in the packaged app's node_modules regardless, so bundling them would only duplicate them and trade Node's
 * own ESM/CommonJS interop, which the CLI and tests already exercise, for esbuild's.
 */
export async function buildMain() {
  await build({
    absWorkingDir: root,
    entryPoints: {
      main: 'main/app/main.ts',
      'train-worker': 'main/worker/train-worker.ts',
      'analysis-worker': 'main/worker/analysis-worker.ts',
    },
    outdir: 'out/main',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: NODE_TARGET,
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
}

/** The preload: one self-contained CommonJS file whose only require is 'electron' (no zod, no Node built-ins). */
export async function buildPreload(outfile = path.join(root, 'out/preload/index.cjs')) {
  await build({
    absWorkingDir: root,
    entryPoints: ['preload/index.ts'],
    outfile,
    bundle: true,
    // 'browser': a Node built-in creeping into the preload fails the build instead of failing in the sandbox.
    platform: 'browser',
    format: 'cjs',
    target: CHROME_TARGET,
    external: ['electron'],
    sourcemap: 'inline',
    logLevel: 'warning',
  });
}

/** The Vue renderer, through its own npm script (Vite, into out/renderer/). */
export function buildRenderer() {
  const result = spawnSync('npm', ['run', 'build:renderer'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) throw new Error(`the renderer build failed (exit ${result.status ?? result.signal})`);
}

/**
 * Whether `npm run dist` will carry the native engine: tfjs-node's addon with libtensorflow in its deps/lib (what
 * `npm run setup:native-engine` builds; electron-builder.yml unpacks both from the asar). The gpu engine never is.
 */
export function nativeEngineNote() {
  const pkg = path.join(root, 'node_modules/@tensorflow/tfjs-node');
  const napi =
    fs.existsSync(path.join(pkg, 'lib')) && fs.readdirSync(path.join(pkg, 'lib')).find((d) => fs.existsSync(path.join(pkg, 'lib', d, 'tfjs_binding.node')));
  const lib = ['libtensorflow_cc.so.2', 'libtensorflow.so.2', 'libtensorflow.2.dylib', 'tensorflow.dll'].find((f) =>
    fs.existsSync(path.join(pkg, 'deps/lib', f)),
  );
  if (!napi || !lib) return 'native engine not set up: a packaged app will run on wasm (run `npm run setup:native-engine` before `npm run dist` to carry it)';
  const source = fs.existsSync(path.join(pkg, 'deps/.source')) ? fs.readFileSync(path.join(pkg, 'deps/.source'), 'utf8').trim() : lib;
  return `native engine set up (${source}): a packaged app carries it`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  if (process.argv.includes('--renderer')) buildRenderer();
  await Promise.all([buildMain(), buildPreload()]);
  process.stdout.write(`built out/main (main, train-worker, analysis-worker) and out/preload/index.cjs in ${Date.now() - started} ms\n`);
  process.stdout.write(`${nativeEngineNote()}\n`);
}
