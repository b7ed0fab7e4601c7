// Explains one image with a loaded detector: the prediction, the class scores and a 256 × 256 overlay PNG.
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import { CLASS_NAMES, decodeImage, FaceCropper, IMAGE_SIZE, normalise, type ClassName } from '../../data/index.js';
import { UnmaskError } from '../../engine/errors.js';
import { FaceFinder, faceCacheDir } from '../../data/face-cache.js';
import { partBoxesTensor, readsPartBoxes } from '../../models/xception-parts.js';
import { featureMapLayers, withBoundInputs } from './graph.js';
import { EXPLAIN_METHODS, explainMethods, isExplainMethod } from './methods.js';
import { upsampleMaps } from './cam.js';
import { denormalise, encodePng, overlay } from './visualise.js';

export const EXPLAIN_TARGETS = ['predicted', ...CLASS_NAMES] as const;
export type ExplainTarget = (typeof EXPLAIN_TARGETS)[number];

export interface ExplainImageRequest {
  /** A file path or the file's bytes (JPEG, PNG or WebP). */
  image: string | Buffer;
  method: string;
  /** CAM methods only; default `defaultLayer`. */
  layer?: string;
  target?: ExplainTarget;
  /** Explain the crop of the image's largest face (as a --crop-faces run sees it). */
  cropFaces?: boolean;
}

export interface ImageExplanation {
  method: string;
  layer: string | null;
  target: ClassName;
  prediction: ClassName;
  scores: { real: number; fake: number };
  logits: [number, number];
  /** 256 × 256 PNG: the image with the jet-coloured map blended over it. */
  png: Buffer;
  /** Time to compute the map (forward + backward), not counting decoding and PNG encoding. */
  ms: number;
  /** With face crops: whether a face was found (else the whole image was explained). */
  face?: boolean;
}

/**
 * Checks a method/layer choice against a detector: unknown methods and layers are BAD_ARGUMENT naming the
 * choices. Returns the CAM layer to use, or null for gradient methods.
 */
export function resolveExplainLayer(model: tf.LayersModel, method: string, layer: string | undefined, defaultLayer: string): string | null {
  if (!isExplainMethod(method)) throw new UnmaskError('BAD_ARGUMENT', `unknown method '${method}'; choose one of ${EXPLAIN_METHODS.join(', ')}`);
  if (explainMethods[method].kind !== 'cam') {
    if (layer != null) throw new UnmaskError('BAD_ARGUMENT', `a layer applies only to CAM methods, not ${method}`);
    return null;
  }
  const chosen = layer ?? defaultLayer;
  const choices = featureMapLayers(model);
  if (!choices.includes(chosen)) {
    // A handful of names, not a hundred: the first and last few, and the default (the app offers the rest in a menu).
    const shown = choices.length <= 8 ? choices.join(', ') : `${choices.slice(0, 3).join(', ')}, …, ${choices.slice(-3).join(', ')} (${choices.length} layers)`;
    throw new UnmaskError('BAD_ARGUMENT', `unknown layer '${chosen}'; this model's feature-map layers are ${shown}; its default is ${defaultLayer}`);
  }
  return chosen;
}

/**
 * Decodes the image to [1, 256, 256, 3] (normalised), resizes it to the model's input side when that differs,
 * explains `target` (default the predicted class) and blends the map, resized back to 256 × 256, over the image.
 * `model` must output logits [batch, 2] (real, fake).
 */
export async function explainImage(model: tf.LayersModel, request: ExplainImageRequest, defaultLayer: string): Promise<ImageExplanation> {
  if (model.outputs[0]!.shape[1] !== 2) throw new UnmaskError('BAD_ARGUMENT', 'the model is not a real/fake detector (its output is not [batch, 2])');
  const layer = resolveExplainLayer(model, request.method, request.layer, defaultLayer);
  const targetName = request.target ?? 'predicted';
  if (!(EXPLAIN_TARGETS as readonly string[]).includes(targetName)) {
    throw new UnmaskError('BAD_ARGUMENT', `target must be one of ${EXPLAIN_TARGETS.join(', ')}, got '${String(targetName)}'`);
  }
  const cropper = request.cropFaces ? new FaceCropper() : null;
  const bytes = cropper ? await cropper.decode(request.image) : await decodeImage(request.image);
  const input = normalise(bytes);
  const side = IMAGE_SIZE;
  const size = model.inputs[0]!.shape[1] ?? side;
  const x = tf.tidy(() => {
    const t = tf.tensor4d(input, [1, side, side, 3]);
    return size === side ? t : tf.image.resizeBilinear(t, [size, size], false);
  });
  const target = targetName === 'predicted' ? 'predicted' : CLASS_NAMES.indexOf(targetName);
  const started = performance.now();
  // A face-part detector also reads where the face's parts are: found once per image, bound while it is explained.
  const extras = readsPartBoxes(model) ? [partBoxesTensor([await new FaceFinder(faceCacheDir()).landmarks(bytes)])] : [];
  const explain = () => explainMethods[request.method as keyof typeof explainMethods].explain(model, x, { target, ...(layer ? { layer } : {}) });
  const result = extras.length ? withBoundInputs(model, extras, explain) : explain();
  tf.dispose(extras);
  const heatmap = size === side ? result.heatmap : upsampleMaps(result.heatmap, side, side);
  try {
    const map = (await heatmap.data()) as Float32Array;
    const ms = performance.now() - started;
    const logits = Array.from(await result.logits.data()) as [number, number];
    const probs = tf.tidy(() => Array.from(tf.softmax(result.logits).dataSync()));
    const png = await encodePng(overlay(denormalise(input), map), side, side);
    return {
      method: request.method,
      layer,
      target: CLASS_NAMES[result.targets[0]!]!,
      prediction: logits[1] > logits[0] ? 'fake' : 'real',
      scores: { real: probs[0]!, fake: probs[1]! },
      logits,
      png,
      ms,
      ...(cropper ? { face: cropper.faceless.size === 0 } : {}),
    };
  } finally {
    tf.dispose([x, result.heatmap, result.raw, result.logits, heatmap]);
  }
}
