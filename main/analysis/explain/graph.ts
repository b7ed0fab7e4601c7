// Runs a tfjs LayersModel's graph layer by layer so gradients can be taken w.r.t. any layer's activation.
import * as tf from '@tensorflow/tfjs';
import { UnmaskError } from '../../engine/errors.js';
import { PART_PREFIX } from '../../models/xception-parts.js';

/** Which class each image is explained for: the model's own prediction, one class for all, or one per image. */
export type TargetSpec = 'predicted' | number | readonly number[];

/** Concrete values of a model's symbolic tensors, keyed by SymbolicTensor id. */
type Values = Map<number, tf.Tensor>;

/**
 * Computes `target`'s value the way tfjs-layers' own executor does for `predict`: each layer applied to its
 * recorded inputs in inference mode (`training: false`: BatchNormalization uses its moving statistics, Dropout
 * is off). Values already in `values` (the model inputs, or a fed activation) are used as they are and never
 * recomputed; every value computed is added to `values`, all outputs of a multi-output layer at once.
 */
function evaluate(target: tf.SymbolicTensor, values: Values): tf.Tensor {
  const known = values.get(target.id);
  if (known) return known;
  const layer = target.sourceLayer;
  if (layer.getClassName() === 'InputLayer') {
    throw new UnmaskError('BAD_ARGUMENT', `no value was given for the model input '${target.name}'`);
  }
  const inputs = target.inputs.map((input) => evaluate(input, values));
  const out = layer.apply(inputs.length === 1 ? inputs[0]! : inputs, { training: false }) as tf.Tensor | tf.Tensor[];
  const outputs = Array.isArray(out) ? out : [out];
  const node = layer.inboundNodes[target.nodeIndex];
  const symbols = node?.outputTensors ?? [target];
  symbols.forEach((symbol, i) => {
    const value = outputs[i];
    if (value && !values.has(symbol.id)) values.set(symbol.id, value);
  });
  const value = values.get(target.id);
  if (!value) throw new UnmaskError('INTERNAL', `layer '${layer.name}' produced no value for '${target.name}'`);
  return value;
}

/** Values of a model's inputs after the first (the image), fixed while one image is explained. */
const boundInputs = new WeakMap<tf.LayersModel, readonly tf.Tensor[]>();

/**
 * Runs `explain` with the model's further inputs bound to `extras` (one row each, repeated over whatever batch
 * the method builds, e.g. SmoothGrad's noisy copies): a face-part detector's part boxes while its image is
 * explained. Gradients are taken w.r.t. the image (or a layer) only; the bound inputs are constants.
 */
export function withBoundInputs<T>(model: tf.LayersModel, extras: readonly tf.Tensor[], explain: () => T): T {
  boundInputs.set(model, extras);
  try {
    return explain();
  } finally {
    boundInputs.delete(model);
  }
}

function seed(model: tf.LayersModel, x: tf.Tensor4D): Values {
  const extras = boundInputs.get(model) ?? [];
  if (model.inputs.length !== 1 + extras.length) {
    throw new UnmaskError('BAD_ARGUMENT', `'${model.name}' has ${model.inputs.length} inputs; ${1 + extras.length} were given`);
  }
  const values: Values = new Map([[model.inputs[0]!.id, x]]);
  extras.forEach((e, i) => {
    const reps = x.shape[0] / e.shape[0]!;
    values.set(model.inputs[i + 1]!.id, reps === 1 ? e : tf.tile(e, [reps, ...e.shape.slice(1).map(() => 1)]));
  });
  return values;
}

function logitsOf(model: tf.LayersModel, values: Values): tf.Tensor2D {
  const out = evaluate(model.outputs[0]!, values);
  if (out.rank !== 2) throw new UnmaskError('BAD_ARGUMENT', `expected logits [batch, classes], '${model.name}' outputs rank ${out.rank}`);
  return out as tf.Tensor2D;
}

/**
 * The model's first output (logits [batch, classes]) for x [batch, H, W, C], in inference mode. Equal to
 * `model.predict(x)`, but differentiable and built from the same per-layer walk as {@link layerGradients}.
 */
export function forward(model: tf.LayersModel, x: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => logitsOf(model, seed(model, x)));
}

/** Per-image target classes: argmax of logits [batch, classes] for 'predicted', else checked against the class count. */
export function resolveTargets(logits: tf.Tensor2D, spec: TargetSpec): number[] {
  const [batch, classes] = logits.shape;
  if (spec === 'predicted') return Array.from(tf.tidy(() => tf.argMax(logits, 1)).dataSync() as Int32Array);
  const targets = typeof spec === 'number' ? Array.from({ length: batch }, () => spec) : [...spec];
  if (targets.length !== batch) throw new UnmaskError('BAD_ARGUMENT', `got ${targets.length} targets for a batch of ${batch}`);
  for (const t of targets) {
    if (!Number.isInteger(t) || t < 0 || t >= classes) throw new UnmaskError('BAD_ARGUMENT', `target class ${t} is not in [0, ${classes})`);
  }
  return targets;
}

