// The explanation-method registry: one entry per method, read by the CLI for its choices and by callers to run one.
import type * as tf from '@tensorflow/tfjs';
import { UnmaskError } from '../../engine/errors.js';
import { computeCam, gradCam, gradCamPlusPlus, xGradCam, type CamWeighting } from './cam.js';
import type { TargetSpec } from './graph.js';
import { saliency, smoothGrad } from './saliency.js';
import { EXPLAIN_METHODS, isExplainMethod, type ExplainMethod } from './method-names.js';

export { EXPLAIN_METHODS, isExplainMethod, type ExplainMethod } from './method-names.js';

export interface ExplainOptions {
  /** Class explained per image (default 'predicted'). */
  target?: TargetSpec;
  /** CAM layer (CAM methods only; required for them). */
  layer?: string;
  /** SmoothGrad: noisy samples (default 25), noise level (default 0.15), seed (default 0). */
  samples?: number;
  noise?: number;
  seed?: number;
}

/** What every method returns; the caller owns the tensors. */
export interface Explanation {
  /** The map for display, normalised per image to [0, 1]: [batch, H, W]. */
  heatmap: tf.Tensor3D;
  /** Before normalisation: saliency magnitudes [batch, H, W], or the CAM before upsampling [batch, h, w]. */
  raw: tf.Tensor3D;
  /** Model output [batch, classes]. */
  logits: tf.Tensor2D;
  /** Class explained for each image. */
  targets: number[];
  /** The CAM layer, or null for gradient methods. */
  layer: string | null;
}

export interface ExplainMethodEntry {
  /** 'gradient': a map of ∂score/∂pixel; 'cam': weighted activations of a layer (takes `layer`). */
  kind: 'gradient' | 'cam';
  description: string;
  citation: string;
  /** x [batch, H, W, C] → an Explanation with maps [batch, H, W]. */
  explain(model: tf.LayersModel, x: tf.Tensor4D, options?: ExplainOptions): Explanation;
}

function camEntry(weighting: CamWeighting, description: string): ExplainMethodEntry {
  return {
    kind: 'cam',
    description,
    citation: weighting.citation,
    explain(model, x, options = {}) {
      if (!options.layer) throw new UnmaskError('BAD_ARGUMENT', `${weighting.name} needs a layer`);
      const r = computeCam(model, x, weighting, { layer: options.layer, target: options.target });
      r.weights.dispose();
      return { heatmap: r.cam, raw: r.lowRes, logits: r.logits, targets: r.targets, layer: options.layer };
    },
  };
}

export const explainMethods: Record<ExplainMethod, ExplainMethodEntry> = {
  saliency: {
    kind: 'gradient',
    description: 'max over channels of |∂ score / ∂ pixel|',
    citation: 'Simonyan et al. 2014, Deep Inside Convolutional Networks: Visualising Image Classification Models and Saliency Maps',
    explain(model, x, options = {}) {
      const r = saliency(model, x, options.target);
      return { heatmap: r.map, raw: r.raw, logits: r.logits, targets: r.targets, layer: null };
    },
  },
  smoothgrad: {
    kind: 'gradient',
    description: 'saliency averaged over noisy copies of the image',
    citation: 'Smilkov et al. 2017, SmoothGrad: removing noise by adding noise',
    explain(model, x, options = {}) {
      const r = smoothGrad(model, x, options);
      return { heatmap: r.map, raw: r.raw, logits: r.logits, targets: r.targets, layer: null };
    },
  },
  gradcam: camEntry(gradCam, 'layer activations weighted by their spatially averaged gradients'),
  'gradcam++': camEntry(gradCamPlusPlus, 'Grad-CAM with per-location gradient weights (higher-order terms)'),
  xgradcam: camEntry(xGradCam, 'layer activations weighted by activation-normalised gradients'),
};

/** Runs method `method` on x [batch, H, W, C]; unknown names are BAD_ARGUMENT listing the choices. */
export function explain(method: string, model: tf.LayersModel, x: tf.Tensor4D, options: ExplainOptions = {}): Explanation {
  if (!isExplainMethod(method)) throw new UnmaskError('BAD_ARGUMENT', `unknown method '${method}'; choose one of ${EXPLAIN_METHODS.join(', ')}`);
  return explainMethods[method].explain(model, x, options);
}
