// Electron's LaunchWorker: each worker is a utilityProcess running a bundled worker script, so no training,
// scoring or explaining ever runs in the main process.
import path from 'node:path';
import type { LaunchWorker, WorkerName } from '../worker/launch.js';

/** What is used of an Electron UtilityProcess (a fake stands in for it in tests). */
export interface UtilityChild {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  kill(): boolean;
}

export interface UtilityForkOptions {
  env: Record<string, string>;
  serviceName: string;
  stdio: 'inherit';
}

/** `utilityProcess.fork`, narrowed. */
export type UtilityFork = (modulePath: string, args: string[], options: UtilityForkOptions) => UtilityChild;

export interface UtilityLauncherOptions {
  /** Folder of the bundled `<name>-worker.js` scripts (out/main). */
  scriptsDir: string;
  /** The workers' environment: the app's, plus UNMASK_DB and the resource folders. */
  env: Record<string, string>;
}

const SERVICE_NAMES: Record<WorkerName, string> = { train: 'Unmask training', analysis: 'Unmask analysis' };

/** A LaunchWorker over `fork`; messages are structured clones both ways, as with the Node launcher. */
export function createUtilityLauncher(fork: UtilityFork, options: UtilityLauncherOptions): LaunchWorker {
  return (name) => {
    const child = fork(path.join(options.scriptsDir, `${name}-worker.js`), [], {
      env: options.env,
      serviceName: SERVICE_NAMES[name],
      stdio: 'inherit',
    });
    let alive = true;
    child.on('exit', () => {
      alive = false;
    });
    return {
      send: (message) => {
        if (alive) child.postMessage(message);
      },
      onMessage: (listener) => child.on('message', listener),
      // A utility process reports an exit code only; a kill shows as a non-zero code.
      onExit: (listener) => child.on('exit', (code) => listener(code, null)),
      kill: () => {
        if (alive) child.kill();
      },
    };
  };
}

/** process.env without its undefined entries, plus `extra`. */
export function workerEnv(base: NodeJS.ProcessEnv, extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) if (value !== undefined) env[key] = value;
  return { ...env, ...extra };
}
