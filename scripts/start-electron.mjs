// `npm start`: runs Unmask in Electron. Finds (or downloads) the Electron binary, builds, checks the native
// database module fits Electron's ABI, then starts Electron on this folder. Without Electron it says how to use the
// browser mode instead and exits 1.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const electronDir = path.join(root, 'node_modules', 'electron');
/** The download is ~100 MB; past this the attempt is abandoned (a stalled proxy must not hang `npm start`). */
const DOWNLOAD_TIMEOUT_MS = Number(process.env.UNMASK_ELECTRON_DOWNLOAD_TIMEOUT_MS) || 300_000;

/** The executable node_modules/electron/index.js would return, or null when it was never downloaded. */
function electronBinary() {
  try {
    const relative = fs.readFileSync(path.join(electronDir, 'path.txt'), 'utf8').trim();
    const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH || path.join(electronDir, 'dist');
    const binary = path.join(dist, relative);
    return fs.existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

/** The first line that names the error in the installer's output, else its last line. */
function reasonOf(result) {
  if (result.error?.code === 'ETIMEDOUT') return `no answer within ${Math.round(DOWNLOAD_TIMEOUT_MS / 1000)} s`;
  if (result.error) return result.error.message;
  const lines = `${result.stderr ?? ''}\n${result.stdout ?? ''}`
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.find((l) => /error/i.test(l) && !l.startsWith('at ')) ?? lines.at(-1) ?? `the installer exited with ${result.status}`;
}

/** Runs Electron's own installer (npm install skips it on purpose: ELECTRON_SKIP_BINARY_DOWNLOAD=1). */
function downloadElectron() {
  if (!fs.existsSync(path.join(electronDir, 'install.js'))) return 'the electron package is not installed (run `npm install`)';
  process.stderr.write('Electron is not downloaded yet: downloading it (once)…\n');
  const env = { ...process.env };
  delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;
  const result = spawnSync(process.execPath, [path.join(electronDir, 'install.js')], {
    cwd: electronDir,
    env,
    encoding: 'utf8',
    timeout: DOWNLOAD_TIMEOUT_MS,
    killSignal: 'SIGKILL',
  });
  return result.status === 0 && electronBinary() ? null : reasonOf(result);
}

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/**
 * better-sqlite3 is compiled against one ABI (Node's after `npm install`); the app's main process opens the
 * database with it under Electron's. Rebuilding is left to the user: it breaks the CLI and tests until reverted.
 */
function checkDatabaseModule(binary) {
  const probe = spawnSync(binary, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], {
    cwd: root,
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (probe.status === 0) return;
  const mismatch = /NODE_MODULE_VERSION/.test(probe.stderr ?? '');
  fail(
    mismatch
      ? 'better-sqlite3 is built for Node.js, not for Electron. Rebuild it for Electron with\n' +
          '  npx electron-builder install-app-deps\n' +
          'and run `npm rebuild better-sqlite3` before using the CLI or the tests again ' +
          '(or run `npm run serve` to use Unmask in your browser instead).'
      : `Electron cannot load better-sqlite3: ${reasonOf(probe)}`,
  );
}

let binary = electronBinary();
if (!binary) {
  const reason = downloadElectron();
  binary = electronBinary();
  if (!binary) {
    fail(`The Electron binary could not be downloaded (${reason}).\n` + 'run `npm run serve` to use Unmask in your browser instead.');
  }
}

if (!process.argv.includes('--no-build')) {
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (build.status !== 0) fail(`the build failed (exit ${build.status ?? build.signal})`);
}
checkDatabaseModule(binary);

const env = { ...process.env };
delete env.ELECTRON_RUN_AS_NODE;
const child = spawn(binary, [root, ...process.argv.slice(2).filter((a) => a !== '--no-build')], { cwd: root, stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
