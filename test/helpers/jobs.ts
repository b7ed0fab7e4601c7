// Waiting on a service's training jobs through its events, as the UI follows them.
import type { JobInfo } from '../../main/api/contract.js';
import type { UnmaskService } from '../../main/service/service.js';

/** The job's JobInfo once `test` holds for it (checked against every event from now on). */
export function reached(service: UnmaskService, jobId: number, test: (job: JobInfo) => boolean): Promise<JobInfo> {
  return new Promise((resolve) => {
    const off = service.onEvent((e) => {
      if (e.type === 'job' && e.job.id === jobId && test(e.job)) {
        off();
        resolve(e.job);
      }
    });
  });
}

/** The job's JobInfo once it has ended (completed, failed or cancelled). */
export const settled = (service: UnmaskService, jobId: number): Promise<JobInfo> => reached(service, jobId, (j) => !['queued', 'running'].includes(j.state));
