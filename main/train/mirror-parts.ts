// XceptionParts' frozen trunk on an image and its mirror image at once: the mirror's eye and cheek crops are the image's own.
import * as tf from '@tensorflow/tfjs';
import { FACE_PARTS, PART_MIRRORED } from '../data/face-parts.js';
import { PART_PREFIX, PARTS_FEATURE_LAYER } from '../models/xception-parts.js';
import { ancestorsOf } from './model-split.js';

/**
 * For each part, the part of the plain view whose crop the mirror view's crop equals: left and right swap (the
 * mirror's left eye is the image's right eye, which PartCrops mirrors); the nose and mouth have no partner.
 */
const MIRROR_PART: readonly number[] = FACE_PARTS.map((part, k) => {
  const partner = part.startsWith('left_') ? part.replace('left_', 'right_') : part.replace('right_', 'left_');
  const j = FACE_PARTS.indexOf(partner as (typeof FACE_PARTS)[number]);
  return j >= 0 && PART_MIRRORED[j] !== PART_MIRRORED[k] ? j : k;
});

export interface MirrorSharingTrunk {
  /**
   * The trunk's features [m, dim] of views (images [m, 256, 256, 3], part boxes [m, 6, 3]), as `trunk.predict`
   * gives them; `plainOf[k]` is the slot of view k's plain view when k is its mirror image ('flip'), else −1.
   * Returns the features and how many part crops went through the part branch.
   */
  features(images: tf.Tensor4D, boxes: tf.Tensor3D, plainOf: readonly number[]): { features: tf.Tensor2D; crops: number };
}

/**
 * The part-crop rows (view k, part q at k·P + q) that go through the part branch, and for every row the position
 * of its features among them: a mirror view's side parts point at its plain view's partner parts.
 */
function cropRows(plainOf: readonly number[], m: number, P: number): { computed: number[]; at: Int32Array } {
  const computed: number[] = [];
  const at = new Int32Array(m * P);
  for (let k = 0; k < m; k++) {
    for (let q = 0; q < P; q++) {
      const p = plainOf[k] ?? -1;
      const shared = p >= 0 && plainOf[p] === -1 && MIRROR_PART[q] !== q;
      if (shared) at[k * P + q] = -1 - (p * P + MIRROR_PART[q]!);
      else at[k * P + q] = computed.push(k * P + q) - 1;
    }
  }
  // A plain view's rows are all computed, so each shared row points at a computed one.
  at.forEach((v, r) => {
    if (v < 0) at[r] = at[-1 - v]!;
  });
  return { computed, at };
}

const inbound = (layer: tf.layers.Layer): tf.layers.Layer[] => layer.inboundNodes[0]?.inboundLayers ?? [];

/**
 * XceptionParts' trunk (image and part boxes → `parts_features`) run as its two branches, so that a mirror view
 * whose plain view is in the same batch reuses the plain view's eye and cheek features: a flip maps the box of the
 * right eye onto the mirror's left-eye box and the bilinear sampling positions onto each other, so the two crops
 * are the same pixels (to float rounding). That skips 4 of the 12 part crops of each pair, a sixth of the pair's
 * compute. Null for any other trunk.
 */
export function mirrorSharingTrunk(trunk: tf.LayersModel): MirrorSharingTrunk | null {
  // Built once per trunk: each build applies the part branch's layers once more.
  if (!built.has(trunk)) built.set(trunk, build(trunk));
  return built.get(trunk)!;
}

const built = new WeakMap<tf.LayersModel, MirrorSharingTrunk | null>();

function build(trunk: tf.LayersModel): MirrorSharingTrunk | null {
  const output = trunk.outputs.length === 1 ? trunk.outputs[0]!.sourceLayer : null;
  if (output?.name !== PARTS_FEATURE_LAYER) return null;
  const crops = trunk.getLayer('part_crops');
  const stats = trunk.getLayer(`${PART_PREFIX}stats`);
  const grouped = trunk.getLayer(`${PART_PREFIX}grouped`);
  if (inbound(grouped)[0] !== stats) return null;
  const concatenated = inbound(output);
  const wholeImage = concatenated.filter((l) => l !== grouped);

  // Images and boxes → the whole-image features and the part crops; crops → per-crop statistics (the part branch's
  // layers applied once more to a new input: they keep their weights).
  const front = tf.model({
    inputs: trunk.inputs,
    outputs: [...wholeImage.map((l) => l.getOutputAt(0) as tf.SymbolicTensor), crops.getOutputAt(0) as tf.SymbolicTensor],
    name: `${trunk.name}_front`,
  });
  const cropInput = tf.input({ shape: (crops.outputShape as number[]).slice(1), name: `${trunk.name}_crops` });
  const before = ancestorsOf(crops);
  const branch = ancestorsOf(stats);
  const mapped = new Map<string, tf.SymbolicTensor>([[crops.name, cropInput]]);
  for (const layer of trunk.layers) {
    if (!branch.has(layer.name) || before.has(layer.name)) continue;
    const args = inbound(layer).map((l) => mapped.get(l.name)!);
    mapped.set(layer.name, layer.apply(args.length === 1 ? args[0]! : args) as tf.SymbolicTensor);
  }
  const partBranch = tf.model({ inputs: cropInput, outputs: mapped.get(stats.name)!, name: `${trunk.name}_part_branch` });
  const P = FACE_PARTS.length;

  return {
    features(images, boxes, plainOf) {
      const m = images.shape[0];
      const { computed, at } = cropRows(plainOf, m, P);
      const features = tf.tidy(() => {
        const outs = front.predict([images, boxes]) as tf.Tensor[];
        const whole = outs.slice(0, -1).map((t) => tf.reshape(t, [m, -1]));
        const partStats = partBranch.predict(tf.gather(outs.at(-1)!, computed)) as tf.Tensor2D;
        const perView = tf.reshape(tf.gather(partStats, Array.from(at)), [m, -1]);
        return tf.concat(
          concatenated.map((l) => (l === grouped ? perView : whole[wholeImage.indexOf(l)]!)),
          1,
        ) as tf.Tensor2D;
      });
      return { features, crops: computed.length };
    },
  };
}
