// Runs the real `unmask` CLI in a child process for tests, on the wasm engine unless the caller's env says otherwise.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `node bin/unmask.js ...args` from the repository root; `code` is -1 when it was killed (timeout). */
export function runUnmask(args: string[], options: { timeout?: number; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const r = spawnSync(process.execPath, ['bin/unmask.js', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: options.timeout ?? 120_000,
    env: options.env ?? { ...process.env, UNMASK_ENGINE: 'wasm' },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
