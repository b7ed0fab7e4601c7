// The training jobs as the main side reports them, kept live from its events: 'job' events update the list (merged with
// listJobs snapshots, newest first) and the other events are routed on to the stores they concern.
import { computed, ref } from 'vue';
import type { ApiEvent, JobInfo } from '../../main/api/contract';
import { api } from '../api';
import { useAppStore } from '../stores/app';
import { useDatasetsStore } from '../stores/datasets';
import { useRunsStore } from '../stores/runs';

const ACTIVE = new Set(['queued', 'running']);

export function useLiveJobs() {
  const app = useAppStore();
  const jobs = ref<JobInfo[]>([]);
  const active = computed(() => jobs.value.filter((j) => ACTIVE.has(j.state)));
  const finished = computed(() => jobs.value.filter((j) => !ACTIVE.has(j.state)));
  let unsubscribe: (() => void) | null = null;

  /** A listJobs snapshot can be older than an event that overtook it: keep whichever has got further. */
  function staleAgainst(job: JobInfo): boolean {
    const known = jobs.value.find((j) => j.id === job.id);
    if (!known) return false;
    const rank = (j: JobInfo) => (j.state === 'queued' ? 0 : j.state === 'running' ? 1 : 2);
    if (rank(known) !== rank(job)) return rank(known) > rank(job);
    if (known.epochs.length !== job.epochs.length) return known.epochs.length > job.epochs.length;
    return known.progress.fraction > job.progress.fraction;
  }

  /** Adds or replaces a job (from an event or an action's answer). */
  function upsert(job: JobInfo): void {
    const rest = jobs.value.filter((j) => j.id !== job.id);
    jobs.value = [...rest, job].sort((a, b) => b.id - a.id);
  }

  function onEvent(event: ApiEvent): void {
    if (event.type === 'job') upsert(event.job);
    else if (event.type === 'runs-changed') void useRunsStore().refresh();
    else if (event.type === 'dataset-opened') useDatasetsStore().received(event.dataset);
  }

  /** Loads the job list and subscribes to live events (idempotent). */
  async function connect(): Promise<void> {
    unsubscribe ??= api().onEvent(onEvent);
    const list = await app.attempt(() => api().listJobs());
    if (list) for (const job of list) if (!staleAgainst(job)) upsert(job);
  }

  function disconnect(): void {
    unsubscribe?.();
    unsubscribe = null;
  }

  return { jobs, active, finished, upsert, connect, disconnect };
}
