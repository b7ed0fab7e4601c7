// Analysis worker process: scores splits and explains images for the main side, one request at a time.
import * as tf from '@tensorflow/tfjs';
import { toErrorPayload } from '../api/errors.js';
import type { EncodedImage, ExplainChoices, ExplainRequest } from '../api/contract.js';
import type { EChartsOption } from '../analysis/figures/echarts.js';
import { exportFigures } from '../analysis/figures/export.js';
import { registryParamCounter } from '../analysis/figures/frontier.js';
import { DEFAULT_SIZE, renderPng, renderSvg } from '../analysis/figures/render.js';
import { restoreDetLabels } from '../analysis/figures/roc-det.js';
import { UnmaskError } from '../engine/errors.js';
import { initEngine } from '../engine/select.js';
import { featureMapLayers } from '../analysis/explain/graph.js';
import { explainImage } from '../analysis/explain/explain-image.js';
import { loadRunModel, type RunModel } from '../analysis/run-model.js';
import { writeRunsSummary } from '../analysis/report-summary.js';
import { evaluateRun } from '../analysis/evaluate.js';
import { extractFeatureShard } from '../queue/feature-shard.js';
import { scoreRun } from '../analysis/score.js';
import { RunStore } from '../store/index.js';
import { parentChannel, reportCrashes } from './port.js';
import type { AnalysisOp, AnalysisParams, AnalysisResult, AnalysisWorkerReply, AnalysisWorkerRequest } from './protocol.js';

const dbPath = process.env.UNMASK_DB;
if (!dbPath) throw new Error('the analysis worker needs UNMASK_DB');
const port = parentChannel<AnalysisWorkerRequest, AnalysisWorkerReply>();
reportCrashes((error) => port.send({ id: -1, ok: false, error }));

/** Loaded detectors by "run:checkpoint"; explaining the same run again skips the load (~0.1–1 s). */
const cache = new Map<string, RunModel>();
const CACHE_SIZE = 3;

/** Opens the run store for one request, closing it once `fn` (sync or async) has finished. */
async function withStore<T>(fn: (store: RunStore) => T | Promise<T>): Promise<T> {
  const store = RunStore.open(dbPath!);
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

async function runModel(runId: number, kind: 'best' | 'last'): Promise<RunModel> {
  const key = `${runId}:${kind}`;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const loaded = await withStore((store) => loadRunModel(store, runId, kind));
  cache.set(key, loaded);
  for (const [k, old] of cache) {
    if (cache.size <= CACHE_SIZE) break;
    old.model.dispose();
    cache.delete(k);
  }
  return loaded;
}

async function explain(params: ExplainRequest) {
  const { model, entry, name, run } = await runModel(params.runId, params.checkpoint ?? 'best');
  const image = 'path' in params.image ? params.image.path : Buffer.from(params.image.base64, 'base64');
  if (typeof image !== 'string' && image.length === 0) throw new UnmaskError('BAD_ARGUMENT', 'the dropped image is empty (or not base64)');
  try {
    const cropFaces = params.cropFaces === true || run.params.cropFaces === true;
    const result = await explainImage(model, { image, method: params.method, layer: params.layer, target: params.target, cropFaces }, entry.camLayer);
    return { ...result, png: result.png.toString('base64') };
  } catch (error) {
    // Two runs explain side by side: say which one refused.
    if (error instanceof UnmaskError && error.code === 'BAD_ARGUMENT') throw new UnmaskError('BAD_ARGUMENT', `run ${params.runId} (${name}): ${error.message}`);
    throw error;
  }
}

async function choices(params: { runId: number }): Promise<ExplainChoices> {
  const checkpoints = (await withStore((store) => store.getCheckpoints(params.runId))).map((c) => c.kind);
  if (checkpoints.length === 0) throw new UnmaskError('NOT_FOUND', `run ${params.runId} has no checkpoint (it finished no epoch)`);
  const { model, entry, name } = await runModel(params.runId, checkpoints.includes('best') ? 'best' : 'last');
  return { runId: params.runId, model: name, layers: featureMapLayers(model), defaultLayer: entry.camLayer, checkpoints };
}

/** An ECharts option drawn headless, as the exported figures are. A malformed option is BAD_ARGUMENT. */
async function render(params: AnalysisParams<'render'>): Promise<EncodedImage> {
  const size = { width: params.width ?? DEFAULT_SIZE.width, height: params.height ?? DEFAULT_SIZE.height };
  const option = restoreDetLabels(params.option as EChartsOption);
  let data: Buffer;
  try {
    data = params.format === 'svg' ? Buffer.from(renderSvg(option, size)) : await renderPng(option, size);
  } catch (error) {
    throw new UnmaskError('BAD_ARGUMENT', `cannot draw this chart: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  return { mime: params.format === 'svg' ? 'image/svg+xml' : 'image/png', base64: data.toString('base64'), ...size };
}

/** One handler per operation of the protocol: a missing or mistyped one fails to compile. */
const handlers: { [K in AnalysisOp]: (params: AnalysisParams<K>) => Promise<AnalysisResult<K>> } = {
  engine: () => initEngine(),
  async score({ runId, split }) {
    const { n, skipped } = await withStore((store) => scoreRun(store, runId, { split }));
    return { n, skipped: skipped.length };
  },
  async evaluate({ runId, cropFaces, ...options }) {
    const { evaluation } = await withStore((store) => evaluateRun(store, runId, { ...options, ...(cropFaces ? { preprocess: 'crop-faces' as const } : {}) }));
    return { evaluationId: evaluation.id };
  },
  features: extractFeatureShard,
  explain,
  choices,
  async stats() {
    const memory = tf.memory();
    return { rss: process.memoryUsage.rss(), heapUsed: process.memoryUsage().heapUsed, tensors: memory.numTensors, tensorBytes: memory.numBytes };
  },
  params: ({ model }) => registryParamCounter(model),
  render,
  export: ({ runIds, ...options }) =>
    withStore(async (store) => {
      const result = await exportFigures(store, runIds, options);
      result.files.push(...(await writeRunsSummary(store, runIds, result.out, options.split ?? 'test')));
      return result;
    }),
};

async function handle<K extends AnalysisOp>(op: K, params: AnalysisParams<K>): Promise<AnalysisResult<K>> {
  await initEngine();
  if (!Object.hasOwn(handlers, op)) throw new UnmaskError('BAD_ARGUMENT', `unknown analysis op '${String(op)}'`);
  return handlers[op](params);
}

// One request at a time: tfjs work is serial anyway, and this bounds memory under a burst of requests.
let queue = Promise.resolve();
port.onMessage((request) => {
  queue = queue.then(async () => {
    try {
      port.send({ id: request.id, ok: true, value: await handle(request.op, request.params) });
    } catch (error) {
      port.send({ id: request.id, ok: false, error: toErrorPayload(error) });
    }
  });
});
