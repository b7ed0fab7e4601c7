// Class activation maps: one Grad-CAM pipeline, with Grad-CAM, Grad-CAM++ and XGrad-CAM channel weightings.
import * as tf from '@tensorflow/tfjs';
import { layerGradients, type TargetSpec } from './graph.js';

/**
 * How a CAM method turns a layer's activations and gradients into one weight per channel; the only part that
 * differs between CAM methods (as in pytorch-grad-cam, where each method overrides `get_cam_weights`).
 */
export interface CamWeighting {
  name: string;
  citation: string;
  /** activations A and gradients G, both [batch, h, w, channels] → weights [batch, channels]. */
  weights(activations: tf.Tensor4D, grads: tf.Tensor4D): tf.Tensor2D;
}

/** Grad-CAM (Selvaraju et al. 2017): w_k = mean over (i, j) of ∂y/∂A_k[i, j]. */
export const gradCam: CamWeighting = {
  name: 'Grad-CAM',
  citation: 'Selvaraju et al. 2017, Grad-CAM: Visual Explanations from Deep Networks via Gradient-based Localization',
  weights: (_activations, grads) => tf.tidy(() => tf.mean(grads, [1, 2])),
};

/**
 * Grad-CAM++ (Chattopadhay et al. 2018), in pytorch-grad-cam's closed form, which takes the score as exp(y) so
 * that higher derivatives are powers of the first: α_k[i,j] = G² / (2G² + Σ_ij A_k · G³ + 1e-6), set to 0
 * where G = 0; w_k = Σ_ij α_k[i,j] · ReLU(G_k[i,j]).
 */
export const gradCamPlusPlus: CamWeighting = {
  name: 'Grad-CAM++',
  citation: 'Chattopadhay et al. 2018, Grad-CAM++: Improved Visual Explanations for Deep Convolutional Networks',
  weights: (activations, grads) =>
    tf.tidy(() => {
      const g2 = tf.square(grads);
      const g3 = tf.mul(g2, grads);
      const sumA = tf.sum(activations, [1, 2], true);
      const alpha = tf.div(g2, tf.add(tf.add(tf.mul(g2, 2), tf.mul(sumA, g3)), 1e-6));
      const alphaNonZero = tf.where(tf.notEqual(grads, 0), alpha, tf.zerosLike(alpha));
      return tf.sum(tf.mul(alphaNonZero, tf.relu(grads)), [1, 2]);
    }),
};

/** XGrad-CAM (Fu et al. 2020): w_k = Σ_ij G_k[i,j] · A_k[i,j] / (Σ_ij A_k[i,j] + 1e-7). */
export const xGradCam: CamWeighting = {
  name: 'XGrad-CAM',
  citation: 'Fu et al. 2020, Axiom-based Grad-CAM: Towards Accurate Visualization and Explanation of CNNs',
  weights: (activations, grads) => tf.tidy(() => tf.div(tf.sum(tf.mul(grads, activations), [1, 2]), tf.add(tf.sum(activations, [1, 2]), 1e-7))),
};

/**
 * Rescales each map of maps [batch, H, W] to [0, 1]: (m − min) / (max − min) per image; a constant map (an
 * all-zero CAM, say) becomes all zeros. Returns [batch, H, W].
 */
export function normaliseMaps(maps: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const min = tf.min(maps, [1, 2], true);
    const range = tf.sub(tf.max(maps, [1, 2], true), min);
    const safe = tf.where(tf.greater(range, 0), range, tf.onesLike(range));
    return tf.div(tf.sub(maps, min), safe) as tf.Tensor3D;
  });
}

/**
 * Bilinear resize of maps [batch, h, w] to [batch, height, width]: alignCorners false with half-pixel centres
 * (source coordinate (i + 0.5) · h / height − 0.5, clamped at the edges), as cv2.resize in pytorch-grad-cam.
 */
export function upsampleMaps(maps: tf.Tensor3D, height: number, width: number): tf.Tensor3D {
  return tf.tidy(() => tf.squeeze(tf.image.resizeBilinear(tf.expandDims(maps, -1) as tf.Tensor4D, [height, width], false, true), [3]) as tf.Tensor3D);
}

export interface CamOptions {
  /** Layer whose activations are weighted; a 4-D feature-map layer of the model. */
  layer: string;
  /** Class explained per image (default 'predicted'). */
  target?: TargetSpec;
}

export interface CamResult {
  /** ReLU(Σ_k w_k A_k) at the layer's resolution, before upsampling or normalisation: [batch, h, w]. */
  lowRes: tf.Tensor3D;
  /** lowRes upsampled bilinearly to the input size and normalised per image to [0, 1]: [batch, H, W]. */
  cam: tf.Tensor3D;
  /** Channel weights [batch, channels]. */
  weights: tf.Tensor2D;
  /** Model output [batch, classes]. */
  logits: tf.Tensor2D;
  /** Class explained for each image. */
  targets: number[];
}

/**
 * The CAM pipeline shared by every CAM method, for x [batch, H, W, C]: layer activations A and gradients G
 * ({@link layerGradients}, one forward and one backward pass), channel weights w = method.weights(A, G),
 * ReLU(Σ_k w_k A_k), bilinear upsampling to H × W, normalisation to [0, 1] per image. The caller owns the
 * returned tensors.
 */
export function computeCam(model: tf.LayersModel, x: tf.Tensor4D, method: CamWeighting, options: CamOptions): CamResult {
  const [, height, width] = x.shape;
  let targets: number[] = [];
  const out = tf.tidy(() => {
    const g = layerGradients(model, x, options.layer, options.target ?? 'predicted');
    targets = g.targets;
    const weights = method.weights(g.activations, g.grads);
    const weighted = tf.mul(g.activations, tf.reshape(weights, [weights.shape[0], 1, 1, weights.shape[1]]));
    const lowRes = tf.relu(tf.sum(weighted, 3)) as tf.Tensor3D;
    const cam = normaliseMaps(upsampleMaps(lowRes, height, width));
    return { lowRes, cam, weights, logits: g.logits };
  });
  return { ...out, targets };
}
