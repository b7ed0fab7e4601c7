// The deepfake augmentation: identity and flip exactly, the crop's geometry against its landmarks, colour, blur, JPEG.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeImage } from './decode.js';
import { deepfakeAugment, deepfakeGeometry, drawDeepfakeAugment, jpegRoundTrip, type DeepfakeAugmentParams } from './deepfake-augment.js';
import { transformLandmarks } from './face-parts.js';
import { realImages } from './fixtures.js';
import { rngFrom } from './rng.js';
import { drawTrainAugment } from './train-augment.js';
import { drawAugment } from './transforms.js';
import { IMAGE_SIZE, IMAGE_VALUES } from './types.js';

const S = IMAGE_SIZE;
const NONE: DeepfakeAugmentParams = { crop: { x0: 0, y0: 0, side: S }, flip: false, brightness: 1, contrast: 1, saturation: 1, blur: 0, jpegQuality: 0 };

/** A seeded noise image. */
function noise(seed: number): Uint8Array {
  const rng = rngFrom(seed);
  return Uint8Array.from({ length: IMAGE_VALUES }, () => Math.floor(rng() * 256));
}

const meanAbsDiff = (a: Uint8Array, b: Uint8Array): number => a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;

describe('deepfake augmentation', () => {
  it('leaves the image unchanged with every step off, and mirrors it exactly with the flip alone', () => {
    const src = noise(1);
    assert.deepEqual(deepfakeAugment(src, NONE), src);
    const flipped = deepfakeAugment(src, { ...NONE, flip: true });
    for (const [y, x] of [
      [0, 0],
      [17, 200],
      [255, 255],
    ] as const) {
      for (let c = 0; c < 3; c++) assert.equal(flipped[(y * S + x) * 3 + c], src[(y * S + (S - 1 - x)) * 3 + c]);
    }
  });

  it('moves a pixel where its geometry moves the landmarks (resized crop, then flip)', () => {
    // A bright 3×3 square centred on source pixel (150, 90): its centre is at (150.5, 90.5) in landmark coordinates.
    const src = new Uint8Array(IMAGE_VALUES);
    for (let y = 89; y <= 91; y++) for (let x = 149; x <= 151; x++) src.fill(255, (y * S + x) * 3, (y * S + x) * 3 + 3);
    for (const p of [
      { ...NONE, crop: { x0: 20, y0: 9, side: 230 } },
      { ...NONE, crop: { x0: 3, y0: 25, side: 231 }, flip: true },
    ]) {
      const out = deepfakeAugment(src, p);
      let [sx, sy, sw] = [0, 0, 0];
      for (let y = 0; y < S; y++) {
        for (let x = 0; x < S; x++) {
          const w = out[(y * S + x) * 3]!;
          [sx, sy, sw] = [sx + w * (x + 0.5), sy + w * (y + 0.5), sw + w];
        }
      }
      // All 68 landmarks on the square's centre, so the mirror's landmark permutation keeps it there.
      const [lx, ly] = transformLandmarks(Array.from({ length: 68 }, () => [150.5, 90.5]).flat(), deepfakeGeometry(p));
      assert.ok(Math.abs(sx / sw - lx!) < 0.5 && Math.abs(sy / sw - ly!) < 0.5, `centroid (${sx / sw}, ${sy / sw}) vs landmark (${lx}, ${ly})`);
    }
  });

  it('jitters colour: brightness scales, saturation 0 leaves grey, contrast 0 leaves the mean grey', () => {
    const src = noise(2);
    const grey = (img: Uint8Array, i: number) => 0.299 * img[i]! + 0.587 * img[i + 1]! + 0.114 * img[i + 2]!;
    const brighter = deepfakeAugment(src, { ...NONE, brightness: 1.1 });
    for (const i of [0, 3000, 60_000]) assert.equal(brighter[i], Math.min(255, Math.round(src[i]! * 1.1)));
    const flat = deepfakeAugment(src, { ...NONE, saturation: 0 });
    for (const i of [0, 3000, 60_000]) {
      assert.ok(Math.abs(flat[i]! - grey(src, i)) <= 0.5 && flat[i] === flat[i + 1] && flat[i] === flat[i + 2]);
    }
    const mean = src.reduce((s, _, i) => (i % 3 === 0 ? s + grey(src, i) : s), 0) / (src.length / 3);
    assert.ok(deepfakeAugment(src, { ...NONE, contrast: 0 }).every((v) => Math.abs(v - mean) <= 0.5));
  });

  it('blurs: a checkerboard loses most of its contrast at σ 1.5', () => {
    const board = Uint8Array.from({ length: IMAGE_VALUES }, (_, i) => (((Math.floor(i / 3) % S) + Math.floor(i / 3 / S)) % 2) * 255);
    const blurred = deepfakeAugment(board, { ...NONE, blur: 1.5 });
    const spread = (img: Uint8Array) => Math.max(...img.subarray(30_000, 31_000)) - Math.min(...img.subarray(30_000, 31_000));
    assert.equal(spread(board), 255);
    assert.ok(spread(blurred) < 30, `spread ${spread(blurred)}`);
  });

  it('re-compresses as JPEG: quality 40 changes a face photo more than quality 95, both stay close to it', async () => {
    const [file] = await realImages('train', 'real', 1);
    const photo = await decodeImage(file!);
    const [low, high] = [meanAbsDiff(jpegRoundTrip(photo, 40), photo), meanAbsDiff(jpegRoundTrip(photo, 95), photo)];
    assert.ok(high > 0 && high < low && low < 8, `quality 40: ${low}, quality 95: ${high}`);
    assert.deepEqual(deepfakeAugment(photo, { ...NONE, jpegQuality: 40 }), jpegRoundTrip(photo, 40));
  });

  it('draws within its ranges, every step both on and off, reproducibly', () => {
    const draws = Array.from({ length: 400 }, (_, k) => drawDeepfakeAugment(rngFrom(9, k)));
    assert.deepEqual(drawDeepfakeAugment(rngFrom(9, 3)), draws[3]);
    for (const p of draws) {
      assert.ok(p.crop.side >= Math.round(S * Math.sqrt(0.8)) && p.crop.side <= S);
      assert.ok(p.crop.x0 >= 0 && p.crop.x0 + p.crop.side <= S && p.crop.y0 >= 0 && p.crop.y0 + p.crop.side <= S);
      for (const f of [p.brightness, p.contrast, p.saturation]) assert.ok(f >= 0.9 && f <= 1.1);
      assert.ok(p.blur === 0 || (p.blur >= 0.3 && p.blur <= 1.5));
      assert.ok(p.jpegQuality === 0 || (p.jpegQuality >= 40 && p.jpegQuality <= 100));
    }
    for (const on of [(p: DeepfakeAugmentParams) => p.flip, (p: DeepfakeAugmentParams) => p.blur > 0, (p: DeepfakeAugmentParams) => p.jpegQuality > 0]) {
      const share = draws.filter(on).length / draws.length;
      assert.ok(share > 0.15 && share < 0.65, `share ${share}`);
    }
  });

  it("keeps the baseline recipe's crop-flip draws (cached 'aug' views and loader batches unchanged)", () => {
    assert.deepEqual(drawTrainAugment('crop-flip', rngFrom(5, 1)), { policy: 'crop-flip', params: drawAugment(rngFrom(5, 1)) });
  });
});
