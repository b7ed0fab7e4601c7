// What crosses the queue: each job kind's payload, progress and result, with the zod schema a worker (payloads) or
// the coordinator (progress, results) checks it against. Training requests use the API's own schemas.
import { z } from 'zod';
import { paramSchemas, trainRequest } from '../api/schemas.js';
import type { EpochPoint, JobPhase } from '../api/contract.js';
import { UnmaskError } from '../engine/errors.js';
import type { ScoreRow } from '../store/index.js';

/** The job kinds a worker takes; anything else is refused. */
export const JOB_KINDS = ['train', 'evaluate', 'features'] as const;
export type QueueJobKind = (typeof JOB_KINDS)[number];

export function isJobKind(name: string): name is QueueJobKind {
  return (JOB_KINDS as readonly string[]).includes(name);
}

/** A path relative to a shared root (checked again, against the root, where it is used). */
const relPath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.includes('\0'), 'path contains a NUL byte');
const metric = z.number().nullable(); // JSON has no NaN: a diverged run's NaN crosses as null
const probPair = z.tuple([z.number().nullable(), z.number().nullable()]);

const epochRecord = z.strictObject({
  epoch: z.number().int().min(1),
  trainLoss: metric,
  trainAcc: metric,
  valLoss: metric,
  valAcc: metric,
  testLoss: metric,
  testAcc: metric,
  seconds: z.number(),
  imgPerSec: z.number(),
  valAuc: metric.optional(),
  testAuc: metric.optional(),
});

const checkpoint = z.strictObject({ epoch: z.number().int().min(1), kind: z.enum(['best', 'last']), path: relPath });

const runIdentity = z.strictObject({
  model: z.string().min(1).max(64),
  datasetFingerprint: z.string().max(200),
  params: z.looseObject({ lr: z.number(), batchSize: z.number(), epochs: z.number(), optimizer: z.string(), seed: z.number() }),
  engine: z.string().min(1).max(32),
});

/** A run and its completed epochs with their checkpoints (journal, progress, results). */
export const runSnapshot = z.strictObject({ run: runIdentity, epochs: z.array(epochRecord), checkpoints: z.array(checkpoint) });

const scoreRow = z.strictObject({ path: relPath, label: z.union([z.literal(0), z.literal(1)]), logits: probPair, probs: probPair });
const scoreSet = z.strictObject({ split: z.enum(['train', 'val', 'test']), checkpointEpoch: z.number().int().min(1), rows: z.array(scoreRow) });

/** Who asked: the coordinator's name, shown by workers (`host:pid` of the app or `unmask serve`). */
const coordinator = z.string().min(1).max(200);
const sweep = z
  .string()
  .regex(/^[\w.:-]{1,64}$/)
  .nullable();

/** train: one training run. `request.dataset` is relative to the data root. */
export const trainPayload = z.strictObject({ request: trainRequest, sweep, coordinator });

/** features: shard `index` of `count` of a frozen-backbone run's feature views (the images with i % count == index). */
export const featuresPayload = z.strictObject({
  request: trainRequest,
  shard: z
    .strictObject({ index: z.number().int().min(0), count: z.number().int().min(1).max(256) })
    .refine((s) => s.index < s.count, 'shard index must be below the count'),
  coordinator,
});

/** evaluate: score a run (its snapshot, own val scores for its threshold) on a folder of the data root. */
export const evaluatePayload = z.strictObject({
  params: paramSchemas.evaluateRun,
  run: z.strictObject({ snapshot: runSnapshot, dataset: relPath.nullable(), valScores: scoreSet.nullable() }),
  coordinator,
});

export const PAYLOADS = { train: trainPayload, evaluate: evaluatePayload, features: featuresPayload } as const;

export type TrainPayload = z.infer<typeof trainPayload>;
export type FeaturesPayload = z.infer<typeof featuresPayload>;
export type EvaluatePayload = z.infer<typeof evaluatePayload>;
export type WireSnapshot = z.infer<typeof runSnapshot>;
export type WireScoreSet = z.infer<typeof scoreSet>;
export type WireEpoch = z.infer<typeof epochRecord>;

const phaseProgress = z.strictObject({
  phase: z.enum(['queued', 'scan', 'download', 'features', 'train', 'val', 'test', 'score', 'done'] satisfies JobPhase[]),
  epoch: z.number(),
  epochs: z.number(),
  done: z.number(),
  total: z.number(),
  imgPerSec: z.number().nullable(),
  etaSeconds: z.number().nullable(),
  runningLoss: z.number().nullable(),
  runningAccuracy: z.number().nullable(),
});

/** A job's progress events (job.updateProgress), each naming the worker that sends it. */
export const jobProgress = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('run'), worker: z.string(), run: runIdentity, startEpoch: z.number().int().min(0) }),
  z.strictObject({ type: z.literal('progress'), worker: z.string(), progress: phaseProgress }),
  z.strictObject({ type: z.literal('epoch'), worker: z.string(), epoch: epochRecord, checkpoints: z.array(checkpoint) }),
]);
export type JobProgressEvent = z.infer<typeof jobProgress>;

/** train's result: the run as the worker recorded it, with its own val/test scores. */
export const trainResult = z.strictObject({
  worker: z.string(),
  snapshot: runSnapshot,
  scores: z.array(scoreSet),
  wallSeconds: z.number(),
  /** Feature views the run computed itself (0 when its shards had cached them all). */
  featuresComputed: z.number().int().nullable(),
});

export const featuresResult = z.strictObject({ worker: z.string(), computed: z.number().int(), cached: z.number().int(), seconds: z.number() });

export const evaluateResult = z.strictObject({
  worker: z.string(),
  datasetFingerprint: z.string(),
  split: z.enum(['all', 'train', 'val', 'test']),
  checkpoint: z.enum(['best', 'last']),
  checkpointEpoch: z.number().int().min(1),
  preprocess: z.string().default('none'),
  rows: z.array(scoreRow),
  metrics: z.record(z.string(), z.unknown()),
  engine: z.string(),
  skipped: z.number().int(),
  trainedOn: z.boolean(),
});

export type TrainResult = z.infer<typeof trainResult>;
export type FeaturesResult = z.infer<typeof featuresResult>;
export type EvaluateResult = z.infer<typeof evaluateResult>;

/** Checks a value against a schema; a mismatch is BAD_ARGUMENT naming the first offending field. */
export function parseWire<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new UnmaskError('BAD_ARGUMENT', `${what}: ${issue.path.join('.') || 'value'}: ${issue.message}`);
}

/** An epoch as the store records it: the metrics that crossed as null (NaN) back to NaN. */
export function epochFromWire(e: WireEpoch): EpochPoint {
  const nan = (v: number | null) => (v === null ? Number.NaN : v);
  return { ...e, trainLoss: nan(e.trainLoss), trainAcc: nan(e.trainAcc), valLoss: nan(e.valLoss), valAcc: nan(e.valAcc) };
}

/** A score row with its image path made relative (or absolute) by `map`. */
export function mapRowPaths<R extends { path: string }>(rows: readonly R[], map: (p: string) => string): R[] {
  return rows.map((r) => ({ ...r, path: map(r.path) }));
}

/** A row that crossed as JSON, with the store's types (a NaN probability crossed as null). */
export function scoreRowFromWire(r: z.infer<typeof scoreRow>): ScoreRow {
  const nan = (v: number | null) => (v === null ? Number.NaN : v);
  return { path: r.path, label: r.label, logits: [nan(r.logits[0]), nan(r.logits[1])], probs: [nan(r.probs[0]), nan(r.probs[1])] };
}
