// Loads a TensorFlow.js layers model folder (model.json + weight shards) from disk on any engine, wasm included.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UnmaskError } from '../../engine/errors.js';
import type { NamedWeights } from './assign.js';

interface ModelJson {
  modelTopology?: unknown;
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

function readModelJson(dir: string): ModelJson {
  const file = path.join(dir, 'model.json');
  if (!fs.existsSync(file)) throw new UnmaskError('NOT_FOUND', `no tfjs model at ${dir} (model.json is missing)`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ModelJson;
  } catch (error) {
    throw new UnmaskError('BAD_ARGUMENT', `${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * A tf.io.IOHandler that reads `dir/model.json` and its weight shards with node:fs (tfjs-node's file://
 * handler exists only on the native engines). Shards are concatenated in manifest order, as tfjs expects.
 */
export function fileSystemHandler(dir: string): tf.io.IOHandler {
  return {
    load: async (): Promise<tf.io.ModelArtifacts> => {
      const json = readModelJson(dir);
      const weightSpecs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Buffer[] = [];
      for (const group of json.weightsManifest ?? []) {
        weightSpecs.push(...group.weights);
        for (const shard of group.paths) {
          const file = path.join(dir, shard);
          if (!fs.existsSync(file)) throw new UnmaskError('NOT_FOUND', `weight shard ${file} is missing`);
          buffers.push(fs.readFileSync(file));
        }
      }
      const all = Buffer.concat(buffers);
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
      return {
        modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
        weightSpecs,
        weightData,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy ?? undefined,
      };
    },
  };
}

/** The tfjs layers model in `dir` (the caller disposes it). */
export async function loadLayersModelFromDir(dir: string): Promise<tf.LayersModel> {
  try {
    return await tf.loadLayersModel(fileSystemHandler(dir));
  } catch (error) {
    if (error instanceof UnmaskError) throw error;
    throw new UnmaskError('BAD_ARGUMENT', `cannot load the tfjs model at ${dir}: ${(error as Error).message}`, { cause: error });
  }
}

/** Whether `dir` looks like a tfjs layers model folder. */
export function isTfjsFolder(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'model.json'));
}

/**
 * Every weight of the tfjs layers model in `dir` as 'layer/weight' → tensor (e.g. 'conv_dw_1/depthwise_kernel',
 * 'conv1_bn/moving_mean'), read through tf.loadLayersModel. The caller disposes the tensors.
 */
export async function readTfjsFolderWeights(dir: string): Promise<NamedWeights> {
  const model = await loadLayersModelFromDir(dir);
  try {
    const named: NamedWeights = new Map();
    for (const layer of model.layers) {
      for (const w of layer.weights) named.set(`${layer.name}/${w.originalName.split('/').pop()!}`, w.read().clone());
    }
    return named;
  } finally {
    model.dispose();
  }
}
