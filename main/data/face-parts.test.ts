// Part boxes from landmarks, the landmark mirror permutation, and landmarks carried through a view's flip and crop.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FACE_PARTS, MIRROR_LANDMARK, PART_SIDE_IOD, partBoxes, transformLandmarks } from './face-parts.js';

/** A symmetric synthetic face: each landmark i and its mirror partner sit at x and 256 − x. */
function symmetricFace(): number[] {
  const pts = new Array<number>(136).fill(0);
  for (let i = 0; i < 68; i++) {
    const j = MIRROR_LANDMARK[i]!;
    const x = i === j ? 128 : i < j ? 60 + (i % 17) * 3 : 256 - (60 + (j % 17) * 3);
    pts[2 * i] = x;
    pts[2 * i + 1] = 40 + Math.min(i, j) * 2.5;
  }
  return pts;
}

describe('face parts', () => {
  it('MIRROR_LANDMARK is an involution that swaps the two eyes, brows and mouth corners and fixes the nose ridge', () => {
    MIRROR_LANDMARK.forEach((j, i) => assert.equal(MIRROR_LANDMARK[j], i));
    assert.deepEqual(
      [36, 39, 17, 48, 0, 31].map((i) => MIRROR_LANDMARK[i]),
      [45, 42, 26, 54, 16, 35],
    );
    for (const i of [27, 28, 29, 30, 33, 51, 57, 62, 66, 8]) assert.equal(MIRROR_LANDMARK[i], i);
  });

  it('boxes are squares of 0.9 inter-ocular distances around the eye centres, nose tip and mouth', () => {
    const pts: number[] = Array.from({ length: 136 }, (_, k) => (k % 2 === 0 ? 100 : 150));
    for (let i = 36; i < 42; i++) pts[2 * i] = 90;
    for (let i = 42; i < 48; i++) pts[2 * i] = 160;
    pts[60] = 125;
    pts[61] = 170; // nose tip (30)
    const b = partBoxes(pts);
    const side = PART_SIDE_IOD * 70;
    assert.deepEqual(
      Array.from(b.subarray(0, 3)).map((v) => +v.toFixed(4)),
      [90 - side / 2, 150 - side / 2, side].map((v) => +v.toFixed(4)),
    );
    assert.deepEqual(
      Array.from(b.subarray(6, 9)).map((v) => +v.toFixed(4)),
      [125 - side / 2, 170 - side / 2, side].map((v) => +v.toFixed(4)),
    );
    assert.equal(b.length, FACE_PARTS.length * 3);
    // No face: the template's boxes, inside the image.
    const t = partBoxes(null);
    for (let k = 0; k < 6; k++) assert.ok(t[3 * k]! > 0 && t[3 * k]! + t[3 * k + 2]! < 256 && t[3 * k + 1]! > 0);
  });

  it('a flip mirrors the points and keeps index semantics: a symmetric face is its own mirror image', () => {
    const face = symmetricFace();
    const flipped = transformLandmarks(face, { dx: 0, dy: 0, flip: true });
    flipped.forEach((v, k) => assert.ok(Math.abs(v - face[k]!) < 1e-9, `coordinate ${k}: ${v} vs ${face[k]}`));
    // Flipped twice, with the same x offset (mirrored, it moves the other way) and the opposite y offset: the identity.
    const asym = face.map((v, k) => v + (k % 7));
    const once = transformLandmarks(asym, { dx: 3, dy: -2, flip: true });
    const back = transformLandmarks(once, { dx: 3, dy: 2, flip: true });
    back.forEach((v, k) => assert.ok(Math.abs(v - asym[k]!) < 1e-9));
    // A crop offset moves points the other way: output pixel (x, y) shows source (x + dx, y + dy).
    const shifted = transformLandmarks(asym, { dx: 4, dy: -3, flip: false });
    assert.equal(shifted[0], asym[0]! - 4);
    assert.equal(shifted[1], asym[1]! + 3);
  });
});
