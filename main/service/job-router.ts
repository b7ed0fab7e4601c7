// Where the service's jobs go: this machine's worker processes (no queue), or a Redis queue and its workers; one
// ledger of both in the store, so a run shows its sweep and worker, and a queued job is found again after a restart.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EvaluationSplit, FleetInfo, JobInfo, QueueSettings, JobRequest } from '../api/contract.js';
import { UnmaskError } from '../engine/errors.js';
import { ArtifactSync, parseS3Url } from '../queue/artifact-store.js';
import { parseQueueUrl } from '../queue/connection.js';
import type { QueueCoordinator } from '../queue/coordinator.js';
import { SharedRoot } from '../queue/roots.js';
import type { EvaluationRecord, RunStore } from '../store/index.js';
import type { TrainRequest } from '../train/request.js';
import { datasetFolders } from '../train/request-schema.js';
import type { LaunchWorker } from '../worker/launch.js';
import { counter, JobQueue } from './jobs.js';

/** A queue configured by the command line or the environment (the app's Settings are kept in the store). */
export interface QueueOption {
  url: string | null;
  artifacts?: string | null;
  /** For an `s3://` artifact root: its S3-compatible endpoint, and this machine's mirror folder (see ArtifactSync.open). */
  s3Endpoint?: string | null;
  artifactsCache?: string | null;
  source: 'flag' | 'env';
}

export interface JobRouterOptions {
  store: RunStore;
  launch: LaunchWorker;
  dataRoot: string | null;
  queue?: QueueOption;
  emit: (job: JobInfo, runsChanged: boolean) => void;
}

const SETTING = 'queue';
const EMPTY_DEPTH: FleetInfo['depth'] = { waiting: 0, active: 0, delayed: 0, waitingChildren: 0, completed: 0, failed: 0 };

export class JobRouter {
  private readonly ids = counter();
  private readonly local: JobQueue;
  /** This session's local jobs in the ledger (id, and what was last written), by JobInfo id. */
  private readonly localIds = new Map<number, { id: string; state: JobInfo['state']; runId: number | null }>();
  private settings: QueueSettings;
  /** The queue's coordinator: connecting (`connected` null until it answers), or null without a queue. */
  private remote: Promise<QueueCoordinator> | null = null;
  private connected: QueueCoordinator | null = null;
  private remoteError: string | null = null;

  constructor(private readonly options: JobRouterOptions) {
    const { store } = options;
    const dbDir = path.dirname(store.file);
    this.local = new JobQueue(
      options.launch,
      { dbPath: store.file, runsDir: path.join(dbDir, 'runs') },
      (job, changed) => this.onLocal(job, changed),
      this.ids,
    );
    // Local jobs a previous session left open died with it (their runs show as interrupted).
    for (const job of store.listJobs({ states: ['queued', 'running'] })) {
      if (job.id.startsWith('local-')) store.updateJob(job.id, { state: 'lost', error: 'the app stopped before the job ended' });
    }
    const saved = store.getSetting(SETTING) as { url: string; artifacts: string | null } | null;
    const chosen = options.queue?.url ? options.queue : saved ? { ...saved, source: 'settings' as const } : null;
    this.settings = this.describe(chosen?.url ?? null, chosen?.artifacts ?? null, chosen ? chosen.source : null);
    if (chosen?.url) this.connect(chosen.url);
  }

  queueSettings(): QueueSettings {
    return { ...this.settings };
  }

  /** Queues a checked training request (dataset resolved) here or on the queue. */
  async startTraining(checked: TrainRequest, api: JobRequest, sweep: string | null = null): Promise<JobInfo> {
    if (!this.remote) return this.local.add(checked, api, sweep);
    return (await this.coordinator()).addTrain(checked, api, sweep);
  }

  /** Evaluates on a queue worker; null when there is no queue (the caller scores here). */
  async evaluate(
    runId: number,
    params: { dataset: string; split?: EvaluationSplit; checkpoint?: 'best' | 'last'; cropFaces?: boolean },
  ): Promise<EvaluationRecord | null> {
    return this.remote ? (await this.coordinator()).evaluate(runId, params) : null;
  }

  list(): JobInfo[] {
    return [...this.local.list(), ...this.remoteJobs()].sort((a, b) => a.id - b.id);
  }

  async cancel(jobId: number): Promise<JobInfo> {
    if (this.local.has(jobId)) return this.local.cancel(jobId);
    const remote = this.remote ? await this.coordinator() : null;
    if (remote?.has(jobId)) return remote.cancel(jobId);
    throw new UnmaskError('NOT_FOUND', `no job ${jobId}`);
  }

