// `unmask sweep`: a grid of training runs through the app's own service — its queue of local worker processes, or
// the Redis queue and its workers — with one JSON line per run as each ends.
import path from 'node:path';
import type { ApiEvent, JobInfo, SweepRequest } from '../api/contract.js';
import { dispatch } from '../api/dispatch.js';
import { fromErrorPayload } from '../api/errors.js';
import { UnmaskError } from '../engine/errors.js';
import type { UnmaskService } from '../service/service.js';
import { defaultDbPath } from '../store/index.js';
import { datasetFolders } from '../train/request-schema.js';
import type { COMMANDS } from './commands.js';
import { queueFromFlags } from './options.js';
import type { ParsedCommand } from './spec.js';
import { requestFromFlags } from './train.js';

type Flags = ParsedCommand<typeof COMMANDS.sweep.options>['values'];

/** A comma-separated flag as a list (numbers checked), or undefined when not given. */
function list(value: string | undefined, flag: string): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new UnmaskError('BAD_ARGUMENT', `${flag}: give one or more values, comma-separated`);
  return items;
}

function numbers(value: string | undefined, flag: string): number[] | undefined {
  const items = list(value, flag);
  const out = items?.map(Number);
  if (out?.some((n) => !Number.isFinite(n))) throw new UnmaskError('BAD_ARGUMENT', `${flag}: '${value}' is not a list of numbers`);
  return out;
}

/** The sweep the flags ask for: the shared fields as `unmask train` reads them, the listed ones as the grid. */
export function sweepFromFlags(values: Flags): SweepRequest {
  const base = requestFromFlags({ ...values, model: undefined, lr: undefined, optimizer: undefined, 'batch-size': undefined, seed: undefined });
  const defined = Object.fromEntries(Object.entries(base).filter(([, v]) => v !== undefined)) as SweepRequest['base'];
  const grid: SweepRequest['grid'] = { model: list(values.model, '-m') ?? ['SimpleNet'] };
  const lr = numbers(values.lr, '--lr');
  const optimizer = list(values.optimizer, '-o');
  const batchSize = numbers(values['batch-size'], '-b');
  const seed = numbers(values.seed, '--seed');
  return {
    base: defined,
    grid: { ...grid, ...(lr ? { lr } : {}), ...(optimizer ? { optimizer } : {}), ...(batchSize ? { batchSize } : {}), ...(seed ? { seed } : {}) },
  };
}

const FINAL = new Set(['completed', 'failed', 'cancelled']);

/** One progress line per job and phase change on stderr (the rest of a phase's batches stay quiet). */
function progressLine(job: JobInfo): string {
  const p = job.progress;
  const where = job.worker ? ` on ${job.worker}` : '';
  const what = p.phase === 'train' || p.phase === 'val' || p.phase === 'test' ? `epoch ${p.epoch}/${p.epochs} ${p.phase}` : p.phase;
  return `job ${job.id} ${job.request.model} lr ${job.request.lr}${where}: ${job.state === 'running' ? what : job.state}`;
}

/** The app's service as `unmask sweep` runs it: local worker processes, or the Redis queue of the flags or UNMASK_QUEUE. */
async function sweepService(values: Flags, dbPath: string, dataset: string) {
  // Queued datasets are named relative to the data root: by default the folder holding the dataset.
  const dataRoot = values['data-root'] ?? process.env.UNMASK_DATA_ROOT ?? path.dirname(dataset);
  const [{ createService }, { launchNodeWorker }] = await Promise.all([import('../service/service.js'), import('../worker/launch.js')]);
  process.env.UNMASK_DB = dbPath; // local workers find the database through the environment
  const queue = queueFromFlags(values);
  return createService({ dbPath, transport: 'http', launch: launchNodeWorker, dataRoot, ...(queue ? { queue } : {}) });
}

/** The JSON line of a job that ended: its run, state, worker, model, rate, epochs and best validation accuracy. */
function resultLine(job: JobInfo): string {
  const valAcc = job.epochs.map((e) => e.valAcc).filter((v) => Number.isFinite(v));
  const out = {
    job: job.id,
    queueJobId: job.queueJobId,
    sweep: job.sweep,
    run: job.runId,
    state: job.state,
    worker: job.worker,
    model: job.request.model,
    lr: job.request.lr,
  };
  return JSON.stringify({ ...out, epochs: job.epochs.length, bestValAcc: valAcc.length ? Math.max(...valAcc) : null, error: job.error });
}

/** Reports the `pending` jobs' progress on stderr and each one's result on stdout; resolves to the failures once all ended. */
function watchJobs(service: UnmaskService, pending: Map<number, JobInfo>): Promise<number> {
  const lastLine = new Map<number, string>();
  let failures = 0;
  return new Promise((resolve) => {
    service.onEvent((event: ApiEvent) => {
      if (event.type !== 'job' || !pending.has(event.job.id)) return;
      const job = event.job;
      const line = progressLine(job);
      if (line !== lastLine.get(job.id)) process.stderr.write(`${line}\n`);
      lastLine.set(job.id, line);
      if (!FINAL.has(job.state)) return;
      pending.delete(job.id);
      if (job.state !== 'completed') failures++;
      process.stdout.write(`${resultLine(job)}\n`);
      if (pending.size === 0) resolve(failures);
    });
  });
}

export async function sweepCommand({ values }: ParsedCommand<typeof COMMANDS.sweep.options>): Promise<number> {
  const request = sweepFromFlags(values);
  const folders = datasetFolders(request.base.dataset);
  const service = await sweepService(values, path.resolve(values.db ?? defaultDbPath()), folders[0]!);
  const call = async <T>(method: string, params: unknown): Promise<T> => {
    const envelope = await dispatch(service.api, method, params);
    if (!envelope.ok) throw fromErrorPayload(envelope.error);
    return envelope.value as T;
  };
  try {
    for (const folder of folders) await call('openDataset', { path: folder });
    const pending = new Map<number, JobInfo>();
    const settled = watchJobs(service, pending);
    const { sweep, jobs } = await call<{ sweep: string; jobs: JobInfo[] }>('startSweep', request);
    for (const job of jobs) if (!FINAL.has(job.state)) pending.set(job.id, job);
    const queue = (await service.api.getInfo()).queue;
    process.stderr.write(
      `${sweep}: ${jobs.length} runs ${queue.url ? `on the queue ${queue.url} (data root ${queue.dataRoot}, artifacts ${queue.artifacts})` : 'on this machine, one after another'}\n`,
    );
    process.once('SIGINT', () => {
      process.stderr.write(
        queue.url
          ? `\nleaving: the runs go on on the workers; their results are recorded the next time this database is opened with --queue ${queue.url}\n`
          : '\ncancelling the runs\n',
      );
      if (!queue.url) for (const id of pending.keys()) void service.api.cancelJob({ jobId: id }).catch(() => undefined);
      else process.exit(130);
    });
    const failures = pending.size > 0 ? await settled : 0;
    return failures === 0 ? 0 : 1;
  } finally {
    await service.close();
  }
}
