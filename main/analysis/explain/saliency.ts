// Input-gradient saliency maps: vanilla gradients and SmoothGrad.
import * as tf from '@tensorflow/tfjs';
import { UnmaskError } from '../../engine/errors.js';
import { normaliseMaps } from './cam.js';
import { forward, inputGradients, resolveTargets, type TargetSpec } from './graph.js';

export interface SaliencyResult {
  /** max over channels of |∂ score / ∂ x|: [batch, H, W]. */
  raw: tf.Tensor3D;
  /** raw normalised per image to [0, 1] for display: [batch, H, W]. */
  map: tf.Tensor3D;
  /** Model output for the clean x: [batch, classes]. */
  logits: tf.Tensor2D;
  targets: number[];
}

/**
 * Gradient saliency (Simonyan et al. 2014, Deep Inside Convolutional Networks): for x [batch, H, W, C],
 * raw[b, i, j] = max_c |∂ logits[b, target_b] / ∂ x[b, i, j, c]| ([batch, H, W]); `map` is raw rescaled per
 * image to [0, 1]. The caller owns the returned tensors.
 */
export function saliency(model: tf.LayersModel, x: tf.Tensor4D, target: TargetSpec = 'predicted'): SaliencyResult {
  let targets: number[] = [];
  const out = tf.tidy(() => {
    const g = inputGradients(model, x, target);
    targets = g.targets;
    const raw = tf.max(tf.abs(g.grad), 3) as tf.Tensor3D;
    return { raw, map: normaliseMaps(raw), logits: g.logits };
  });
  return { ...out, targets };
}

export interface SmoothGradOptions {
  /** Class explained per image (default 'predicted', from the clean image). */
  target?: TargetSpec;
  /** Number of noisy copies averaged (default 25). */
  samples?: number;
  /** Noise level: σ = noise · (max(x_b) − min(x_b)) per image (default 0.15). */
  noise?: number;
  /** Seed of the noise (default 0); the same seed gives the same map. */
  seed?: number;
}

/**
 * SmoothGrad (Smilkov et al. 2017): the mean over `samples` draws of the saliency of x + N(0, σ²), with
 * σ = noise · (max − min) of each image, for x [batch, H, W, C]. The target class of each image is fixed
 * from the clean image (its prediction, by default) so every sample explains the same class. Returns raw
 * [batch, H, W], map (raw normalised per image to [0, 1]) and the clean image's logits [batch, classes].
 */
export function smoothGrad(model: tf.LayersModel, x: tf.Tensor4D, options: SmoothGradOptions = {}): SaliencyResult {
  const samples = options.samples ?? 25;
  const noise = options.noise ?? 0.15;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(samples) || samples < 1) throw new UnmaskError('BAD_ARGUMENT', `samples must be an integer ≥ 1, got ${samples}`);
  if (!(noise >= 0)) throw new UnmaskError('BAD_ARGUMENT', `noise must be ≥ 0, got ${noise}`);
  let targets: number[] = [];
  const out = tf.tidy(() => {
    const logits = forward(model, x);
    targets = resolveTargets(logits, options.target ?? 'predicted');
    const sigma = tf.mul(tf.sub(tf.max(x, [1, 2, 3], true), tf.min(x, [1, 2, 3], true)), noise);
    let sum = tf.zeros([x.shape[0], x.shape[1], x.shape[2]]) as tf.Tensor3D;
    for (let s = 0; s < samples; s++) {
      const next = tf.tidy(() => {
        const noisy = tf.add(x, tf.mul(tf.randomNormal(x.shape, 0, 1, 'float32', seed * 1_000_003 + s), sigma)) as tf.Tensor4D;
        const g = inputGradients(model, noisy, targets);
        return tf.add(sum, tf.max(tf.abs(g.grad), 3)) as tf.Tensor3D;
      });
      sum.dispose();
      sum = next;
    }
    const raw = tf.div(sum, samples) as tf.Tensor3D;
    return { raw, map: normaliseMaps(raw), logits };
  });
  return { ...out, targets };
}