  /** The workers and the queue's depth: the queue's, or this machine alone. */
  async fleet(): Promise<FleetInfo> {
    const queue = this.queueSettings();
    if (!this.remote) {
      const running = this.local.list().filter((j) => j.state === 'running');
      const queued = this.local.list().filter((j) => j.state === 'queued').length;
      const jobs = running.map((j) => ({
        queueJobId: String(j.id),
        kind: 'train' as const,
        label: `${j.request.model} · lr ${j.request.lr} · ${datasetFolders(j.request.dataset)
          .map((f) => path.basename(f))
          .join(' + ')}`,
        runId: j.runId,
      }));
      const engine = running[0]?.engine ?? null;
      const worker = { name: `${os.hostname()} (this machine)`, host: os.hostname(), pid: process.pid, engine, connectedSeconds: null, jobs };
      return { queue, connected: true, error: null, workers: [worker], depth: { ...EMPTY_DEPTH, waiting: queued, active: running.length } };
    }
    try {
      const coordinator = await this.coordinator();
      const { readFleet } = await import('../queue/fleet.js');
      return { queue, connected: true, error: null, ...(await readFleet(coordinator.queue, this.options.store)) };
    } catch (error) {
      return { queue, connected: false, error: (error as Error).message, workers: [], depth: { ...EMPTY_DEPTH } };
    }
  }

  /** Switches new jobs to a queue (checked by connecting to it) or back to this machine, and keeps the choice. */
  async setQueue(url: string | null, artifacts: string | null = null): Promise<QueueSettings> {
    const previous = this.remote;
    if (url) {
      const next = this.describe(url, artifacts, 'settings');
      const connecting = this.open(url, next);
      this.connected = await connecting; // refused (unreachable, bad URL, no data root): the previous setting stays
      this.remote = connecting;
      this.settings = next;
    } else {
      this.remote = null;
      this.connected = null;
      this.settings = this.describe(null, null, 'settings');
    }
    this.options.store.setSetting(SETTING, url ? { url, artifacts } : null);
    if (previous) void previous.then((c) => c.close()).catch(() => undefined);
    return this.queueSettings();
  }

  async close(): Promise<void> {
    this.local.close();
    const remote = this.remote;
    this.remote = null;
    this.connected = null;
    if (remote) await remote.then((c) => c.close()).catch(() => undefined);
  }

  private describe(url: string | null, artifacts: string | null, source: QueueSettings['source']): QueueSettings {
    const chosen = artifacts ?? this.options.queue?.artifacts ?? process.env.UNMASK_ARTIFACTS ?? path.join(path.dirname(this.options.store.file), 'artifacts');
    const at = url ? (parseS3Url(chosen) ? chosen : path.resolve(chosen)) : null;
    return {
      url: url ? parseQueueUrl(url).shown : null,
      artifacts: at,
      dataRoot: this.options.dataRoot ? path.resolve(this.options.dataRoot) : null,
      source: url ? source : null,
    };
  }

  /** Starts connecting at start-up: queued jobs of an earlier session are taken up as soon as it answers. */
  private connect(url: string): void {
    const remote = this.open(url, this.settings);
    this.remote = remote;
    remote.then(
      (c) => {
        if (this.remote === remote) this.connected = c;
      },
      (error: Error) => {
        this.remoteError = error.message;
      },
    );
  }

  private async open(url: string, settings: QueueSettings): Promise<QueueCoordinator> {
    if (!settings.dataRoot)
      throw new UnmaskError(
        'BAD_ARGUMENT',
        'a job queue needs a data root that every machine mounts (--data-root DIR or UNMASK_DATA_ROOT): queued datasets are named relative to it',
      );
    const at = settings.artifacts!;
    // An S3 artifact root is worked on in this machine's mirror of it, pulled where records name its files.
    const sync = parseS3Url(at)
      ? await ArtifactSync.open(at, { cache: this.options.queue?.artifactsCache, endpoint: this.options.queue?.s3Endpoint })
      : undefined;
    if (!sync) fs.mkdirSync(at, { recursive: true });
    const { QueueCoordinator } = await import('../queue/coordinator.js');
    return QueueCoordinator.connect({
      address: parseQueueUrl(url),
      store: this.options.store,
      dataRoot: new SharedRoot(settings.dataRoot, 'data root'),
      artifacts: sync?.mirror ?? new SharedRoot(at, 'artifact root'),
      ...(sync ? { sync } : {}),
      name: `${os.hostname()}:${process.pid}`,
      nextId: this.ids,
      emit: this.options.emit,
    });
  }

  /** The connected coordinator; QUEUE_UNAVAILABLE with the reason when it could not connect. */
  private async coordinator(): Promise<QueueCoordinator> {
    try {
      return await this.remote!;
    } catch (error) {
      throw error instanceof UnmaskError ? error : new UnmaskError('QUEUE_UNAVAILABLE', this.remoteError ?? String(error));
    }
  }

  private remoteJobs(): JobInfo[] {
    return this.connected?.list() ?? [];
  }

  /**
   * A local job's changes, kept in the ledger too: recorded on first sight (with its sweep), then written only
   * when its state or run changes — its worker process writes the same database while it trains.
   */
  private onLocal(job: JobInfo, runsChanged: boolean): void {
    const { store } = this.options;
    let known = this.localIds.get(job.id);
    if (!known) {
      known = { id: `local-${randomUUID()}`, state: 'queued', runId: null };
      this.localIds.set(job.id, known);
      store.recordJob({ id: known.id, kind: 'train', sweep: job.sweep, request: { request: job.request } });
    }
    if (known.state !== job.state || known.runId !== job.runId) {
      store.updateJob(known.id, { runId: job.runId, state: job.state, error: job.error?.message ?? null });
      Object.assign(known, { state: job.state, runId: job.runId });
    }
    this.options.emit(job, runsChanged);
  }
}
