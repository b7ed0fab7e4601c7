// PyTorch's default layer initialisation for tfjs layers, so runs start where the seed's PyTorch runs start.
import * as tf from '@tensorflow/tfjs';

/**
 * torch.nn.Conv2d / Linear defaults: kernel ~ U(±1/√fan_in) (kaiming_uniform with a = √5) and
 * bias ~ U(±1/√fan_in). `seed` makes the draw reproducible; each layer gets its own offset of it.
 */
export function torchDefaultInit(
  fanIn: number,
  seed: number | undefined,
): {
  kernelInitializer: ReturnType<typeof tf.initializers.randomUniform>;
  biasInitializer: ReturnType<typeof tf.initializers.randomUniform>;
} {
  const bound = 1 / Math.sqrt(fanIn);
  return {
    kernelInitializer: tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed }),
    biasInitializer: tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: seed == null ? undefined : seed + 7919 }),
  };
}
