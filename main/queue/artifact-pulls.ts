// The coordinator's pulls from an S3 artifact root into this machine's mirror, chained per job so that a job's
// records keep the order their events came in. Kept apart from QueueCoordinator, which only says what to pull.
import type { ArtifactSync } from './artifact-store.js';

export class ArtifactPulls {
  /** Per job, the records waiting on a pull, in the order their events came. */
  private readonly pulling = new Map<string, Promise<void>>();

  /** `options.sync` is read at each pull; `closed` says whether the coordinator has stopped (no more records). */
  constructor(
    private readonly options: { sync?: ArtifactSync },
    private readonly closed: () => boolean,
  ) {}

  /**
   * Runs `record` once `paths` are pulled into this machine's mirror of an S3 artifact root (so that scoring and
   * explaining here find a run's checkpoints), at once with a folder root. A job's records keep their order. A
   * failed pull does not hold its record back: the files stay in the bucket, and the job's next pull fetches them.
   */
  after(jobId: string, paths: readonly string[], record: () => void): void {
    const { sync } = this.options;
    if (!sync) return record();
    const next = (this.pulling.get(jobId) ?? Promise.resolve())
      .then(() => sync.pullAll(paths))
      .catch(() => undefined)
      .then(() => {
        if (!this.closed()) record();
      });
    this.pulling.set(jobId, next);
    void next.finally(() => {
      if (this.pulling.get(jobId) === next) this.pulling.delete(jobId);
    });
  }

  /** The pulls (and their records) still in flight. */
  pending(): Promise<void>[] {
    return [...this.pulling.values()];
  }
}
