// A worker's side of its message channel: Electron's utilityProcess parentPort or Node's child-process IPC.
import { toErrorPayload } from '../api/errors.js';

interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

export interface WorkerPort<In, Out> {
  onMessage(listener: (message: In) => void): void;
  send(message: Out): void;
}

/** The channel to the process that started this one. Throws when there is none (run directly). */
export function parentChannel<In, Out>(): WorkerPort<In, Out> {
  const electronPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (electronPort) {
    return { onMessage: (l) => electronPort.on('message', (e) => l(e.data as In)), send: (m) => electronPort.postMessage(m) };
  }
  if (!process.send) throw new Error('this is a worker script: it is started by the Unmask app or server, not run directly');
  // A parent that goes away takes its workers with it: no orphaned training holding the GPU or the cores.
  process.on('disconnect', () => process.exit(0));
  // A write to a parent killed a moment ago fails (EPIPE) before 'disconnect' arrives: leave quietly then too.
  const send = (m: Out) => {
    if (process.connected) process.send!(m, undefined, {}, (error) => error && process.exit(0));
  };
  return { onMessage: (l) => process.on('message', (m) => l(m as In)), send };
}

/** Last-resort handlers: a worker reports an unexpected error to its parent before exiting. */
export function reportCrashes(send: (error: ReturnType<typeof toErrorPayload>) => void): void {
  const crash = (error: unknown) => {
    try {
      send(toErrorPayload(error));
    } finally {
      setTimeout(() => process.exit(1), 100);
    }
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
}
