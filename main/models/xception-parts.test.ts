// XceptionParts: parameter count, ImageNet weights in both branches, part boxes as its second input, CAM layers.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { featureMapLayers } from '../analysis/explain/graph.js';
import { PART_BOXES_VERSION, partBoxes } from '../data/face-parts.js';
import { faceDetectorVersion } from '../data/faces.js';
import { repoRoot } from '../data/fixtures.js';
import { initEngine } from '../engine/select.js';
import { backboneHash } from '../train/feature-cache.js';
import { cachedTrunk } from '../train/frozen.js';
import { frontierTensors, splitModel, trunkOutputs } from '../train/model-split.js';
import { loadXceptionPartsImageNet } from './pretrained/xception-weights.js';
import { backboneLayerPairs, createXceptionParts, detectorInputs, PARTS_FEATURE_LAYER, readsPartBoxes } from './xception-parts.js';

const XCEPTION_H5 = path.resolve(repoRoot, '../shared/weights/keras_xception_imagenet_notop/xception_weights_tf_dim_ordering_tf_kernels_notop.h5');
const trainable = (m: tf.LayersModel) => m.trainableWeights.reduce((s, w) => s + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);

describe('XceptionParts', () => {
  before(async () => {
    await initEngine({ requested: 'wasm' });
  });

  it('has two Xception backbones to block 12 and an 83,232 → 2 linear head: 28,203,602 trainable parameters', () => {
    const m = createXceptionParts();
    try {
      const backbone = 20_806_952 - 2_039_584 - 4_748_800; // Keras's no-top Xception without blocks 13 and 14
      assert.equal(trainable(m), 2 * backbone + 83_232 * 2 + 2);
      assert.deepEqual(m.getLayer(PARTS_FEATURE_LAYER).outputShape, [null, 3 * 16 * 728 + 6 * 2 * (128 + 256 + 5 * 728)]);
      assert.deepEqual(m.getLayer('part_crops').outputShape, [null, 96, 96, 3]);
      assert.ok(readsPartBoxes(m));
      // Grad-CAM reads the whole image's maps, never a part crop's.
      const cams = featureMapLayers(m);
      assert.ok(cams.includes('add_10') && cams.includes('block1_conv1') && !cams.some((n) => n.startsWith('part_')));
    } finally {
      m.dispose();
    }
  });

  it(
    'loads Keras’s ImageNet weights into the whole-image branch and the same values into every part_ layer',
    { skip: !fs.existsSync(XCEPTION_H5) && `no ${XCEPTION_H5}` },
    async () => {
      const m = createXceptionParts({ seed: 3 });
      try {
        const result = await loadXceptionPartsImageNet(m, { weights: XCEPTION_H5 });
        const pairs = backboneLayerPairs(m);
        // Block 1: 2 convolutions + 2 batch norms; blocks 2–4: 2 separable + 1 shortcut convolution, 3 batch norms each; blocks 5–12: 3 + 3 each.
        assert.equal(pairs.length, 4 + 3 * 6 + 8 * 6);
        assert.equal(result.layers, 2 * pairs.length);
        for (const { whole, part } of pairs) {
          const [a, b] = [whole.getWeights(), part.getWeights()];
          a.forEach((w, i) =>
            assert.ok(
              tf.tidy(() => tf.equal(w, b[i]!).all().dataSync()[0] === 1),
              `${part.name} weight ${i}`,
            ),
          );
        }
        const kernel = m.getLayer('block1_conv1').getWeights()[0]!;
        assert.ok(tf.tidy(() => tf.abs(kernel).max().dataSync()[0]!) > 0.1, 'ImageNet values, not an initialisation');
      } finally {
        m.dispose();
      }
    },
  );

  it('gives the same logits from cached trunk features as from a full forward pass with the part boxes', () => {
    const m = createXceptionParts({ seed: 1, widthDivisor: 16 });
    try {
      const x = tf.randomNormal([2, 256, 256, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
      const faces = [null, Array.from({ length: 136 }, (_, k) => (k % 2 === 0 ? 70 + (k % 17) * 7 : 90 + (k % 23) * 5))];
      const full = m.predict(detectorInputs(m, x, faces)) as tf.Tensor2D;
      const split = splitModel(m, PARTS_FEATURE_LAYER);
      const cut = trunkOutputs(split.trunk, detectorInputs(m, x, faces) as tf.Tensor[]);
      const viaCache = split.part.predict(frontierTensors(split, 2, cut.dataSync() as Float32Array)) as tf.Tensor2D;
      const [a, b] = [full.dataSync(), viaCache.dataSync()];
      a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-4, `logit ${i}: ${v} vs ${b[i]}`));
      // The boxes matter: the template's boxes for the second image give other logits.
      const other = m.predict(detectorInputs(m, x, [null, null])) as tf.Tensor2D;
      assert.ok(Math.abs(other.dataSync()[2]! - a[2]!) > 1e-6);
      assert.throws(() => detectorInputs(m, x, [null]), /landmarks of each of the 2 images/);
      assert.deepEqual(Array.from(partBoxes(null)).length, 18);
      split.dispose();
    } finally {
      m.dispose();
    }
  });

  it('keys its cached features by the face detector and the part-box geometry too, which its crops depend on', () => {
    const m = createXceptionParts({ seed: 1, widthDivisor: 16 });
    const split = splitModel(m, PARTS_FEATURE_LAYER);
    try {
      const { cache } = cachedTrunk(m, split, PARTS_FEATURE_LAYER, path.join(repoRoot, 'no-such-cache-root'), 8, undefined, undefined, { keep: false });
      const layers = m.layers.filter((l) => split.frozen.has(l.name) && l.name !== PARTS_FEATURE_LAYER);
      assert.equal(cache.weightsHash, backboneHash(m.name, PARTS_FEATURE_LAYER, layers, `${faceDetectorVersion()}\n${PART_BOXES_VERSION}`));
      assert.notEqual(cache.weightsHash, backboneHash(m.name, PARTS_FEATURE_LAYER, layers));
    } finally {
      split.dispose();
      m.dispose();
    }
  });
});
