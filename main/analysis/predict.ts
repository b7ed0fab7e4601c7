// predictImages: P(fake) and a label for a stream of image files, a chunk at a time, so any number of images fit in memory.
import type * as tf from '@tensorflow/tfjs';
import { decodeImage, FaceDataset, type FaceCropper, type ImageFileEntry, type Sample } from '../data/index.js';
import { UnmaskError } from '../engine/errors.js';
import { scoreImages, type CachedFeatures } from './score.js';

/** One image's answer, or why it has none. */
export type Prediction =
  | {
      path: string;
      pFake: number;
      label: 'real' | 'fake';
      threshold: number;
      /** With face crops: whether a face was found (else the whole image was scored). */ face?: boolean;
    }
  | { path: string; error: string };

export interface PredictOptions {
  /** Images per forward pass. */
  batchSize: number;
  /** Average each image's P(fake) with its mirror image's (as the run was evaluated). */
  ttaFlip?: boolean;
  /** Label 'fake' when P(fake) >= threshold. */
  threshold: number;
  /** Images decoded and scored per chunk (default 4 batches): what is held in memory at once. */
  chunk?: number;
  signal?: AbortSignal;
  /** A frozen-backbone run's feature cache (read, not added to: one-off photos are not kept), as evaluate scores it. */
  cached?: CachedFeatures;
  /** Score each image's largest face (see FaceCropper). */
  faceCropper?: FaceCropper;
}

/**
 * Scores the images of `files` with `model` (logits [batch, 2] from [batch, 256, 256, 3] normalised, inference
 * mode), yielding one Prediction per entry in the order given: the same decode, resize and normalisation as
 * training and evaluation, so P(fake) equals what evaluateRun stores for the same image and checkpoint. Files
 * that cannot be read or decoded yield an error entry.
 */
export async function* predictImages(model: tf.LayersModel, files: AsyncIterable<ImageFileEntry>, options: PredictOptions): AsyncGenerator<Prediction> {
  const chunkSize = options.chunk ?? 4 * options.batchSize;
  let chunk: ImageFileEntry[] = [];
  for await (const entry of files) {
    chunk.push(entry);
    if (chunk.length >= chunkSize) {
      yield* await predictChunk(model, chunk, options);
      chunk = [];
    }
  }
  if (chunk.length > 0) yield* await predictChunk(model, chunk, options);
}

async function predictChunk(model: tf.LayersModel, entries: readonly ImageFileEntry[], options: PredictOptions): Promise<Prediction[]> {
  // Labels are unknown: 0 stands in (the pass's loss and accuracy are ignored).
  const samples: Sample[] = entries.filter((e) => !('error' in e)).map((e) => ({ path: e.path, label: 0 }));
  const byPath = new Map<string, Prediction>();
  if (samples.length > 0) {
    const scored = await scoreImages(model, new FaceDataset(samples, 'predict', { faceCropper: options.faceCropper }), {
      batchSize: options.batchSize,
      ttaFlip: options.ttaFlip,
      signal: options.signal,
      cached: options.cached,
    }).catch(async (error: unknown) => {
      // A pass in which no image decodes has no result: each image's own decode error says why.
      if (!(error instanceof UnmaskError) || error.code !== 'DATASET_INVALID') throw error;
      return { rows: [], skipped: await Promise.all(samples.map(async (s) => ({ path: s.path, reason: await decodeError(s.path) }))) };
    });
    const { rows, skipped } = scored;
    for (const r of rows) {
      const face = options.faceCropper ? { face: !options.faceCropper.faceless.has(r.path) } : {};
      byPath.set(r.path, { path: r.path, pFake: r.probs[1], label: r.probs[1] >= options.threshold ? 'fake' : 'real', threshold: options.threshold, ...face });
    }
    for (const s of skipped) byPath.set(s.path, { path: s.path, error: s.reason });
  }
  return entries.map((e) => ('error' in e ? e : (byPath.get(e.path) ?? { path: e.path, error: 'not scored' })));
}

async function decodeError(file: string): Promise<string> {
  try {
    await decodeImage(file);
    return 'not scored';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
