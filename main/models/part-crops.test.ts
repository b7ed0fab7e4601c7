// PartCrops against a direct bilinear reference, mirrored crops, and its gradient against finite differences.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../engine/select.js';
import { GroupParts, PartCrops } from './part-crops.js';

/** Bilinear sample of image [h, w, c] at (x, y) in pixel-index coordinates, edge pixels repeated. */
function sample(img: Float32Array, h: number, w: number, c: number, x: number, y: number, ch: number): number {
  const at = (yy: number, xx: number) => img[(Math.min(h - 1, Math.max(0, yy)) * w + Math.min(w - 1, Math.max(0, xx))) * c + ch]!;
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  return (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
}

function referenceCrop(img: Float32Array, h: number, w: number, c: number, box: number[], size: number, mirrored: boolean): Float32Array {
  const [x0, y0, side] = box as [number, number, number];
  const out = new Float32Array(size * size * c);
  for (let s = 0; s < size; s++) {
    for (let t = 0; t < size; t++) {
      const tt = mirrored ? size - 1 - t : t;
      const x = x0 + ((tt + 0.5) * side) / size - 0.5;
      const y = y0 + ((s + 0.5) * side) / size - 0.5;
      for (let k = 0; k < c; k++) out[(s * size + t) * c + k] = sample(img, h, w, c, x, y, k);
    }
  }
  return out;
}

describe('PartCrops', () => {
  before(async () => {
    await initEngine({ requested: 'cpu' });
  });

  it('resamples each box like bilinear interpolation with edge pixels repeated, mirrored where asked, image-major', () => {
    const [b, h, w, c, S] = [2, 12, 10, 3, 5];
    const images = tf.randomUniform([b, h, w, c], -1, 1, 'float32', 3);
    // In-bounds, partly outside, and a zoomed-in sub-pixel box.
    const boxes = [
      [1.5, 2, 6],
      [-2, 7, 6.5],
      [4.25, 3.75, 2.5],
      [0, 0, 10],
      [6, -1, 5],
      [2, 2, 3],
    ];
    const mirrored = [false, true, false];
    const layer = new PartCrops({ name: 'crops', size: S, mirrored });
    const out = layer.apply([images, tf.tensor3d(boxes.flat(), [b, 3, 3])]) as tf.Tensor4D;
    assert.deepEqual(out.shape, [b * 3, S, S, c]);
    const img = images.dataSync() as Float32Array;
    const got = out.dataSync() as Float32Array;
    let worst = 0;
    for (let i = 0; i < b; i++) {
      for (let p = 0; p < 3; p++) {
        const ref = referenceCrop(img.subarray(i * h * w * c, (i + 1) * h * w * c), h, w, c, boxes[i * 3 + p]!, S, mirrored[p]!);
        const crop = got.subarray((i * 3 + p) * S * S * c, (i * 3 + p + 1) * S * S * c);
        ref.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - crop[k]!))));
      }
    }
    assert.ok(worst < 1e-5, `worst |crop − reference| ${worst}`);
    tf.dispose([images, out]);
  });

  it('passes gradients to every source pixel: ∂Σ(crop·weights)/∂image matches central finite differences', () => {
    const [h, w, c, S] = [6, 7, 2, 4];
    const image = tf.randomUniform([1, h, w, c], -1, 1, 'float32', 5);
    const boxes = tf.tensor3d([0.7, 1.2, 4.6, 2.1, 0.4, 3.3], [1, 2, 3]);
    const weights = tf.randomUniform([2, S, S, c], -1, 1, 'float32', 6);
    const layer = new PartCrops({ name: 'crops_g', size: S, mirrored: [false, true] });
    const f = (x: tf.Tensor) => tf.sum(tf.mul(layer.apply([x, boxes]) as tf.Tensor, weights));
    const grad = tf.grad(f)(image).dataSync() as Float32Array;
    const base = image.dataSync() as Float32Array;
    const eps = 1e-2;
    let worst = 0;
    let scale = 0;
    for (let k = 0; k < base.length; k++) {
      const plus = Float32Array.from(base);
      const minus = Float32Array.from(base);
      plus[k]! += eps;
      minus[k]! -= eps;
      const fd = (f(tf.tensor4d(plus, [1, h, w, c])).dataSync()[0]! - f(tf.tensor4d(minus, [1, h, w, c])).dataSync()[0]!) / (2 * eps);
      worst = Math.max(worst, Math.abs(fd - grad[k]!));
      scale = Math.max(scale, Math.abs(fd));
    }
    // The crop is linear in the image, so central differences are exact up to float32 rounding.
    assert.ok(scale > 0.1 && worst < 1e-3 * scale, `worst |grad − fd| ${worst} (largest ${scale})`);
  });

  it('GroupParts lays each image’s part rows side by side', () => {
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [6, 2]);
    const y = new GroupParts({ name: 'g', parts: 3 }).apply(x) as tf.Tensor2D;
    assert.deepEqual(y.shape, [2, 6]);
    assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });
});
