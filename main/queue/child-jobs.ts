// A queue worker runs each job in its own child process — the same training and analysis workers the app uses —
// so its own event loop stays free to renew the job's lock, and a cancelled or taken-over job can be killed.
import { fromErrorPayload } from '../api/errors.js';
import { UnmaskError } from '../engine/errors.js';
import { AnalysisClient } from '../service/analysis-client.js';
import type { TrainOutcome } from '../train/session.js';
import { nodeWorkerLauncher } from '../worker/launch.js';
import type { AnalysisOp, AnalysisParams, AnalysisResult, TrainWorkerCommand, TrainWorkerMessage } from '../worker/protocol.js';

/** How long a cancelled training process gets to stop after its batch before it is killed. */
const CANCEL_GRACE_MS = 30_000;

/**
 * Why a job's signal was aborted: the user cancelled it (stop cleanly), this worker lost its lock, or this worker
 * is stopping and hands it back (both: stop now).
 */
export type AbortReason = 'cancel' | 'lost' | 'leave';

/**
 * Runs a train-worker `start` or `resume` command in a new process and resolves with the outcome it reports.
 * `onMessage` sees every message in order. An aborted `signal` asks the process to cancel ('cancel', killed
 * after a grace period) or kills it at once (any other reason). Rejects with the worker's error, rebuilt.
 */
export function runTrainProcess(
  command: Extract<TrainWorkerCommand, { type: 'start' | 'resume' }>,
  onMessage: (message: TrainWorkerMessage) => void,
  signal: AbortSignal,
): Promise<TrainOutcome> {
  const worker = nodeWorkerLauncher()('train');
  return new Promise<TrainOutcome>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | null = null;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => {
      if (signal.reason === 'cancel') {
        worker.send({ type: 'cancel' });
        timer = setTimeout(() => worker.kill(), CANCEL_GRACE_MS);
      } else {
        worker.kill();
        settle(() => reject(new UnmaskError('CANCELLED', "this worker stopped the job (it is stopping, or lost the job's lock); another worker continues it")));
      }
    };
    signal.addEventListener('abort', onAbort);
    worker.onMessage((m) => {
      const message = m as TrainWorkerMessage;
      onMessage(message);
      if (message.type === 'done') settle(() => resolve(message.outcome));
      if (message.type === 'error') settle(() => reject(fromErrorPayload(message.error)));
    });
    // Messages sent just before exiting can arrive after the exit event: let them land first.
    worker.onExit((code, how) =>
      setTimeout(
        () => settle(() => reject(new UnmaskError(signal.aborted ? 'CANCELLED' : 'INTERNAL', `the training process stopped (${how ?? `exit code ${code}`})`))),
        200,
      ),
    );
    if (signal.aborted) onAbort();
    else worker.send(command);
  });
}

/**
 * One request to a new analysis-worker process whose run store is `dbPath` (a job's scratch store), which is
 * closed afterwards. An aborted `signal` kills it and rejects with CANCELLED.
 */
export async function runAnalysisProcess<K extends AnalysisOp>(
  dbPath: string,
  op: K,
  params: AnalysisParams<K>,
  signal: AbortSignal,
): Promise<AnalysisResult<K>> {
  const client = new AnalysisClient(nodeWorkerLauncher({ UNMASK_DB: dbPath }));
  const onAbort = () => client.close();
  signal.addEventListener('abort', onAbort);
  try {
    if (signal.aborted) throw new UnmaskError('CANCELLED', 'the job was cancelled');
    return await client.request(op, params);
  } catch (error) {
    if (signal.aborted)
      throw new UnmaskError('CANCELLED', signal.reason === 'cancel' ? 'the job was cancelled' : 'this worker stopped the job; another worker continues it');
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
    client.close();
  }
}
