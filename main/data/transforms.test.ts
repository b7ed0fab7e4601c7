// Tests of decoding (resize/crop policy, EXIF, channels) and of the normalise / crop+flip transforms.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { decodeImage } from './decode.js';
import { cleanup, makePng, realImages, tmpDir } from './fixtures.js';
import { mulberry32, permutation, rngFrom } from './rng.js';
import { MEAN, STD, augmentNormalise, drawAugment, normalise } from './transforms.js';
import { IMAGE_VALUES } from './types.js';

let tmp = '';
before(async () => {
  tmp = await tmpDir('transforms');
});
after(() => cleanup(tmp));

const S = 256;
const px = (img: ArrayLike<number>, y: number, x: number): number[] => {
  const i = (y * S + x) * 3;
  return [img[i]!, img[i + 1]!, img[i + 2]!];
};
const close = (a: number[], b: number[], tol: number, msg: string) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= tol, `${msg}: got ${a} want ${b}`));

describe('decode', () => {
  test('solid colour normalises to the hand-computed values', async () => {
    const file = path.join(tmp, 'solid.png');
    await makePng(file, S, S, 3, () => [255, 128, 0]);
    const image = normalise(await decodeImage(file));
    // (255/255 - 0.4914)/0.2023, (128/255 - 0.4822)/0.1994, (0 - 0.4465)/0.2010
    const want = [2.514088, 0.0991, -2.221393];
    for (const [y, x] of [
      [0, 0],
      [100, 200],
      [255, 255],
    ] as const)
      close(px(image, y, x), want, 1e-4, `pixel ${y},${x}`);
    assert.equal(image.length, IMAGE_VALUES);
  });

  test('non-square: shorter side to 256, then centre crop', async () => {
    const file = path.join(tmp, 'stripes.png');
    const colours = [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
      [255, 255, 0],
    ];
    await makePng(file, 400, 200, 3, (x) => colours[Math.floor(x / 100)]!); // -> 512x256, keep x 128..383
    const img = await decodeImage(file);
    close(px(img, 128, 10), colours[1]!, 2, 'left half is stripe 2');
    close(px(img, 128, 245), colours[2]!, 2, 'right half is stripe 3');
  });

  test('EXIF orientation is applied before the crop', async () => {
    const raw = Buffer.alloc(200 * 100 * 3);
    for (let i = 0; i < 200 * 100; i++) raw.set(i % 200 < 100 ? [255, 0, 0] : [0, 0, 255], i * 3);
    const file = path.join(tmp, 'rotated.jpg');
    // Stored 200x100 (left red, right blue); orientation 6 = display rotated 90° clockwise: top red, bottom blue.
    await sharp(raw, { raw: { width: 200, height: 100, channels: 3 } })
      .jpeg({ quality: 100 })
      .withMetadata({ orientation: 6 })
      .toFile(file);
    const img = await decodeImage(file);
    close(px(img, 20, 128), [255, 0, 0], 12, 'top is red');
    close(px(img, 235, 128), [0, 0, 255], 12, 'bottom is blue');
  });

  test('grey and grey+alpha expand to 3 equal channels, RGBA drops alpha', async () => {
    const grey = path.join(tmp, 'grey.png');
    const ga = path.join(tmp, 'ga.png');
    const rgba = path.join(tmp, 'rgba.png');
    await makePng(grey, S, S, 1, () => [77]);
    await makePng(ga, 300, 300, 2, () => [90, 255]); // resized: sharp premultiplies, so keep alpha opaque here
    await makePng(rgba, S, S, 4, () => [10, 20, 30, 0]);
    assert.deepEqual(px(await decodeImage(grey), 5, 5), [77, 77, 77]);
    assert.deepEqual(px(await decodeImage(ga), 5, 5), [90, 90, 90]);
    assert.deepEqual(px(await decodeImage(rgba), 5, 5), [10, 20, 30]);
  });

  test('a real fakes_dataset image decodes to [256,256,3] in the normalised range', async () => {
    const [file] = await realImages('val', 'fake', 1);
    const image = normalise(await decodeImage(file!));
    assert.equal(image.length, S * S * 3);
    for (let c = 0; c < 3; c++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = c; i < image.length; i += 3) {
        lo = Math.min(lo, image[i]!);
        hi = Math.max(hi, image[i]!);
      }
      assert.ok(lo >= -MEAN[c]! / STD[c]! - 1e-5 && hi <= (1 - MEAN[c]!) / STD[c]! + 1e-5, `channel ${c} in range`);
      assert.ok(hi - lo > 1, `channel ${c} has contrast`);
    }
  });
});

