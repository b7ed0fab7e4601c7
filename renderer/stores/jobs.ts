// Training: the new-run form, the job list kept live from 'job' events, start and cancel; other events routed on.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { JobInfo } from '../../main/api/contract';
import { api } from '../api';
import { useLiveJobs } from '../composables/useLiveJobs';
import { useSweepForm } from '../composables/useSweepForm';
import { useTrainForm } from '../composables/useTrainForm';
import { useAppStore } from './app';

export type { TrainForm } from '../composables/useTrainForm';

export const useJobsStore = defineStore('jobs', () => {
  const app = useAppStore();
  const starting = ref(false);
  /** The job list, kept live from the main side's events once connected. */
  const { jobs, active, finished, upsert, connect, disconnect } = useLiveJobs();
  const { form, modelInfo, applyDefaults, applyRecommended, request } = useTrainForm();
  /** The sweep form: the models, learning rates and seeds to combine (the rest of the form is shared). */
  const { sweep, sweepGrid, sweepRequest } = useSweepForm(form, request);

  async function startSweep(): Promise<void> {
    const body = sweepRequest();
    starting.value = true;
    const started = await app.attempt(() => api().startSweep(body));
    starting.value = false;
    for (const job of started?.jobs ?? []) upsert(job);
  }

  async function start(): Promise<JobInfo | undefined> {
    const body = request();
    starting.value = true;
    const job = await app.attempt(() => api().startTraining(body));
    starting.value = false;
    if (job) upsert(job);
    return job;
  }

  async function cancel(jobId: number): Promise<void> {
    const job = await app.attempt(() => api().cancelJob({ jobId }));
    if (job) upsert(job);
  }

  return {
    jobs,
    form,
    sweep,
    sweepGrid,
    starting,
    active,
    finished,
    modelInfo,
    applyDefaults,
    applyRecommended,
    connect,
    disconnect,
    start,
    startSweep,
    cancel,
  };
});
