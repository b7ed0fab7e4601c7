// The API's methods in groups, each over the shared service context: the app and its settings, datasets and
// training jobs, runs and their analysis, explanations and figures. createService joins them into one UnmaskApi.
import fs from 'node:fs';
import path from 'node:path';
import type { AppInfo, JobInfo, TrainRequest, UnmaskApi } from '../api/contract.js';
import { DEFAULT_EXPLAIN_METHOD } from '../analysis/explain/method-names.js';
import { EXPLAIN_METHODS, explainMethods } from '../analysis/explain/methods.js';
import { engineStatus } from '../engine/advice.js';
import { MODEL_NAMES, models, type ModelEntry } from '../models/registry.js';
import { apiRequestOf } from '../queue/requests.js';
import { OPTIMIZER_NAMES } from '../train/optimizers.js';
import { datasetFolders, TRAIN_DEFAULTS, TRAIN_LIMITS } from '../train/request-schema.js';
import { checkTrainRequest } from '../train/request.js';
import { analyse, comparisonCharts, scoreMetrics } from './analysis.js';
import type { ServiceContext } from './context.js';
import { evaluationDetail, evaluationRows, matrixResult, toEvaluationRow } from './evaluations.js';
import { expandSweep, newSweepId } from './sweep.js';

function packageVersion(): string {
  const file = new URL('../../package.json', import.meta.url);
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
}

function modelInfo(name: (typeof MODEL_NAMES)[number]): AppInfo['models'][number] {
  const m: ModelEntry = models[name];
  return {
    name,
    description: m.description,
    inputSize: m.inputSize,
    pretrained: m.pretrained != null,
    camLayer: m.camLayer,
    trainDefaults: m.trainDefaults ?? { lr: TRAIN_DEFAULTS.lr, epochs: TRAIN_DEFAULTS.epochs },
    backboneBlocks: m.pretrained?.blocks?.length ?? 0,
    linearHead: m.linearHead === true,
    recommended: m.recommended ?? null,
  };
}

export function appMethods({
  options,
  dbPath,
  jobs,
  analysis,
}: ServiceContext): Pick<UnmaskApi, 'getInfo' | 'pickFolder' | 'getFleet' | 'getEngine' | 'setQueue'> {
  return {
    async getInfo() {
      return {
        version: packageVersion(),
        transport: options.transport,
        canPickFolders: options.pickFolder != null,
        models: MODEL_NAMES.map(modelInfo),
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
    getFleet: () => jobs.fleet(),
    getEngine: async () => engineStatus(await analysis.request('engine', {}), { packaged: options.packaged ?? false }),
    setQueue: ({ url, artifacts }) => jobs.setQueue(url, artifacts ?? null),
  };
}

type TrainingMethods = 'openDataset' | 'listDatasets' | 'listImages' | 'getImage' | 'startTraining' | 'startSweep' | 'listJobs' | 'cancelJob';

export function trainingMethods({ datasets, jobs }: ServiceContext): Pick<UnmaskApi, TrainingMethods> {
  /** A request checked as for the CLI, its dataset an opened (or run's) folder. */
  const checkRequest = async (request: TrainRequest) => {
    const checked = checkTrainRequest(request);
    const paths = await Promise.all(datasetFolders(checked.dataset).map(async (folder) => (await datasets.get(folder)).summary.path));
    return { ...checked, dataset: paths.length === 1 ? paths[0]! : paths };
  };
  return {
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
  };
}

export function runMethods({
  store,
  runs,
  analysis,
  emit,
}: ServiceContext): Pick<UnmaskApi, 'listRuns' | 'getRun' | 'analyseRun' | 'compareRuns' | 'rescoreRun'> {
  return {
    listRuns: () => runs.rows(),
    async getRun({ runId }) {
      return {
        run: await runs.row(runId),
        epochs: store.getEpochs(runId),
        checkpoints: store.getCheckpoints(runId).map((c) => ({ epoch: c.epoch, kind: c.kind })),
      };
    },
    async analyseRun({ runId, split = 'test', threshold = 0.5 }) {
      const run = store.getRun(runId);
      const rows = await runs.scores(runId, split);
      return analyse(run, split, runs.ownSource(runId, split), rows, threshold);
    },
    async compareRuns({ runIds, split = 'test' }) {
      const ids = [...new Set(runIds)];
      const records = ids.map((id) => store.getRun(id));
      const scored = records.map((run) => ({ run, rows: store.getScores(run.id, split) }));
      const histories = records.map((r) => ({ id: r.id, label: `run ${r.id} · ${r.model}`, epochs: store.getEpochs(r.id) }));
      return {
        runs: await Promise.all(ids.map((id) => runs.row(id))),
        split,
        metrics: scored.map(({ run, rows }) => ({ runId: run.id, summary: scoreMetrics(rows), source: rows.length ? runs.ownSource(run.id, split) : null })),
        charts: comparisonCharts(histories, scored, split),
      };
    },
    async rescoreRun({ runId, split }) {
      store.getRun(runId);
      await analysis.request('score', { runId, split });
      emit({ type: 'runs-changed' });
      return runs.row(runId);
    },
  };
}

type ResultMethods =
  'evaluateRun' | 'listEvaluations' | 'getEvaluation' | 'crossDatasetMatrix' | 'explainChoices' | 'explainImage' | 'renderChart' | 'exportReport';

export function resultMethods({ store, datasets, jobs, analysis, emit }: ServiceContext): Pick<UnmaskApi, ResultMethods> {
  return {
    async evaluateRun({ runId, dataset, split, checkpoint, cropFaces }) {
      const run = store.getRun(runId);
      const { summary } = await datasets.get(dataset);
      const queued = await jobs.evaluate(runId, { dataset: summary.path, split, checkpoint, cropFaces });
      const evaluationId = queued?.id ?? (await analysis.request('evaluate', { runId, dataset: summary.path, split, checkpoint, cropFaces })).evaluationId;
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
      return { runId: request.runId, ...rest, overlay: { mime: 'image/png', base64: png, width: 256, height: 256 } };
    },
    renderChart: (params) => analysis.request('render', params),
    async exportReport({ runIds, out, split, formats }) {
      for (const id of runIds) store.getRun(id);
      return analysis.request('export', { runIds, out: path.resolve(out), split, formats });
    },
  };
}
