// The 'deepfake' train-time augmentation: random resized crop, flip, colour jitter, Gaussian blur, JPEG re-compression.
import jpeg from 'jpeg-js';
import { gaussianBlur } from './blur.js';
import type { ViewGeometry } from './face-parts.js';
import { randomInt, type Rng } from './rng.js';
import { IMAGE_SIZE, IMAGE_VALUES } from './types.js';

/**
 * One draw of the augmentation. Ranges and probabilities follow the training augmentations of DeepfakeBench's
 * detectors (albumentations: flip, brightness/contrast, blur, ImageCompression 40–100), with a mild resized crop.
 */
export interface DeepfakeAugmentParams {
  /** Square crop of the source (pixels), resized back to 256 px with bilinear sampling. */
  crop: { x0: number; y0: number; side: number };
  flip: boolean;
  /** Colour jitter factors (1 = unchanged): brightness, contrast about the image's mean grey, saturation about each pixel's grey. */
  brightness: number;
  contrast: number;
  saturation: number;
  /** Gaussian blur σ in pixels (0 = none). */
  blur: number;
  /** JPEG re-compression quality (0 = none). */
  jpegQuality: number;
}

/** Smallest crop, as a fraction of the image's area. */
const MIN_CROP_AREA = 0.8;

/**
 * Draws one augmentation. Every value is drawn in a fixed order whether or not its step applies (so each step's
 * draws do not shift the others'): crop side and offsets, flip, jitter gate and factors, blur gate and σ, JPEG gate and quality.
 */
export function drawDeepfakeAugment(rng: Rng): DeepfakeAugmentParams {
  const side = Math.round(IMAGE_SIZE * Math.sqrt(MIN_CROP_AREA + (1 - MIN_CROP_AREA) * rng()));
  const x0 = randomInt(rng, IMAGE_SIZE - side + 1);
  const y0 = randomInt(rng, IMAGE_SIZE - side + 1);
  const flip = rng() < 0.5;
  const jitter = rng() < 0.5;
  const factor = (): number => 0.9 + 0.2 * rng();
  const [brightness, contrast, saturation] = [factor(), factor(), factor()];
  const blurs = rng() < 0.3;
  const sigma = 0.3 + 1.2 * rng();
  const compresses = rng() < 0.5;
  const quality = 40 + randomInt(rng, 61);
  return {
    crop: { x0, y0, side },
    flip,
    brightness: jitter ? brightness : 1,
    contrast: jitter ? contrast : 1,
    saturation: jitter ? saturation : 1,
    blur: blurs ? sigma : 0,
    jpegQuality: compresses ? quality : 0,
  };
}

/** Where the augmentation moves the source's pixels (face landmarks move the same way). */
export function deepfakeGeometry(p: DeepfakeAugmentParams): ViewGeometry {
  return { dx: p.crop.x0, dy: p.crop.y0, flip: p.flip, scale: IMAGE_SIZE / p.crop.side };
}

/** The crop resized to 256 px (bilinear, pixel centres at +0.5, edges clamped) and mirrored with `flip`: floats in [0, 255]. */
function resizedCrop(src: Uint8Array, p: DeepfakeAugmentParams): Float32Array {
  const S = IMAGE_SIZE;
  const out = new Float32Array(IMAGE_VALUES);
  const step = p.crop.side / S;
  const at = (v: number): [number, number, number] => {
    const s = Math.min(S - 1, Math.max(0, v));
    const i = Math.min(S - 2, Math.floor(s));
    return [i, i + 1, s - i];
  };
  for (let y = 0; y < S; y++) {
    const [r0, r1, fy] = at(p.crop.y0 + (y + 0.5) * step - 0.5);
    for (let x = 0; x < S; x++) {
      const [c0, c1, fx] = at(p.crop.x0 + ((p.flip ? S - 1 - x : x) + 0.5) * step - 0.5);
      const o = (y * S + x) * 3;
      for (let c = 0; c < 3; c++) {
        const top = src[(r0 * S + c0) * 3 + c]! * (1 - fx) + src[(r0 * S + c1) * 3 + c]! * fx;
        const bottom = src[(r1 * S + c0) * 3 + c]! * (1 - fx) + src[(r1 * S + c1) * 3 + c]! * fx;
        out[o + c] = top * (1 - fy) + bottom * fy;
      }
    }
  }
  return out;
}

/** Brightness, contrast and saturation factors on floats [0, 255], in place. */
function colourJitter(img: Float32Array, p: DeepfakeAugmentParams): void {
  if (p.brightness === 1 && p.contrast === 1 && p.saturation === 1) return;
  let meanGrey = 0;
  for (let i = 0; i < img.length; i += 3) meanGrey += 0.299 * img[i]! + 0.587 * img[i + 1]! + 0.114 * img[i + 2]!;
  meanGrey = (meanGrey / (img.length / 3)) * p.brightness;
  for (let i = 0; i < img.length; i += 3) {
    const [r, g, b] = [img[i]! * p.brightness, img[i + 1]! * p.brightness, img[i + 2]! * p.brightness];
    const grey = 0.299 * r + 0.587 * g + 0.114 * b;
    for (const [k, v] of [r, g, b].entries()) img[i + k] = (grey + (v - grey) * p.saturation - meanGrey) * p.contrast + meanGrey;
  }
}

/** Floats rounded and clamped to RGB bytes. */
function toBytes(img: Float32Array): Uint8Array {
  const out = new Uint8Array(img.length);
  for (let i = 0; i < img.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(img[i]!)));
  return out;
}

/** RGB bytes [256, 256, 3] encoded as a JPEG at `quality` and decoded again (jpeg-js: the same bytes on every platform). */
export function jpegRoundTrip(rgb: Uint8Array, quality: number): Uint8Array {
  const rgba = new Uint8Array((rgb.length / 3) * 4);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    rgba[j] = rgb[i]!;
    rgba[j + 1] = rgb[i + 1]!;
    rgba[j + 2] = rgb[i + 2]!;
    rgba[j + 3] = 255;
  }
  const encoded = jpeg.encode({ data: rgba, width: IMAGE_SIZE, height: IMAGE_SIZE }, quality);
  return jpeg.decode(encoded.data, { useTArray: true, formatAsRGBA: false }).data;
}

/** The augmented image: RGB bytes [256, 256, 3] in and out. */
export function deepfakeAugment(src: Uint8Array, p: DeepfakeAugmentParams): Uint8Array {
  const img = resizedCrop(src, p);
  colourJitter(img, p);
  gaussianBlur(img, 3, p.blur);
  const bytes = toBytes(img);
  return p.jpegQuality > 0 ? jpegRoundTrip(bytes, p.jpegQuality) : bytes;
}
