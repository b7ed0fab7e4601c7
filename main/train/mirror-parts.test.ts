// XceptionParts' trunk on image + mirror image pairs: the shared eye and cheek crops give the features of a full pass.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { partBoxes, transformLandmarks } from '../data/face-parts.js';
import { createXceptionParts, PARTS_FEATURE_LAYER } from '../models/xception-parts.js';
import { createXceptionStats, STATS_FEATURE_LAYER } from '../models/xception-stats.js';
import { mirrorSharingTrunk } from './mirror-parts.js';
import { splitModel, trunkOutputs } from './model-split.js';

/** An asymmetric face: its left and right halves differ, so a wrong pairing of parts shows. */
const FACE = Array.from({ length: 136 }, (_, k) => (k % 2 === 0 ? 70 + ((k * 7) % 17) * 7 : 90 + ((k * 5) % 23) * 5));

describe('mirror-sharing trunk', () => {
  it('gives the trunk features of [image, mirror image] pairs with 4 of each pair’s 12 part crops reused', () => {
    const model = createXceptionParts({ seed: 1, widthDivisor: 16 });
    const split = splitModel(model, PARTS_FEATURE_LAYER);
    try {
      const sharing = mirrorSharingTrunk(split.trunk);
      assert.ok(sharing);
      assert.equal(mirrorSharingTrunk(split.trunk), sharing, 'built once per trunk');
      tf.tidy(() => {
        const images = tf.randomNormal([2, 256, 256, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
        // Views: image 0, its mirror, image 1 (no face found: the template's boxes), its mirror.
        const views = tf.stack([images.gather(0), tf.reverse(images.gather(0), 1), images.gather(1), tf.reverse(images.gather(1), 1)]) as tf.Tensor4D;
        const flipped = transformLandmarks(FACE, { dx: 0, dy: 0, flip: true });
        const boxes = tf.tensor3d([...partBoxes(FACE), ...partBoxes(flipped), ...partBoxes(null), ...partBoxes(null)], [4, 6, 3]);
        const full = trunkOutputs(split.trunk, [views, boxes]).arraySync();
        const scale = Math.max(...full.flat().map(Math.abs));

        const { features, crops } = sharing.features(views, boxes, [-1, 0, -1, 2]);
        assert.equal(crops, 16, '12 crops of the plain views, the nose and mouth of each mirror view');
        const shared = features.arraySync();
        assert.deepEqual([shared.length, shared[0]!.length], [4, full[0]!.length]);
        let worst = 0;
        full.forEach((row, k) => row.forEach((v, d) => (worst = Math.max(worst, Math.abs(v - shared[k]![d]!)))));
        assert.ok(worst < 1e-4 * scale, `largest difference ${worst} of features up to ${scale}`);

        // Pairing a mirror view with another image's plain view gives other features: the reuse is real.
        const wrong = sharing.features(views, boxes, [-1, 2, -1, 0]).features.arraySync();
        const gap = Math.max(...full[1]!.map((v, d) => Math.abs(v - wrong[1]![d]!)));
        assert.ok(gap > 1e-2 * scale, `a wrong pairing changes the mirror view's features (${gap})`);
        // No pairs: every crop is computed, as the plain trunk.
        assert.equal(sharing.features(views, boxes, [-1, -1, -1, -1]).crops, 24);
      });
    } finally {
      split.dispose();
      model.dispose();
    }
  });

  it('is null for another detector’s trunk', () => {
    const model = createXceptionStats({ seed: 1, widthDivisor: 16 });
    const split = splitModel(model, STATS_FEATURE_LAYER);
    try {
      assert.equal(mirrorSharingTrunk(split.trunk), null);
    } finally {
      split.dispose();
      model.dispose();
    }
  });
});
