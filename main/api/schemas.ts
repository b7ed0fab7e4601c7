// One schema per API method's params: every transport validates a payload here before main acts on it.
import { z } from 'zod';
import { UnmaskError } from '../engine/errors.js';
import type { ApiMethod } from './contract.js';
import { API_METHOD_NAMES } from './methods.js';
import { apiTrainRequestSchema, pathSchema } from '../train/request-schema.js';

/** Largest dropped image, as base64 text (about 24 MB of file). */
const MAX_IMAGE_BASE64 = 32 * 2 ** 20;

const path = pathSchema;
const split = z.enum(['train', 'val', 'test']);
const evaluationSplit = z.enum(['all', 'train', 'val', 'test']);
const className = z.enum(['real', 'fake']);
const runId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const format = z.enum(['svg', 'png']);
const empty = z.strictObject({}).optional();

const imageSource = z.union([
  z.strictObject({ path }),
  z.strictObject({ base64: z.string().min(1).max(MAX_IMAGE_BASE64), name: z.string().max(255).optional() }),
]);

/** A training request (startTraining, and every job of a sweep or a queue): the core's one schema. */
export const trainRequest = apiTrainRequestSchema;

const list = <T extends z.ZodType>(item: T) => z.array(item).min(1).max(20);

/** A sweep: its grid has at most 200 combinations. */
const sweepRequest = z
  .strictObject({
    base: trainRequest,
    grid: z.strictObject({
      model: list(trainRequest.shape.model.unwrap()),
      lr: list(trainRequest.shape.lr.unwrap()).optional(),
      optimizer: list(trainRequest.shape.optimizer.unwrap()).optional(),
      batchSize: list(trainRequest.shape.batchSize.unwrap()).optional(),
      seed: list(trainRequest.shape.seed.unwrap()).optional(),
    }),
  })
  .refine((s) => Object.values(s.grid).reduce((n, values) => n * (values?.length ?? 1), 1) <= 200, 'a sweep has at most 200 runs');

/** The params schema of each method (`undefined` params are accepted where the method takes none). */
export const paramSchemas = {
  getInfo: empty,
  getEngine: empty,
  pickFolder: z.strictObject({ title: z.string().max(200).optional() }).optional(),
  openDataset: z.strictObject({ path }),
  listDatasets: empty,
  listImages: z.strictObject({
    dataset: path,
    split: split.optional(),
    label: className.optional(),
    offset: z.number().int().min(0).max(10_000_000).optional(),
    limit: z.number().int().min(1).max(1000).optional(),
  }),
  getImage: z.strictObject({ path, size: z.number().int().min(16).max(1024).optional() }),
  startTraining: trainRequest,
  startSweep: sweepRequest,
  listJobs: empty,
  cancelJob: z.strictObject({ jobId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) }),
  listRuns: empty,
  getRun: z.strictObject({ runId }),
  analyseRun: z.strictObject({ runId, split: split.optional(), threshold: z.number().min(0).max(1).optional() }),
  compareRuns: z.strictObject({ runIds: z.array(runId).min(1).max(20), split: split.optional() }),
  rescoreRun: z.strictObject({ runId, split }),
  evaluateRun: z.strictObject({
    runId,
    dataset: path,
    split: evaluationSplit.optional(),
    checkpoint: z.enum(['best', 'last']).optional(),
    cropFaces: z.boolean().optional(),
  }),
  listEvaluations: z.strictObject({ runId: runId.optional() }).optional(),
  getEvaluation: z.strictObject({ evaluationId: runId, threshold: z.number().min(0).max(1).optional() }),
  crossDatasetMatrix: z.strictObject({ runIds: z.array(runId).min(1).max(200).optional() }).optional(),
  explainChoices: z.strictObject({ runId }),
  explainImage: z.strictObject({
    runId,
    image: imageSource,
    method: z.string().min(1).max(32),
    layer: z.string().min(1).max(128).optional(),
    target: z.enum(['predicted', 'real', 'fake']).optional(),
    checkpoint: z.enum(['best', 'last']).optional(),
    cropFaces: z.boolean().optional(),
  }),
  renderChart: z.strictObject({
    option: z.record(z.string(), z.unknown()),
    format,
    width: z.number().int().min(100).max(4000).optional(),
    height: z.number().int().min(100).max(4000).optional(),
  }),
  exportReport: z.strictObject({
    runIds: z.array(runId).min(1).max(50),
    out: path,
    split: split.optional(),
    formats: z.array(format).min(1).max(2).optional(),
  }),
  getFleet: empty,
  setQueue: z.strictObject({ url: z.string().min(1).max(2048).nullable(), artifacts: path.nullable().optional() }),
} satisfies Record<ApiMethod, z.ZodType>;

/** Every method name, in the contract's order (the list lives in methods.ts, which the preload bundles without zod). */
export const API_METHODS: ApiMethod[] = [...API_METHOD_NAMES];

export function isApiMethod(name: string): name is ApiMethod {
  return Object.hasOwn(paramSchemas, name);
}

/** Validates params for `method`; a bad payload is BAD_ARGUMENT naming the first offending field. */
export function parseParams<M extends ApiMethod>(method: M, params: unknown): z.infer<(typeof paramSchemas)[M]> {
  const result = paramSchemas[method].safeParse(params);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : 'params';
    throw new UnmaskError('BAD_ARGUMENT', `${method}: ${where}: ${issue.message}`);
  }
  return result.data as z.infer<(typeof paramSchemas)[M]>;
}
