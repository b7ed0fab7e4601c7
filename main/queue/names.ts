// Names shared by the coordinator and the workers: the queue, the cancel topic, worker names and failure reasons.
import os from 'node:os';
import type { ErrorPayload } from '../api/contract.js';

/** The one BullMQ queue every job kind goes through (BullMQ's default `bull` key prefix). */
export const QUEUE_NAME = 'unmask';

/** Relay topic on which the coordinator asks the worker running a job to cancel it. */
export const CANCEL_TOPIC = 'unmask.cancel';

/** A worker's name: `host:pid:engine` (Redis client names allow no spaces), or what `--name` gave. */
export function workerName(engine: string, given?: string): string {
  const raw = given ?? `${os.hostname()}:${process.pid}:${engine}`;
  return raw.replace(/[^\w.:@-]/g, '-').slice(0, 120);
}

/** What a worker name says, for the fleet view (a `--name` that is not host:pid:engine keeps only its host). */
export function parseWorkerName(name: string): { host: string; pid: number | null; engine: string | null } {
  const m = /^(.*):(\d+):(\w+)$/.exec(name);
  return m ? { host: m[1]!, pid: Number(m[2]), engine: m[3]! } : { host: name, pid: null, engine: null };
}

/** A job's failure as BullMQ stores it (a string): `CODE: message`, so the coordinator rebuilds the code. */
export function failureReason(error: ErrorPayload): string {
  return `${error.code}: ${error.message}`;
}

export function parseFailureReason(reason: string | undefined): ErrorPayload {
  const m = /^([A-Z_]+): ([\s\S]*)$/.exec(reason ?? '');
  return m ? { code: m[1]!, message: m[2]! } : { code: 'INTERNAL', message: reason || 'the job failed' };
}
