// Starts worker processes: Node child processes here (CLI server, tests); Electron passes its own launcher.
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type WorkerName = 'train' | 'analysis';

/** The main side's handle on one worker process. */
export interface WorkerHandle {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(): void;
}

export type LaunchWorker = (name: WorkerName) => WorkerHandle;

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Forks `main/worker/<name>-worker.ts` through tsx's loader, with the parent's environment (engine choice etc.)
 * and `env` over it (a queue job's scratch store).
 */
export const nodeWorkerLauncher =
  (env: NodeJS.ProcessEnv = {}): LaunchWorker =>
  (name) => {
    const child = fork(path.join(here, `${name}-worker.ts`), [], {
      execArgv: [...process.execArgv.filter((a) => !a.startsWith('--test')), '--import', 'tsx'],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, ...env },
    });
    return {
      send: (message) => {
        if (child.connected) child.send(message as object);
      },
      onMessage: (listener) => child.on('message', listener),
      onExit: (listener) => child.on('exit', (code, signal) => listener(code, signal)),
      kill: () => child.kill('SIGKILL'),
    };
  };

/** Forks a worker with the parent's environment. */
export const launchNodeWorker: LaunchWorker = nodeWorkerLauncher();
