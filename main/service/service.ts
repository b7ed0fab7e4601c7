// The main side's one implementation of the API: datasets, the training queue, runs, analysis and explanations.
import fs from 'node:fs';
import path from 'node:path';
import type { ApiEvent, AppInfo, JobInfo, TrainRequest, UnmaskApi } from '../api/contract.js';
import { apiRequestOf } from '../queue/requests.js';
import { engineStatus } from '../engine/advice.js';
import { UnmaskError } from '../engine/errors.js';
import { MODEL_NAMES, models, type ModelEntry } from '../models/registry.js';
import { DEFAULT_EXPLAIN_METHOD } from '../analysis/explain/method-names.js';
import { EXPLAIN_METHODS, explainMethods } from '../analysis/explain/methods.js';
import { OPTIMIZER_NAMES } from '../train/optimizers.js';
import { TRAIN_DEFAULTS, TRAIN_LIMITS } from '../train/request-schema.js';
import { checkTrainRequest } from '../train/request.js';
import { RunStore } from '../store/index.js';
import type { LaunchWorker } from '../worker/launch.js';
import type { WorkerStats } from '../worker/protocol.js';
import { AnalysisClient } from './analysis-client.js';
import { analyse, comparisonCharts, scoreMetrics } from './analysis.js';
import { DatasetRegistry } from './datasets.js';
import { JobRouter, type QueueOption } from './job-router.js';
import { expandSweep, newSweepId } from './sweep.js';
import { evaluationDetail, evaluationRows, matrixResult, toEvaluationRow } from './evaluations.js';
import { ownScoreSource, toRunRow } from './runs.js';

export interface ServiceOptions {
  /** The run database (created if missing); checkpoints go to `runs/` beside it. */
  dbPath: string;
  transport: AppInfo['transport'];
  launch: LaunchWorker;
  /** Folder whose sub-folders the UI offers as datasets. */
  dataRoot?: string | null;
  /** A native folder dialog (Electron); absent in browser mode. */
  pickFolder?: (title: string) => Promise<string | null>;
  /** A Redis job queue from the command line or UNMASK_QUEUE (else the one kept in Settings, else none). */
  queue?: QueueOption;
  /** Electron's app.isPackaged: what a faster engine needs differs for an installed app. */
  packaged?: boolean;
}

export interface UnmaskService {
  api: UnmaskApi;
  onEvent(listener: (event: ApiEvent) => void): () => void;
  /** The analysis worker's memory (diagnostics and soak tests; not part of the API). */
  analysisStats(): Promise<WorkerStats>;
  /** Stops local workers and disconnects from the queue (queued jobs stay there, taken up next time). */
  close(): Promise<void>;
}

function packageVersion(): string {
  const file = new URL('../../package.json', import.meta.url);
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
}

