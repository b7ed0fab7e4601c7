// PyTorch's torch.optim update rules in float64: the reference the fused optimizers are tested against on every engine.
import type { OptimizerConfig } from '../../main/train/optimizers.js';

/** PyTorch's torch.optim algorithms (docs pseudo-code), in float64, for one weight vector. */
export function reference(config: OptimizerConfig, w0: number[], grads: number[][]): number[] {
  const w = [...w0];
  const m = w.map(() => 0);
  const v = w.map(() => 0);
  const [b1, b2] = config.betas ?? [0.9, 0.999];
  const eps = config.eps ?? 1e-8;
  grads.forEach((g, stepIndex) => {
    const t = stepIndex + 1;
    for (let i = 0; i < w.length; i++) {
      if (config.name === 'SGD') {
        const gi = g[i]! + (config.weightDecay ?? 0) * w[i]!;
        m[i] = t === 1 ? gi : (config.momentum ?? 0.9) * m[i]! + gi;
        w[i] = w[i]! - config.lr * m[i]!;
        continue;
      }
      if (config.name === 'AdamW') w[i] = w[i]! * (1 - config.lr * (config.weightDecay ?? 0.01));
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
      const mHat = m[i]! / (1 - b1 ** t);
      const vHat = v[i]! / (1 - b2 ** t);
      w[i] = w[i]! - (config.lr * mHat) / (Math.sqrt(vHat) + eps);
    }
  });
  return w;
}

export const configs: OptimizerConfig[] = [
  { name: 'Adam', lr: 0.01 },
  { name: 'AdamW', lr: 0.01, weightDecay: 0.1 },
  { name: 'SGD', lr: 0.05, momentum: 0.9, weightDecay: 0.01 },
];
export const w0 = [0.5, -1.25, 2, 0, 3e-3];
export const grads = [
  [0.1, -0.2, 0.3, 1e-4, -5],
  [-0.3, 0.1, 0.2, 0, 2],
  [0.05, 0.05, -0.4, 3, 0.5],
];
