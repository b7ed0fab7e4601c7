// What every group of API methods works with: the store, the analysis worker, the opened datasets, the job router,
// the event fan-out, and the lookups several methods share (a run's row, its own scores and where they come from).
import path from 'node:path';
import type { ApiEvent, RunRow, SplitName } from '../api/contract.js';
import { runFolders } from '../data/run-folders.js';
import { RunStore, type JobRecord, type ScoreRow } from '../store/index.js';
import { AnalysisClient } from './analysis-client.js';
import { DatasetRegistry } from './datasets.js';
import { JobRouter } from './job-router.js';
import { ownScoreSource, toRunRow } from './runs.js';
import type { ServiceOptions } from './service.js';

export interface ServiceContext {
  options: ServiceOptions;
  dbPath: string;
  store: RunStore;
  analysis: AnalysisClient;
  datasets: DatasetRegistry;
  jobs: JobRouter;
  emit(event: ApiEvent): void;
  runs: RunLookups;
}

export function createContext(options: ServiceOptions, emit: (event: ApiEvent) => void): ServiceContext {
  const dbPath = path.resolve(options.dbPath);
  const store = RunStore.open(dbPath);
  const analysis = new AnalysisClient(options.launch);
  // Images of the folders runs were trained or evaluated on may be shown (worst errors) without opening them.
  const runRoots = () => [
    ...new Set([...store.listRuns().flatMap(runFolders), ...store.listEvaluations().map((e) => e.datasetPath)].map((f) => path.resolve(f))),
  ];
  const jobs = new JobRouter({
    store,
    launch: options.launch,
    dataRoot: options.dataRoot ?? null,
    queue: options.queue,
    emit: (job, runsChanged) => {
      // A snapshot: the queue keeps mutating its JobInfo, and in-process listeners may hold on to events.
      emit({ type: 'job', job: structuredClone(job) });
      if (runsChanged) emit({ type: 'runs-changed' });
    },
  });
  return { options, dbPath, store, analysis, datasets: new DatasetRegistry(runRoots), jobs, emit, runs: new RunLookups(store, analysis, emit) };
}

/** A run as the API shows it, and its own saved scores (scored on first use). */
export class RunLookups {
  private readonly paramCounts = new Map<string, Promise<number | null>>();

  constructor(
    private readonly store: RunStore,
    private readonly analysis: AnalysisClient,
    private readonly emit: (event: ApiEvent) => void,
  ) {}

  /** A model's trainable parameters, counted once per model in the analysis worker (null if it cannot be built). */
  countParams(model: string): Promise<number | null> {
    let count = this.paramCounts.get(model);
    if (!count) {
      count = this.analysis.request('params', { model }).catch(() => null);
      this.paramCounts.set(model, count);
    }
    return count;
  }

  async rows(): Promise<RunRow[]> {
    const counts = this.evaluationCounts();
    const byRun = this.trainJobs();
    return Promise.all(this.store.listRuns().map(async (r) => toRunRow(r, await this.countParams(r.model), counts.get(r.id) ?? 0, byRun.get(r.id) ?? null)));
  }

  async row(id: number): Promise<RunRow> {
    const summary = this.store.getRunSummary(id); // NOT_FOUND for an unknown id
    return toRunRow(summary, await this.countParams(summary.model), this.evaluationCounts().get(id) ?? 0, this.trainJobs().get(id) ?? null);
  }

  /** Where a run's own scores of `split` come from (the checkpoint epoch they were taken at). */
  ownSource(runId: number, split: SplitName) {
    const summary = this.store.getRunSummary(runId);
    return ownScoreSource(summary, split, summary.ownScores.find((s) => s.split === split)?.checkpointEpoch ?? null);
  }

  /** Saved scores of a split, scoring it first (in the analysis worker) when there are none. */
  async scores(runId: number, split: SplitName): Promise<ScoreRow[]> {
    let rows = this.store.getScores(runId, split);
    if (rows.length === 0) {
      await this.analysis.request('score', { runId, split });
      rows = this.store.getScores(runId, split);
      this.emit({ type: 'runs-changed' });
    }
    return rows;
  }

  private evaluationCounts(): Map<number, number> {
    const counts = new Map<number, number>();
    for (const e of this.store.listEvaluations()) counts.set(e.runId, (counts.get(e.runId) ?? 0) + 1);
    return counts;
  }

  /** The training job that recorded each run (the ledger's latest), for its sweep and worker. */
  private trainJobs(): Map<number, JobRecord> {
    return new Map(
      this.store
        .listJobs()
        .filter((j) => j.kind === 'train' && j.runId !== null)
        .map((j) => [j.runId!, j]),
    );
  }
}
