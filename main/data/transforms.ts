// Per-sample transforms on raw RGB bytes: normalisation, and train-time random crop (4 px zero pad) + horizontal flip.
import { UnmaskError } from '../engine/errors.js';
import { randomInt, type Rng } from './rng.js';
import { IMAGE_SIZE, IMAGE_VALUES } from './types.js';

/** Channel mean and std on [0,1] pixels, as in the seed's PyTorch transforms.Normalize. */
export const MEAN = [0.4914, 0.4822, 0.4465] as const;
export const STD = [0.2023, 0.1994, 0.201] as const;
/** Zero padding of the train-time random crop (torchvision RandomCrop(256, padding=4)). */
export const CROP_PADDING = 4;

/** LUT_c[v] = (v / 255 - MEAN[c]) / STD[c]: one lookup per byte instead of a divide. */
const lut = (c: number) => Float32Array.from({ length: 256 }, (_, v) => (v / 255 - MEAN[c]!) / STD[c]!);
const LUT_R = lut(0);
const LUT_G = lut(1);
const LUT_B = lut(2);

/**
 * Parameters of one train-time augmentation. Output pixel (y, x) reads source pixel
 * (y + dy, flip ? 255 - x + dx : x + dx); reads outside the image are zero padding (black).
 */
export interface AugmentParams {
  dy: number;
  dx: number;
  flip: boolean;
}

/**
 * Draws crop offsets and flip like torchvision: top = randint(0, 8), left = randint(0, 8) on the
 * 264x264 padded image (dy = top - 4, dx = left - 4), then flip when rng() < 0.5. Three draws, in that order.
 */
export function drawAugment(rng: Rng): AugmentParams {
  const span = 2 * CROP_PADDING + 1;
  const dy = randomInt(rng, span) - CROP_PADDING;
  const dx = randomInt(rng, span) - CROP_PADDING;
  const flip = rng() < 0.5;
  return { dy, dx, flip };
}

function checkSource(src: Uint8Array, out: Float32Array, offset: number): void {
  if (src.length !== IMAGE_VALUES) throw new UnmaskError('BAD_ARGUMENT', `expected ${IMAGE_VALUES} bytes, got ${src.length}`);
  if (offset < 0 || offset + IMAGE_VALUES > out.length) {
    throw new UnmaskError('BAD_ARGUMENT', `output of length ${out.length} cannot hold an image at offset ${offset}`);
  }
}

/**
 * Normalises RGB bytes [256,256,3] HWC into floats: (v/255 - MEAN[c]) / STD[c].
 * Writes into `out` at `offset` (default: a new Float32Array [256*256*3]) and returns it.
 */
export function normalise(src: Uint8Array, out: Float32Array = new Float32Array(IMAGE_VALUES), offset = 0): Float32Array {
  checkSource(src, out, offset);
  for (let i = 0; i < IMAGE_VALUES; i += 3) {
    const o = offset + i;
    out[o] = LUT_R[src[i]!]!;
    out[o + 1] = LUT_G[src[i + 1]!]!;
    out[o + 2] = LUT_B[src[i + 2]!]!;
  }
  return out;
}

/**
 * Random crop (zero padding 4) + horizontal flip + normalise, fused in one pass: [256,256,3] bytes
 * HWC in, [256,256,3] floats out (into `out` at `offset`). Padding is black before normalisation, so
 * padded pixels become -MEAN[c]/STD[c], exactly as with torchvision's pad-then-ToTensor-then-Normalize.
 */
export function augmentNormalise(src: Uint8Array, params: AugmentParams, out: Float32Array = new Float32Array(IMAGE_VALUES), offset = 0): Float32Array {
  checkSource(src, out, offset);
  const S = IMAGE_SIZE;
  const z0 = LUT_R[0]!,
    z1 = LUT_G[0]!,
    z2 = LUT_B[0]!;
  const { dy, dx, flip } = params;
  for (let y = 0; y < S; y++) {
    const sy = y + dy;
    const rowOut = offset + y * S * 3;
    const rowIn = sy * S * 3;
    const inside = sy >= 0 && sy < S;
    for (let x = 0; x < S; x++) {
      const sx = (flip ? S - 1 - x : x) + dx;
      const o = rowOut + x * 3;
      if (!inside || sx < 0 || sx >= S) {
        out[o] = z0;
        out[o + 1] = z1;
        out[o + 2] = z2;
        continue;
      }
      const i = rowIn + sx * 3;
      out[o] = LUT_R[src[i]!]!;
      out[o + 1] = LUT_G[src[i + 1]!]!;
      out[o + 2] = LUT_B[src[i + 2]!]!;
    }
  }
  return out;
}

/** Train transform (augment) or eval transform (normalise only) of one image into `out` at `offset`. */
export function transformImage(src: Uint8Array, augment: Rng | null, out?: Float32Array, offset = 0): Float32Array {
  return augment === null ? normalise(src, out, offset) : augmentNormalise(src, drawAugment(augment), out, offset);
}
