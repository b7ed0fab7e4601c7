// The coordinator's side of the queue (the app, `unmask serve`, `unmask sweep`): it enqueues jobs, follows them
// through BullMQ's events and records what comes back in its store, the only process that writes it.
import { randomUUID } from 'node:crypto';
import { FlowProducer, Queue, QueueEvents, Relay } from 'bullmq';
import type { EvaluationSplit, JobInfo, JobRequest } from '../api/contract.js';
import { UnmaskError } from '../engine/errors.js';
import type { EvaluationRecord, RunStore } from '../store/index.js';
import type { TrainRequest } from '../train/request.js';
import { ArtifactPulls } from './artifact-pulls.js';
import { connectionOptions, type QueueAddress } from './connection.js';
import { CANCEL_TOPIC, parseFailureReason, QUEUE_NAME } from './names.js';
import { evaluateResult, jobProgress, parseWire, trainResult, type EvaluatePayload, type JobProgressEvent, type TrainPayload } from './payloads.js';
import { recordEpoch, recordEvaluation, recordJobEnd, recordRunStart, recordTrainResult, type Roots } from './record.js';
import { evaluationRun, queuedFolder, queuedRequest, usesFeatureShards } from './requests.js';
import { JOB_OPTIONS, parentOfShard, shardedTrainFlow } from './job-ids.js';
import { JobTracker } from './job-tracker.js';
import { unavailable, withTimeout } from './unavailable.js';

export interface CoordinatorOptions extends Roots {
  address: QueueAddress;
  store: RunStore;
  /** Shown to workers: `host:pid` of this process. */
  name: string;
  /** JobInfo ids, shared with the jobs run on this machine. */
  nextId: () => number;
  emit: (job: JobInfo, runsChanged: boolean) => void;
  /** Shards a frozen-backbone run's feature extraction is split into (default 2). */
  featureShards?: number;
}

type Waiter = { resolve(e: EvaluationRecord): void; reject(error: Error): void };

export class QueueCoordinator {
  readonly queue: Queue;
  private readonly events: QueueEvents;
  private readonly flows: FlowProducer;
  private readonly relay: Relay;
  /** The JobInfos of the jobs followed, by queue job id. */
  private readonly jobs: JobTracker;
  private readonly waiters = new Map<string, Waiter>();
  /** With an S3 artifact root, the pulls each job's records wait on, in the order their events came. */
  private readonly pulls: ArtifactPulls;
  private closed = false;
  private outage = false;

  private constructor(private readonly options: CoordinatorOptions) {
    this.jobs = new JobTracker(options);
    this.pulls = new ArtifactPulls(options, () => this.closed);
    const fast = connectionOptions(options.address, false);
    this.queue = new Queue(QUEUE_NAME, { connection: fast });
    this.flows = new FlowProducer({ connection: fast });
    this.events = new QueueEvents(QUEUE_NAME, { connection: connectionOptions(options.address, true) });
    this.relay = new Relay({ connection: connectionOptions(options.address, true), name: options.name });
    // connect() and each call report their own failures; an outage is noted, to reconcile once it is over.
    this.queue.on('error', () => undefined);
    this.flows.on('error', () => undefined);
    this.relay.on('error', () => undefined);
    this.events.on('error', () => {
      this.outage = true;
    });
  }

  /** Connects (QUEUE_UNAVAILABLE after 5 s without an answer), then takes up the jobs the ledger has open. */
  static async connect(options: CoordinatorOptions): Promise<QueueCoordinator> {
    const coordinator = new QueueCoordinator(options);
    try {
      await withTimeout(
        Promise.all([coordinator.queue.waitUntilReady(), coordinator.events.waitUntilReady(), coordinator.relay.waitUntilReady()]),
        options.address.shown,
      );
      coordinator.listen();
      await coordinator.reconcile();
    } catch (error) {
      await coordinator.close();
      throw error;
    }
    return coordinator;
  }

  list(): JobInfo[] {
    return this.jobs.list();
  }

  has(id: number): boolean {
    return this.list().some((j) => j.id === id);
  }

  /** Enqueues a training run (with its feature shards first, for a frozen trunk) and records it in the ledger. */
  async addTrain(checked: TrainRequest, api: JobRequest, sweep: string | null): Promise<JobInfo> {
    const request = queuedRequest(checked, this.options);
    const id = randomUUID();
    const data: TrainPayload = { request, sweep, coordinator: this.options.name };
    this.options.store.recordJob({ id, kind: 'train', sweep, request: { request: api } });
    const shards = usesFeatureShards(checked) ? Math.max(1, this.options.featureShards ?? 2) : 0;
    try {
      if (shards === 0) await this.queue.add('train', data, { ...JOB_OPTIONS, jobId: id });
      else await this.flows.add(shardedTrainFlow(id, data, shards));
    } catch (error) {
      recordJobEnd(this.options.store, id, 'failed', { code: 'QUEUE_UNAVAILABLE', message: String((error as Error).message) });
      throw unavailable(this.options.address.shown, error);
    }
    return this.jobs.track(this.options.store.getJob(id)!, shards).info;
  }