export function createService(options: ServiceOptions): UnmaskService {
  const dbPath = path.resolve(options.dbPath);
  const store = RunStore.open(dbPath);
  const listeners = new Set<(event: ApiEvent) => void>();
  const emit = (event: ApiEvent) => listeners.forEach((l) => l(event));
  const analysis = new AnalysisClient(options.launch);
  // Images of the folders runs were trained or evaluated on may be shown (worst errors) without opening them.
  const runRoots = () => [...new Set([...store.listRuns(), ...store.listEvaluations()].map((r) => path.resolve(r.datasetPath)))];
  const datasets = new DatasetRegistry(runRoots);
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
  const paramCounts = new Map<string, Promise<number | null>>();
  const countParams = (model: string) => {
    let count = paramCounts.get(model);
    if (!count) {
      count = analysis.request('params', { model }).catch(() => null);
      paramCounts.set(model, count);
    }
    return count;
  };
  const evaluationCounts = () => {
    const counts = new Map<number, number>();
    for (const e of store.listEvaluations()) counts.set(e.runId, (counts.get(e.runId) ?? 0) + 1);
    return counts;
  };
  /** The training job that recorded each run (the ledger's latest), for its sweep and worker. */
  const trainJobs = () => new Map(store.listJobs().filter((j) => j.kind === 'train' && j.runId !== null).map((j) => [j.runId!, j]));
  const runRow = async (id: number) => {
    const summary = store.listRuns().find((r) => r.id === id);
    if (!summary) throw new UnmaskError('NOT_FOUND', `no run ${id}`);
    return toRunRow(summary, await countParams(summary.model), evaluationCounts().get(id) ?? 0, trainJobs().get(id) ?? null);
  };
  /** A request checked as for the CLI, its dataset an opened (or run's) folder. */
  const checkRequest = async (request: TrainRequest) => {
    const checked = checkTrainRequest(request);
    const { summary } = await datasets.get(checked.dataset);
    return { ...checked, dataset: summary.path };
  };
  /** Where a run's own scores of `split` come from (the checkpoint epoch they were taken at). */
  const ownSource = (runId: number, split: 'train' | 'val' | 'test') => {
    const summary = store.listRuns().find((r) => r.id === runId)!;
    return ownScoreSource(summary, split, summary.ownScores.find((s) => s.split === split)?.checkpointEpoch ?? null);
  };
  /** Saved scores of a split, scoring it first (in the analysis worker) when there are none. */
  const scoresOf = async (runId: number, split: 'train' | 'val' | 'test') => {
    let rows = store.getScores(runId, split);
    if (rows.length === 0) {
      await analysis.request('score', { runId, split });
      rows = store.getScores(runId, split);
      emit({ type: 'runs-changed' });
    }
    return rows;
  };

  const api: UnmaskApi = {
    async getInfo() {
      return {
        version: packageVersion(),
        transport: options.transport,
        canPickFolders: options.pickFolder != null,
        models: MODEL_NAMES.map((name) => {
          const m: ModelEntry = models[name];
          const trainDefaults = m.trainDefaults ?? { lr: TRAIN_DEFAULTS.lr, epochs: TRAIN_DEFAULTS.epochs };
          return {
            name,
            description: m.description,
            inputSize: m.inputSize,
            pretrained: m.pretrained != null,
            camLayer: m.camLayer,
            trainDefaults,
            backboneBlocks: m.pretrained?.blocks?.length ?? 0,
            linearHead: m.linearHead === true,
            recommended: m.recommended ?? null,
          };
        }),
        optimizers: [...OPTIMIZER_NAMES],
        explainMethods: EXPLAIN_METHODS.map((name) => {
          const { kind, description, citation } = explainMethods[name];
          return { name, kind, description, citation };
        }),
        defaultExplainMethod: DEFAULT_EXPLAIN_METHOD,
        defaults: TRAIN_DEFAULTS,
        limits: TRAIN_LIMITS,
        dataRoot: options.dataRoot ? path.resolve(options.dataRoot) : null,
        database: dbPath,
        queue: jobs.queueSettings(),
      };
    },
    async pickFolder({ title } = {}) {
      return options.pickFolder ? options.pickFolder(title ?? 'Choose a dataset folder') : null;
    },
    openDataset: ({ path: folder }) => datasets.open(folder),
    listDatasets: () => datasets.list(),
    listImages: ({ dataset, ...filter }) => datasets.images(dataset, filter),
    getImage: ({ path: file, size }) => datasets.thumbnail(file, size ?? 128),
    async startTraining(request) {
      const checked = await checkRequest(request);
      return jobs.startTraining(checked, apiRequestOf(checked));
    },
    async startSweep(request) {
      // Every run is checked before the first is queued: a bad combination queues none.
      const checked = await Promise.all(expandSweep(request).map(checkRequest));
      const sweep = newSweepId();
      const started: JobInfo[] = [];
      for (const c of checked) started.push(await jobs.startTraining(c, apiRequestOf(c), sweep));
      return { sweep, jobs: started };
    },
    listJobs: async () => jobs.list(),
    cancelJob: ({ jobId }) => jobs.cancel(jobId),
    async listRuns() {
      const counts = evaluationCounts();
      const byRun = trainJobs();
      return Promise.all(store.listRuns().map(async (r) => toRunRow(r, await countParams(r.model), counts.get(r.id) ?? 0, byRun.get(r.id) ?? null)));
    },
    async getRun({ runId }) {
      return {
        run: await runRow(runId),
        epochs: store.getEpochs(runId),
        checkpoints: store.getCheckpoints(runId).map((c) => ({ epoch: c.epoch, kind: c.kind })),
      };
    },
    async analyseRun({ runId, split = 'test', threshold = 0.5 }) {
      const run = store.getRun(runId);
      const rows = await scoresOf(runId, split);
      return analyse(run, split, ownSource(runId, split), rows, threshold);
    },
    async compareRuns({ runIds, split = 'test' }) {
      const ids = [...new Set(runIds)];
      const records = ids.map((id) => store.getRun(id));
      const scored = records.map((run) => ({ run, rows: store.getScores(run.id, split) }));
      const histories = records.map((r) => ({ id: r.id, label: `run ${r.id} · ${r.model}`, epochs: store.getEpochs(r.id) }));
      return {
        runs: await Promise.all(ids.map(runRow)),
        split,
        metrics: scored.map(({ run, rows }) => ({ runId: run.id, summary: scoreMetrics(rows), source: rows.length ? ownSource(run.id, split) : null })),
        charts: comparisonCharts(histories, scored, split),
      };
    },
    async rescoreRun({ runId, split }) {
      store.getRun(runId);
      await analysis.request('score', { runId, split });
      emit({ type: 'runs-changed' });
      return runRow(runId);
    },
    async evaluateRun({ runId, dataset, split, checkpoint, cropFaces }) {
      const run = store.getRun(runId);
      const { summary } = await datasets.get(dataset);
      const queued = await jobs.evaluate(runId, { dataset: summary.path, split, checkpoint, cropFaces });
      const evaluationId =
        queued?.id ?? (await analysis.request('evaluate', { runId, dataset: summary.path, split, checkpoint, cropFaces })).evaluationId;
      emit({ type: 'runs-changed' });
      return toEvaluationRow(store.getEvaluation(evaluationId), run.model);
    },
    listEvaluations: async ({ runId } = {}) => evaluationRows(store, runId),
    getEvaluation: async ({ evaluationId, threshold }) => evaluationDetail(store, evaluationId, threshold),
    crossDatasetMatrix: async ({ runIds } = {}) => matrixResult(store, runIds),
    explainChoices: ({ runId }) => analysis.request('choices', { runId }),
    async explainImage(request) {
      if ('path' in request.image) await datasets.assertImage(request.image.path);
      const { png, logits: _logits, ...rest } = await analysis.request('explain', request);
      return { runId: request.runId, ...rest, method: rest.method, overlay: { mime: 'image/png', base64: png, width: 256, height: 256 } };
    },
    renderChart: (params) => analysis.request('render', params),
    async exportReport({ runIds, out, split, formats }) {
      for (const id of runIds) store.getRun(id);
      return analysis.request('export', { runIds, out: path.resolve(out), split, formats });
    },
    getFleet: () => jobs.fleet(),
    getEngine: async () => engineStatus(await analysis.request('engine', {}), { packaged: options.packaged ?? false }),
    setQueue: ({ url, artifacts }) => jobs.setQueue(url, artifacts ?? null),
  };

  return {
    api,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    analysisStats: () => analysis.request('stats', {}),
    async close() {
      analysis.close();
      await jobs.close();
      store.close();
    },
  };
}
