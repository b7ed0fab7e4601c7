// Splits a detector at a cut layer into a frozen trunk (image → cached tensors) and the trainable part after it.
import * as tf from '@tensorflow/tfjs';
import { UnmaskError } from '../engine/errors.js';

/** A detector split at a cut: the trunk computes the frontier once per image; the part trains on it. */
export interface ModelSplit {
  /** Image [b, 256, 256, 3] → the frontier tensors, in order (inference mode; not disposed by its users). */
  trunk: tf.LayersModel;
  /** The frontier tensors → logits [b, 2]; it shares its layers (and weights) with the detector. */
  part: tf.LayersModel;
  /** Shape of each frontier tensor without the batch axis, and its size. */
  shapes: number[][];
  sizes: number[];
  /** Sum of `sizes`: the length of one cached vector. */
  dim: number;
  /** Every layer of the detector that does not train (the trunk and the cheap summaries cached with it). */
  frozen: ReadonlySet<string>;
  /** The part from the frontier to a layer inside it (e.g. the pooled features, to fit a standardisation). */
  partTo(layerName: string): tf.LayersModel;
  /** Frees the part's own input layers; the detector's layers stay with the detector. */
  dispose(): void;
}

const inbound = (layer: tf.layers.Layer): tf.layers.Layer[] => layer.inboundNodes[0]?.inboundLayers ?? [];

/** The names of `layer` and every layer it depends on. */
export function ancestorsOf(layer: tf.layers.Layer): Set<string> {
  const seen = new Set<string>();
  const stack = [layer];
  while (stack.length) {
    const l = stack.pop()!;
    if (seen.has(l.name)) continue;
    seen.add(l.name);
    stack.push(...inbound(l));
  }
  return seen;
}

/** Output rank below input rank and no weights: a global pooling of a frozen map, cached with the trunk. */
function isSummary(layer: tf.layers.Layer): boolean {
  const out = layer.outputShape as tf.Shape;
  const into = layer.inboundNodes[0]?.inputShapes;
  const first = (Array.isArray(into?.[0]) ? into[0] : into) as tf.Shape | undefined;
  return layer.weights.length === 0 && !Array.isArray(out[0]) && first != null && out.length < first.length;
}

/**
 * Splits `model` at `cutLayer`. Frozen: the cut layer and everything it depends on, plus weightless global
 * poolings of frozen maps (MobileNetBased's per-block statistics). The frontier is every frozen output that a
 * trainable layer reads; the part re-applies the trainable layers, in the model's order, to new inputs of the
 * frontier's shapes. Each layer must be used once in the model (true of every Unmask detector).
 */
export function splitModel(model: tf.LayersModel, cutLayer: string): ModelSplit {
  const cut = model.getLayer(cutLayer);
  const frozen = ancestorsOf(cut);
  // model.layers is in topological order, so one pass settles each layer after its inputs.
  for (const layer of model.layers) {
    const ins = inbound(layer);
    if (!frozen.has(layer.name) && ins.length > 0 && ins.every((l) => frozen.has(l.name)) && isSummary(layer)) frozen.add(layer.name);
  }
  const outputLayer = model.outputs[0]!.sourceLayer;
  if (frozen.has(outputLayer.name)) throw new UnmaskError('BAD_ARGUMENT', `cutting ${model.name} at '${cutLayer}' leaves nothing to train`);
  const trainableLayers = model.layers.filter((l) => !frozen.has(l.name));
  const frontierLayers: tf.layers.Layer[] = [];
  for (const layer of trainableLayers) {
    for (const l of inbound(layer)) if (frozen.has(l.name) && !frontierLayers.includes(l)) frontierLayers.push(l);
  }
  const frontier = frontierLayers.map((l) => l.getOutputAt(0) as tf.SymbolicTensor);
  const shapes = frontier.map((t) => t.shape.slice(1) as number[]);
  const inputs = shapes.map((shape, i) => tf.input({ shape, name: `${model.name}_cut_${i}` }));
  const mapped = new Map<string, tf.SymbolicTensor>(frontierLayers.map((l, i) => [l.name, inputs[i]!]));
  for (const layer of trainableLayers) {
    const args = inbound(layer).map((l) => mapped.get(l.name)!);
    mapped.set(layer.name, layer.apply(args.length === 1 ? args[0]! : args) as tf.SymbolicTensor);
  }
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  const part = tf.model({ inputs, outputs: mapped.get(outputLayer.name)!, name: `${model.name}_part` });
  return {
    trunk: tf.model({ inputs: model.inputs, outputs: frontier, name: `${model.name}_trunk` }),
    part,
    shapes,
    sizes,
    dim: sizes.reduce((a, b) => a + b, 0),
    frozen,
    partTo: (layerName) => {
      const out = mapped.get(layerName);
      if (!out) throw new UnmaskError('INTERNAL', `'${layerName}' is not in the trainable part of ${model.name}`);
      return tf.model({ inputs, outputs: out, name: `${model.name}_part_to_${layerName}` });
    },
    dispose: () => part.dispose(),
  };
}

/** The trunk's outputs for images [m, s, s, 3] (and any further inputs), each flattened and concatenated in frontier order: [m, dim]. */
export function trunkOutputs(trunk: tf.LayersModel, images: tf.Tensor | tf.Tensor[]): tf.Tensor2D {
  return tf.tidy(() => {
    const m = [images].flat()[0]!.shape[0]!;
    const outs = [trunk.predict(images) as tf.Tensor | tf.Tensor[]].flat();
    return (
      outs.length === 1
        ? tf.reshape(outs[0]!, [m, -1])
        : tf.concat(
            outs.map((t) => tf.reshape(t, [m, -1])),
            1,
          )
    ) as tf.Tensor2D;
  });
}

/** Splits rows of cached vectors [rows, dim] into the part's inputs [rows, ...shape] (frontier order). */
export function frontierTensors(split: Pick<ModelSplit, 'shapes' | 'sizes'>, rows: number, data: Float32Array): tf.Tensor[] {
  if (split.sizes.length === 1) return [tf.tensor(data, [rows, ...split.shapes[0]!])];
  return tf.tidy(() => {
    const flat = tf.tensor2d(data, [rows, data.length / rows]);
    return tf.split(flat, split.sizes, 1).map((t, i) => tf.reshape(t, [rows, ...split.shapes[i]!]));
  });
}
