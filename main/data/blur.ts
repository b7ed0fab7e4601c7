// Gaussian blur of 256 px float images: self-blend masks and sources, and the deepfake augmentation.
import { IMAGE_SIZE } from './types.js';

/** Separable Gaussian blur of a [256, 256, c] float image (edges clamped), in place. */
export function gaussianBlur(img: Float32Array, channels: number, sigma: number): void {
  if (sigma <= 0) return;
  const r = Math.ceil(3 * sigma);
  const k = Float32Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const sum = k.reduce((s, v) => s + v, 0);
  k.forEach((v, i) => (k[i] = v / sum));
  const S = IMAGE_SIZE;
  const tmp = new Float32Array(img.length);
  const pass = (src: Float32Array, dst: Float32Array, horizontal: boolean): void => {
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        for (let c = 0; c < channels; c++) {
          let acc = 0;
          for (let t = -r; t <= r; t++) {
            const yy = horizontal ? y : Math.min(S - 1, Math.max(0, y + t));
            const xx = horizontal ? Math.min(S - 1, Math.max(0, x + t)) : x;
            acc += k[t + r]! * src[(yy * S + xx) * channels + c]!;
          }
          dst[(y * S + x) * channels + c] = acc;
        }
      }
    }
  };
  pass(img, tmp, true);
  pass(tmp, img, false);
}
