// The bundled ImageNet MobileNet v1 0.75 weights (tfjs layers format, Apache-2.0) and their loader.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { MOBILENET_POOL } from '../mobilenet.js';
import { assignNamedWeights, layersBefore, type AssignResult } from './assign.js';
import { readTfjsFolderWeights } from './tfjs-folder.js';

/** `resources/` of the repository (or of the packaged app: UNMASK_RESOURCES_DIR). */
export function resourcesDir(): string {
  return process.env.UNMASK_RESOURCES_DIR ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../resources');
}

/** The bundled tfjs model folder: model.json + 55 shards, Keras 2.1.4 MobileNet α 0.75 at 224 px with its top. */
export function mobileNetWeightsDir(): string {
  return path.join(resourcesDir(), 'models', 'mobilenet_v1_0.75_224');
}

/**
 * Loads the ImageNet weights into every backbone layer of a MobileNetBased model (all layers before
 * `avg_pool`: 27 conv/depthwise kernels and 27 batch-norms, 137 tensors), from `dir` (default: the bundled
 * folder). The head keeps its initialisation; the top of the file (`conv_preds`) is left unused.
 */
export async function loadMobileNetImageNet(model: tf.LayersModel, dir = mobileNetWeightsDir()): Promise<AssignResult> {
  const named = await readTfjsFolderWeights(dir);
  try {
    return assignNamedWeights(model, named, dir, layersBefore(model, MOBILENET_POOL));
  } finally {
    tf.dispose([...named.values()]);
  }
}
