// Keras's official ImageNet Xception weights: where they come from, where they are cached, and loading them.
import fs from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { UnmaskError } from '../../engine/errors.js';
import { userDataDir } from '../../store/paths.js';
import { layersBefore, type AssignResult } from './assign.js';
import { downloadVerified, fileHash, kerasHash } from './download.js';
import { importKerasWeights } from './keras-h5.js';

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
    if ((await fileHash(dest, expected.algorithm)) === expected.hex) return dest;
    fs.rmSync(dest); // damaged or replaced: fetch it again
  }
  try {
    return await downloadVerified({ url: weights.url, dest, hash: expected, onProgress: options.onProgress, signal: options.signal, attempts: options.attempts, idleMs: options.idleMs });
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
 * ImageNet weights into the backbone of an XceptionBased model (every layer before `avg_pool`): from
 * `weights` (a local .h5 or tfjs folder) when given, else Keras's no-top file from the cache or the network.
 */
export async function loadXceptionImageNet(model: tf.LayersModel, options: EnsureOptions & { weights?: string } = {}): Promise<AssignResult> {
  const source = options.weights ?? (await ensureWeightsFile(KERAS_XCEPTION.notop, options));
  return importKerasWeights(model, source, layersBefore(model, 'avg_pool'));
}