describe('augmentation', () => {
  // src pixel (y, x) = [y, x, 7]: every output pixel tells where it was read from.
  const src = new Uint8Array(IMAGE_VALUES);
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) src.set([y, x, 7], (y * S + x) * 3);
  const lut = (v: number, c: number) => (v / 255 - MEAN[c]!) / STD[c]!;
  const norm = (rgb: number[]) => rgb.map((v, c) => lut(v, c));
  const pad = norm([0, 0, 0]);

  test('seeded draws are reproducible and give a known shift', () => {
    const params = drawAugment(rngFrom(42, 0, 5, 1));
    assert.deepEqual(params, drawAugment(rngFrom(42, 0, 5, 1)));
    assert.deepEqual(params, { dy: -4, dx: 3, flip: false });
    const draws = Array.from({ length: 2000 }, (_, i) => drawAugment(mulberry32(i)));
    assert.equal(new Set(draws.map((d) => d.dy)).size, 9, 'all 9 vertical offsets occur');
    const flips = draws.filter((d) => d.flip).length;
    assert.ok(flips > 900 && flips < 1100, `flip rate ${flips}/2000`);
  });

  test('crop with zero padding shifts by (dy, dx); flip mirrors after the crop', () => {
    const seeded = augmentNormalise(src, drawAugment(rngFrom(42, 0, 5, 1))); // { dy: -4, dx: 3, flip: false }
    close(px(seeded, 4, 0), norm([0, 3, 7]), 1e-6, 'seeded: out(4,0) = src(0,3)');
    close(px(seeded, 3, 50), pad, 1e-6, 'seeded: rows 0..3 are padding');
    close(px(seeded, 100, 253), pad, 1e-6, 'seeded: columns 253..255 are padding');
    const out = augmentNormalise(src, { dy: 1, dx: -4, flip: false });
    close(px(out, 0, 4), norm([1, 0, 7]), 1e-6, 'out(0,4) = src(1,0)');
    close(px(out, 10, 20), norm([11, 16, 7]), 1e-6, 'out(10,20) = src(11,16)');
    close(px(out, 255, 100), pad, 1e-6, 'row 256 is padding');
    close(px(out, 5, 3), pad, 1e-6, 'columns -4..-1 are padding');
    const flipped = augmentNormalise(src, { dy: 1, dx: -4, flip: true });
    close(px(flipped, 10, 20), norm([11, 255 - 20 - 4, 7]), 1e-6, 'out(10,20) = src(11,231)');
    close(px(flipped, 10, 252), pad, 1e-6, 'flipped padding on the right');
    close(px(flipped, 10, 251), norm([11, 0, 7]), 1e-6, 'out(10,251) = src(11,0)');
    const none = augmentNormalise(src, { dy: 0, dx: 0, flip: false });
    assert.deepEqual(none, normalise(src));
  });

  test('permutation is a seeded shuffle of 0..n-1', () => {
    const a = permutation(50, mulberry32(1));
    assert.deepEqual(
      [...a].sort((x, y) => x - y),
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.deepEqual(a, permutation(50, mulberry32(1)));
    assert.notDeepEqual(a, permutation(50, mulberry32(2)));
  });
});
