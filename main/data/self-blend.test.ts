// Self-blended pseudo-fakes: the image is untouched outside the feathered mask and replaced inside it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rngFrom } from './rng.js';
import { blendMask, drawSelfBlend, placeOnFace, selfBlend, type SelfBlendParams } from './self-blend.js';
import { IMAGE_SIZE, IMAGE_VALUES } from './types.js';

/** A smooth test image (gradients per channel), so bilinear resampling stays predictable. */
const image = Uint8Array.from({ length: IMAGE_VALUES }, (_, i) => {
  const p = Math.floor(i / 3);
  const [y, x] = [Math.floor(p / IMAGE_SIZE), p % IMAGE_SIZE];
  return [x, y, (x + y) >> 1][i % 3]!;
});

const base: SelfBlendParams = {
  region: 'mouth',
  cx: 128,
  cy: 165,
  ax: 30,
  ay: 30,
  feather: 2,
  strength: 1,
  gain: 1,
  offset: 40,
  shift: [0, 0, 0],
  blur: 0,
  sharpen: 0,
  scale: 1,
  dx: 0,
  dy: 0,
};
const at = (img: Uint8Array, y: number, x: number, c: number) => img[(y * IMAGE_SIZE + x) * 3 + c]!;

describe('selfBlend', () => {
  it('leaves pixels far outside the mask untouched and brightens the centre by the jitter', () => {
    const out = selfBlend(image, base);
    for (const [y, x] of [
      [10, 10],
      [60, 200],
      [250, 128],
    ] as const)
      for (let c = 0; c < 3; c++) assert.equal(at(out, y, x, c), at(image, y, x, c));
    // Centre: mask 1, source = image + 40 (no rescale or shift).
    for (let c = 0; c < 3; c++) assert.equal(at(out, 165, 128, c), at(image, 165, 128, c) + 40);
  });

  it('half strength blends halfway; the mask is feathered between 0 and the strength', () => {
    const out = selfBlend(image, { ...base, strength: 0.5 });
    assert.equal(at(out, 165, 128, 0), at(image, 165, 128, 0) + 20);
    const mask = blendMask({ ...base, strength: 0.5 });
    assert.ok(Math.abs(mask[165 * IMAGE_SIZE + 128]! - 0.5) < 1e-6);
    assert.ok(mask.every((m) => m >= 0 && m <= 0.5 + 1e-6));
    const edge = mask[165 * IMAGE_SIZE + 158]!; // on the ellipse's rim: feathered, neither 0 nor full
    assert.ok(edge > 0.05 && edge < 0.45, `${edge}`);
  });

  it('draws the same parameters from the same seed, different ones from another', () => {
    assert.deepEqual(drawSelfBlend(rngFrom(7, 1)), drawSelfBlend(rngFrom(7, 1)));
    assert.notDeepEqual(drawSelfBlend(rngFrom(7, 1)), drawSelfBlend(rngFrom(7, 2)));
  });

  it('moves a region onto the face: a face twice the template’s size, shifted and turned 90°, carries the ellipse with it', () => {
    // Landmarks whose eye and mouth centres are the template's (100,105), (156,105), (128,165) mapped by
    // p → (40, 60) + 2·R90(p − (128, 125)) + (128, 125): every point of each part at its part's centre.
    const map = ([x, y]: [number, number]): [number, number] => [40 + 128 - 2 * (y - 125), 60 + 125 + 2 * (x - 128)];
    const pts = new Array<number>(136).fill(0);
    const put = (a: number, b: number, p: [number, number]) => {
      for (let i = a; i < b; i++) [pts[2 * i], pts[2 * i + 1]] = p;
    };
    put(36, 42, map([100, 105]));
    put(42, 48, map([156, 105]));
    put(48, 68, map([128, 165]));
    const eye = { ...base, region: 'eye' as const, cx: 100, cy: 105, ax: 15, ay: 10 };
    const moved = placeOnFace(eye, pts);
    const [x, y] = map([100, 105]);
    assert.ok(Math.abs(moved.cx - x) < 1e-9 && Math.abs(moved.cy - y) < 1e-9, `${moved.cx},${moved.cy} vs ${x},${y}`);
    assert.ok(Math.abs(moved.ax - 30) < 1e-9 && Math.abs(moved.ay - 20) < 1e-9);
    assert.equal(placeOnFace(eye, null), eye);
  });
});
