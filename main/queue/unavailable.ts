// The coordinator's QUEUE_UNAVAILABLE errors: a queue call that failed, or a connection that got no answer in
// time. Shared by its connect and its enqueueing, and kept out of the coordinator class's file.
import { UnmaskError } from '../engine/errors.js';

const CONNECT_TIMEOUT_MS = 5000;

/** QUEUE_UNAVAILABLE for the queue at `shown`, saying what failed. */
export function unavailable(shown: string, error: unknown): UnmaskError {
  return new UnmaskError('QUEUE_UNAVAILABLE', `the job queue at ${shown} cannot be reached: ${error instanceof Error ? error.message : String(error)}`);
}

/** `promise`, or QUEUE_UNAVAILABLE for the queue at `shown` when it has not settled in 5 s. */
export async function withTimeout<T>(promise: Promise<T>, shown: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(unavailable(shown, new Error(`no answer in ${CONNECT_TIMEOUT_MS / 1000} s`))), CONNECT_TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