/**
 * Gradient of the summed target scores Σ_b logits[b, target_b] w.r.t. `wrt`, plus the logits, from one
 * forward pass `run(wrt)` → logits [batch, classes]. For 'predicted' the targets come from that same pass
 * (argmax is piecewise constant, so it contributes no gradient). Batch items are independent in inference
 * mode, so the gradient's item b is ∂ logits[b, target_b] / ∂ wrt[b].
 */
export function scoreGradient<T extends tf.Tensor>(
  run: (wrt: T) => tf.Tensor2D,
  wrt: T,
  spec: TargetSpec,
): { grad: T; logits: tf.Tensor2D; targets: number[] } {
  let kept: tf.Tensor2D | undefined;
  let targets: number[] = [];
  try {
    const grad = tf.tidy(() =>
      tf.grad((input: tf.Tensor) => {
        const logits = run(input as T);
        // Kept past tf.grad's own tidy, which disposes everything f makes but its result.
        kept = tf.keep(logits);
        targets = resolveTargets(logits, spec);
        const mask = tf.oneHot(tf.tensor1d(targets, 'int32'), logits.shape[1]);
        return tf.sum(tf.mul(logits, mask));
      })(wrt),
    ) as T;
    return { grad, logits: tf.clone(kept!), targets };
  } finally {
    kept?.dispose();
  }
}

/**
 * ∂ score / ∂ input for x [batch, H, W, C]: returns grad [batch, H, W, C], logits [batch, classes] and the
 * target class of each image.
 */
export function inputGradients(model: tf.LayersModel, x: tf.Tensor4D, spec: TargetSpec): { grad: tf.Tensor4D; logits: tf.Tensor2D; targets: number[] } {
  return scoreGradient((input: tf.Tensor4D) => logitsOf(model, seed(model, input)), x, spec);
}

export interface LayerGradients {
  /** The layer's output A [batch, h, w, channels]. */
  activations: tf.Tensor4D;
  /** ∂ score / ∂ A [batch, h, w, channels], through every path from the layer to the logits. */
  grads: tf.Tensor4D;
  /** [batch, classes]. */
  logits: tf.Tensor2D;
  targets: number[];
}

/**
 * Activations of layer `layerName` and the gradient of the target score w.r.t. them, for x [batch, H, W, C].
 *
 * The graph is split at the layer: (1) every value upstream of the layer, A included, is computed once from x,
 * outside the gradient tape; (2) the rest of the model runs under `tf.grad` as a function of A, with A fed in
 * where the layer's output would be. Every consumer of the layer's output reads A, and every other input of a
 * downstream layer — a residual shortcut that bypasses the layer, say — is its real value computed from x, a
 * constant w.r.t. A. So the gradient is exactly ∂ logits / ∂ A of the full model, unlike a "head" sub-model
 * from the layer to the logits, which cannot even be built when a skip connection enters the graph after the
 * layer. The forward pass is run once in total; the layer's output must be a 4-D feature map.
 */
export function layerGradients(model: tf.LayersModel, x: tf.Tensor4D, layerName: string, spec: TargetSpec): LayerGradients {
  const symbol = featureMap(model, layerName);
  return tf.tidy(() => {
    const values = seed(model, x);
    const activations = evaluate(symbol, values) as tf.Tensor4D;
    const { grad, logits, targets } = scoreGradient(
      (a: tf.Tensor4D) => {
        const downstream: Values = new Map(values);
        downstream.set(symbol.id, a);
        return logitsOf(model, downstream);
      },
      activations,
      spec,
    );
    return { activations: tf.clone(activations), grads: grad, logits, targets };
  });
}

/** The names of the layers whose output is a 4-D feature map [batch, h, w, channels]: the valid CAM layers. */
export function featureMapLayers(model: tf.LayersModel): string[] {
  return (
    model.layers
      .filter((layer) => layer.getClassName() !== 'InputLayer' && layer.inboundNodes.length === 1)
      // XceptionParts' part branch maps crops of the face, several per image (batch b × parts), not the image's grid.
      .filter((layer) => !layer.name.startsWith(PART_PREFIX))
      .filter((layer) => {
        const out = layer.output;
        return !Array.isArray(out) && out.rank === 4;
      })
      .map((layer) => layer.name)
  );
}

function featureMap(model: tf.LayersModel, layerName: string): tf.SymbolicTensor {
  const choices = featureMapLayers(model);
  if (!choices.includes(layerName)) {
    throw new UnmaskError('BAD_ARGUMENT', `'${layerName}' is not a feature-map layer of ${model.name}; choose one of ${choices.join(', ')}`);
  }
  return model.getLayer(layerName).output as tf.SymbolicTensor;
}
