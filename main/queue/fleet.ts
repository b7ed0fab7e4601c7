// The fleet as BullMQ sees it: the workers connected to the queue, the jobs each is running, and the queue's depth.
import type { Job, Queue } from 'bullmq';
import type { FleetInfo, FleetWorker } from '../api/contract.js';
import type { RunStore } from '../store/index.js';
import { parseWorkerName } from './names.js';
import { isJobKind, type QueueJobKind } from './payloads.js';

/** What a running job is, in a few words: the run it trains, the run it evaluates, or its feature shard. */
function describe(job: Job, store: RunStore): FleetWorker['jobs'][number] | null {
  if (!isJobKind(job.name) || !job.id) return null;
  const kind: QueueJobKind = job.name;
  const ledger = store.getJob(job.id.replace(/-f\d+$/, ''));
  const data = job.data as {
    request?: { model?: string; lr?: number; dataset?: string };
    shard?: { index: number; count: number };
    params?: { runId?: number; dataset?: string };
  };
  const runId = ledger?.runId ?? null;
  let label: string;
  if (kind === 'train')
    label = `${data.request?.model ?? '?'} · lr ${data.request?.lr ?? '?'} · ${data.request?.dataset ?? '?'}${runId ? ` (run ${runId})` : ''}`;
  else if (kind === 'features')
    label = `features ${(data.shard?.index ?? 0) + 1}/${data.shard?.count ?? '?'} · ${data.request?.model ?? '?'} · ${data.request?.dataset ?? '?'}`;
  else label = `evaluate run ${data.params?.runId ?? '?'} on ${data.params?.dataset ?? '?'}`;
  return { queueJobId: job.id, kind, label, runId };
}

/** The workers (one entry per worker, named `host:pid:engine`), what each runs, and the job counts. */
export async function readFleet(queue: Queue, store: RunStore): Promise<Pick<FleetInfo, 'workers' | 'depth'>> {
  const [clients, counts, active] = await Promise.all([
    queue.getWorkers(),
    queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'waiting-children', 'completed', 'failed'),
    queue.getActive(0, 200) as Promise<Job[]>,
  ]);
  const byName = new Map<string, FleetWorker>();
  for (const client of clients) {
    const raw = client['rawname'] ?? '';
    const at = raw.indexOf(':w:');
    if (at < 0) continue; // a worker without a name: not one of ours
    const name = raw.slice(at + 3);
    const age = Number(client['age']);
    const known = byName.get(name);
    const connectedSeconds = Number.isFinite(age) ? Math.max(age, known?.connectedSeconds ?? 0) : (known?.connectedSeconds ?? null);
    byName.set(name, { name, ...parseWorkerName(name), connectedSeconds, jobs: [] });
  }
  for (const job of active) {
    const worker = job.processedBy ? byName.get(job.processedBy) : undefined;
    const described = worker ? describe(job, store) : null;
    if (worker && described) worker.jobs.push(described);
  }
  const n = (k: string) => counts[k] ?? 0;
  return {
    workers: [...byName.values()].sort((a, b) => a.name.localeCompare(b.name)),
    depth: {
      waiting: n('wait') + n('prioritized'),
      active: n('active'),
      delayed: n('delayed'),
      waitingChildren: n('waiting-children'),
      completed: n('completed'),
      failed: n('failed'),
    },
  };
}