  /**
   * Scores run `runId` on a folder of the data root on a worker; resolves with the evaluation once recorded.
   * QUEUE_UNAVAILABLE when no worker is connected (the caller waits for the answer, so it is not left queued).
   */
  async evaluate(
    runId: number,
    params: { dataset: string; split?: EvaluationSplit; checkpoint?: 'best' | 'last'; cropFaces?: boolean },
  ): Promise<EvaluationRecord> {
    const { store } = this.options;
    if (!(await this.queue.getWorkers()).some((c) => (c['rawname'] ?? '').includes(':w:'))) {
      throw new UnmaskError(
        'QUEUE_UNAVAILABLE',
        `no worker is connected to the queue ${this.options.address.shown}: start one (unmask worker --queue URL --data-root DIR --artifacts DIR)`,
      );
    }
    const payload: EvaluatePayload = {
      params: {
        runId,
        dataset: this.options.dataRoot.relative(params.dataset),
        ...(params.split ? { split: params.split } : {}),
        ...(params.checkpoint ? { checkpoint: params.checkpoint } : {}),
        ...(params.cropFaces ? { cropFaces: true } : {}),
      },
      run: evaluationRun(store, runId, this.options),
      coordinator: this.options.name,
    };
    // A run trained here was published to this machine's mirror only: into the bucket, where the worker pulls it from.
    await this.options.sync?.pushAll(payload.run.snapshot.checkpoints.map((c) => c.path));
    const id = randomUUID();
    store.recordJob({ id, kind: 'evaluate', runId, request: { params } });
    const done = new Promise<EvaluationRecord>((resolve, reject) => this.waiters.set(id, { resolve, reject }));
    try {
      await this.queue.add('evaluate', payload, { ...JOB_OPTIONS, jobId: id });
    } catch (error) {
      this.waiters.delete(id);
      recordJobEnd(store, id, 'failed', { code: 'QUEUE_UNAVAILABLE', message: String((error as Error).message) });
      throw unavailable(this.options.address.shown, error);
    }
    return done;
  }

