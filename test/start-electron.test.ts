// `npm start` without an Electron binary (and no way to download it) exits 1 and points to browser mode.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const installed = fs.existsSync(path.join(root, 'node_modules/electron/path.txt'));

test('start-electron without the binary exits 1 and suggests `npm run serve`', { skip: installed && 'the Electron binary is installed here' }, () => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-electron-cache-'));
  try {
    const started = Date.now();
    const result = spawnSync(process.execPath, ['scripts/start-electron.mjs', '--no-build'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...process.env,
        // The download must fail, and fast, even on a machine with network: a closed local port as the mirror,
        // an empty cache (no zip from an earlier download), and a short limit should it hang anyway.
        ELECTRON_MIRROR: 'http://127.0.0.1:9/',
        electron_config_cache: cache,
        ELECTRON_SKIP_BINARY_DOWNLOAD: '1',
        UNMASK_ELECTRON_DOWNLOAD_TIMEOUT_MS: '20000',
      },
    });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /The Electron binary could not be downloaded \(.+\)/);
    assert.match(result.stderr, /run `npm run serve` to use Unmask in your browser instead/);
    assert.ok(Date.now() - started < 30_000, 'no long wait');
    assert.equal(fs.existsSync(path.join(root, 'node_modules/electron/path.txt')), false);
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
});
