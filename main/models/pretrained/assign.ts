// Puts named weight tensors ('layer/weight') into a model's layers, checking every name and shape first.
import * as tf from '@tensorflow/tfjs';
import { UnmaskError } from '../../engine/errors.js';

/** 'layer/weight' (e.g. 'block1_conv1_bn/gamma') → tensor. */
export type NamedWeights = Map<string, tf.Tensor>;

export interface AssignResult {
  /** Layers that received weights. */
  layers: number;
  /** Tensors assigned. */
  tensors: number;
  /** Names in the source no target layer asked for (e.g. a top the model does not have). */
  unused: string[];
}

/** A weight's own name within its layer: 'conv1/kernel' → 'kernel'. */
export function shortName(w: tf.LayerVariable): string {
  return w.originalName.split('/').pop()!;
}

/** The layers before `layerName` in the model's topological order (its backbone when that is the pooled feature layer). */
export function layersBefore(model: tf.LayersModel, layerName: string): tf.layers.Layer[] {
  const index = model.layers.findIndex((l) => l.name === layerName);
  if (index < 0) throw new UnmaskError('INTERNAL', `model '${model.name}' has no layer '${layerName}'`);
  return model.layers.slice(0, index);
}

/**
 * Sets every weight of `layers` (default: every layer of `model` that has weights) from `named`, looked up
 * as `${layer.name}/${weight}`. All names and shapes are checked before anything is written, so a bad source
 * leaves the model untouched; a missing or mis-shaped weight is an UnmaskError naming the layer and weight.
 */
export function assignNamedWeights(model: tf.LayersModel, named: NamedWeights, source: string, layers?: tf.layers.Layer[]): AssignResult {
  const targets = (layers ?? model.layers).filter((l) => l.weights.length > 0);
  const plan: { layer: tf.layers.Layer; values: tf.Tensor[] }[] = [];
  const used = new Set<string>();
  for (const layer of targets) {
    const values = layer.weights.map((w) => {
      const key = `${layer.name}/${shortName(w)}`;
      const value = named.get(key);
      if (!value) throw new UnmaskError('BAD_ARGUMENT', `${source} has no weight '${key}' for layer '${layer.name}'`);
      if (value.shape.join() !== w.shape.join()) {
        throw new UnmaskError('BAD_ARGUMENT', `${source}: weight '${key}' of layer '${layer.name}' has shape [${value.shape}], the model wants [${w.shape}]`);
      }
      used.add(key);
      return value;
    });
    plan.push({ layer, values });
  }
  for (const { layer, values } of plan) layer.setWeights(values);
  return { layers: plan.length, tensors: used.size, unused: [...named.keys()].filter((k) => !used.has(k)).sort() };
}