  /** Cancels a queued job at once (removed from the queue), or asks the worker running it to stop. */
  async cancel(id: number): Promise<JobInfo> {
    const t = this.jobs.find(id);
    if (!t) throw new UnmaskError('NOT_FOUND', `no job ${id}`);
    const queueId = t.info.queueJobId!;
    const job = await this.queue.getJob(queueId);
    const state = job ? await job.getState() : 'unknown';
    if (state === 'waiting' || state === 'waiting-children' || state === 'delayed' || state === 'prioritized') {
      await job!.remove({ removeChildren: true });
      this.end(queueId, 'cancelled', null);
    } else if (state === 'active') {
      await this.relay.publish(CANCEL_TOPIC, { jobId: queueId });
    }
    return t.info;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiters.values()) w.reject(new UnmaskError('CANCELLED', 'the coordinator stopped; the evaluation is recorded when it is next opened'));
    await Promise.allSettled([this.events.close(), this.queue.close(), this.flows.close(), this.relay.close(), ...this.pulls.pending()]);
    this.options.sync?.close();
  }

  private listen(): void {
    this.events.on('active', ({ jobId }) => this.jobs.started(jobId));
    this.events.on('progress', ({ jobId, data }) => this.onProgress(jobId, data));
    this.events.on('completed', ({ jobId, returnvalue }) => this.onCompleted(jobId, returnvalue));
    this.events.on('failed', ({ jobId, failedReason }) => this.end(jobId, null, parseFailureReason(failedReason)));
    this.events.on('stalled', ({ jobId }) => this.jobs.stalled(jobId));
    // Back from an outage: whatever finished meanwhile is looked up, not only waited for.
    this.events.getBackend().on('ready', () => {
      if (!this.outage || this.closed) return;
      this.outage = false;
      void this.reconcile().catch(() => {
        this.outage = true;
      });
    });
  }

  private onProgress(jobId: string, data: unknown): void {
    const parent = parentOfShard(jobId);
    if (parent) return; // shards report when they finish
    const t = this.jobs.get(jobId);
    if (!t) return;
    let event: JobProgressEvent;
    try {
      event = parseWire(jobProgress, data, `job ${jobId} progress`);
    } catch {
      return; // not one of ours: ignored, as an unknown job kind is by the workers
    }
    const { store } = this.options;
    const { info } = t;
    info.worker = event.worker;
    if (info.state === 'queued') info.state = 'running';
    if (event.type === 'run') {
      const runId = recordRunStart(store, jobId, event.run, event.worker, queuedFolder(info.request.dataset));
      if (runId !== null) info.runId = runId;
      info.engine = event.run.engine;
      return this.options.emit(info, true);
    }
    if (event.type === 'progress') {
      info.progress = t.clock.next(info.progress, event.progress);
      return this.options.emit(info, false);
    }
    this.pulls.after(
      jobId,
      event.checkpoints.map((c) => c.path),
      () => {
        const runId = recordEpoch(store, jobId, event.epoch, event.checkpoints, this.options);
        if (runId !== null) info.epochs = store.getEpochs(runId);
        this.options.emit(info, true);
      },
    );
  }

  private onCompleted(jobId: string, value: unknown): void {
    const parent = parentOfShard(jobId);
    if (parent) return this.jobs.shardDone(parent);
    const job = this.options.store.getJob(jobId);
    if (!job) return;
    const failed = (error: unknown) =>
      this.end(jobId, 'failed', { code: 'INTERNAL', message: `its result could not be recorded: ${(error as Error).message}` });
    let record: () => void;
    let checkpoints: readonly string[] = [];
    try {
      if (job.kind === 'train') {
        const result = parseWire(trainResult, value, `job ${jobId} result`);
        const dataset = queuedFolder((job.request as { request: JobRequest }).request.dataset);
        checkpoints = result.snapshot.checkpoints.map((c) => c.path);
        record = () => recordTrainResult(this.options.store, jobId, result, dataset, this.options);
      } else {
        const result = parseWire(evaluateResult, value, `job ${jobId} result`);
        const { dataset } = (job.request as { params: { dataset: string } }).params;
        record = () => {
          const evaluation = recordEvaluation(this.options.store, jobId, result, dataset, this.options);
          if (evaluation) this.waiters.get(jobId)?.resolve(evaluation);
          this.waiters.delete(jobId);
        };
      }
    } catch (error) {
      return failed(error);
    }
    this.pulls.after(jobId, checkpoints, () => {
      try {
        record();
      } catch (error) {
        return failed(error);
      }
      this.jobs.finish(jobId, 'completed', null);
    });
  }

  /** A job that ended without a result: recorded, and its JobInfo (or its waiting caller) told. */
  private end(jobId: string, state: 'failed' | 'cancelled' | 'lost' | null, error: { code: string; message: string } | null): void {
    const parent = parentOfShard(jobId);
    if (parent) return; // a failed shard fails its parent (failParentOnFailure), which reports it
    const final = state ?? (error?.code === 'CANCELLED' ? 'cancelled' : 'failed');
    recordJobEnd(this.options.store, jobId, final, final === 'cancelled' ? null : error);
    const waiter = this.waiters.get(jobId);
    if (waiter) {
      this.waiters.delete(jobId);
      waiter.reject(new UnmaskError((error?.code ?? 'CANCELLED') as 'INTERNAL', error?.message ?? 'the evaluation was cancelled'));
    }
    this.jobs.finish(jobId, final === 'lost' ? 'failed' : final, final === 'cancelled' ? null : error);
  }

  /**
   * Takes up every job the ledger has open: a finished one is recorded now (its result waited in Redis), a
   * running or queued one is followed, and one the queue no longer has (its Redis was emptied) is 'lost'.
   */
  private async reconcile(): Promise<void> {
    const { store } = this.options;
    for (const job of store.listJobs({ states: ['queued', 'running'] })) {
      if (job.id.startsWith('local-')) continue;
      const queued = await this.queue.getJob(job.id);
      if (!queued) {
        this.end(job.id, 'lost', { code: 'QUEUE_UNAVAILABLE', message: 'the queue no longer has this job (its Redis was emptied); start it again' });
        continue;
      }
      const state = await queued.getState();
      if (job.kind === 'train' && !this.jobs.has(job.id)) {
        const shards = (await queued.getDependenciesCount()).processed ?? 0;
        this.jobs.track(job, shards);
      }
      if (state === 'completed') this.onCompleted(job.id, queued.returnvalue);
      else if (state === 'failed') this.end(job.id, null, parseFailureReason(queued.failedReason));
    }
  }
}
