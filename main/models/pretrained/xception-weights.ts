// Keras's official ImageNet Xception weights: where they come from, where they are cached, and loading them.
import fs from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { UnmaskError } from '../../engine/errors.js';
import { userDataDir } from '../../store/paths.js';
import { layersBefore, type AssignResult } from './assign.js';
import { downloadVerified, fileHash, kerasHash } from './download.js';
import { importKerasWeights } from './keras-h5.js';
import { backboneLayerPairs, PARTS_FEATURE_LAYER } from '../xception-parts.js';

export interface WeightsFile {
  file: string;
  url: string;
  /** As in keras/src/applications/xception.py: `file_hash` (md5 there; Keras's get_file infers the algorithm). */
  hash: string;
}

/** URLs and hashes of keras.applications.xception (keras 3, keras/src/applications/xception.py). */
export const KERAS_XCEPTION: Record<'top' | 'notop', WeightsFile> = {
  top: {
    file: 'xception_weights_tf_dim_ordering_tf_kernels.h5',
    url: 'https://storage.googleapis.com/tensorflow/keras-applications/xception/xception_weights_tf_dim_ordering_tf_kernels.h5',
    hash: '0a58e3b7378bc2990ea3b43d5981f1f6',
  },
  notop: {
    file: 'xception_weights_tf_dim_ordering_tf_kernels_notop.h5',
    url: 'https://storage.googleapis.com/tensorflow/keras-applications/xception/xception_weights_tf_dim_ordering_tf_kernels_notop.h5',
    hash: 'b0042744bf5b25fce3cb969f33bebb97',
  },
};

/** Downloaded weights live in `<user data>/weights` (UNMASK_WEIGHTS_DIR overrides). */
export function weightsCacheDir(): string {
  return process.env.UNMASK_WEIGHTS_DIR ?? path.join(userDataDir(), 'weights');
}

export interface EnsureOptions {
  cacheDir?: string;
  onProgress?: (received: number, total: number | null) => void;
  signal?: AbortSignal;
  attempts?: number;
  idleMs?: number;
  /** Told when a cached file fails its hash check and is moved aside (never deleted). */
  onNotice?: (message: string) => void;
}

/**
 * Moves a cached file that fails its hash check to `<file>.mismatch-<timestamp>`: it may be a user's own copy
 * (a re-saved container, say) that `--weights FILE` still accepts, so it is kept, never deleted.
 */
export function moveAside(file: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  let kept = `${file}.mismatch-${stamp}`;
  for (let n = 1; fs.existsSync(kept); n++) kept = `${file}.mismatch-${stamp}-${n}`;
  fs.renameSync(file, kept);
  return kept;
}

/**
 * The path of `weights` in the cache, downloading it first when it is not there (resumable, verified against
 * its hash). A cached file is re-hashed before use. Offline: an UnmaskError DOWNLOAD_FAILED saying where to
 * put the file by hand and that `--weights FILE` takes a local copy.
 */
export async function ensureWeightsFile(weights: WeightsFile, options: EnsureOptions = {}): Promise<string> {
  const dest = path.join(options.cacheDir ?? weightsCacheDir(), weights.file);
  const expected = kerasHash(weights.hash);
  if (fs.existsSync(dest)) {
    const actual = await fileHash(dest, expected.algorithm);
    if (actual === expected.hex) return dest;
    const kept = moveAside(dest);
    options.onNotice?.(
      `the cached ${weights.file} has ${expected.algorithm} ${actual}, not Keras's ${expected.hex}; it was kept as ${kept} ` +
        `(pass it with --weights FILE if it is a Keras-layout copy you trust) and the official file is fetched instead`,
    );
  }
  try {
    return await downloadVerified({
      url: weights.url,
      dest,
      hash: expected,
      onProgress: options.onProgress,
      signal: options.signal,
      attempts: options.attempts,
      idleMs: options.idleMs,
    });
  } catch (error) {
    if (!(error instanceof UnmaskError) || error.code !== 'DOWNLOAD_FAILED') throw error;
    throw new UnmaskError(
      'DOWNLOAD_FAILED',
      `${error.message}. Without internet, download ${weights.url} on another machine and pass it with --weights FILE ` +
        `(or copy it to ${dest}); --no-pretrained trains from scratch instead.`,
      { cause: error },
    );
  }
}

/**
 * ImageNet weights into the backbone of an Xception detector (every layer before its feature layer, default `avg_pool`): from
 * `weights` (a local .h5 or tfjs folder) when given, else Keras's no-top file from the cache or the network.
 */
export async function loadXceptionImageNet(
  model: tf.LayersModel,
  options: EnsureOptions & { weights?: string; featureLayer?: string } = {},
): Promise<AssignResult> {
  const source = options.weights ?? (await ensureWeightsFile(KERAS_XCEPTION.notop, options));
  return importKerasWeights(model, source, layersBefore(model, options.featureLayer ?? 'avg_pool'));
}

/**
 * ImageNet weights into both backbones of XceptionParts: Keras's names load into the whole-image branch, and each
 * `part_…` layer takes a copy of its twin's weights.
 */
export async function loadXceptionPartsImageNet(model: tf.LayersModel, options: EnsureOptions & { weights?: string } = {}): Promise<AssignResult> {
  const pairs = backboneLayerPairs(model);
  const partNames = new Set(pairs.map((p) => p.part.name));
  const source = options.weights ?? (await ensureWeightsFile(KERAS_XCEPTION.notop, options));
  const whole = layersBefore(model, PARTS_FEATURE_LAYER).filter((l) => !partNames.has(l.name));
  const result = await importKerasWeights(model, source, whole);
  for (const { whole: from, part } of pairs) part.setWeights(from.getWeights());
  return { ...result, layers: result.layers + pairs.length, tensors: result.tensors * 2 };
}
