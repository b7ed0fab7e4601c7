// The model registry: one map from name to factory, read by the CLI, the API schema and the UI menus alike.
import type * as tf from '@tensorflow/tfjs';
import { createSimpleNet } from './simplenet.js';
import { createXception, createXceptionBased } from './xception.js';

export interface ModelFactoryOptions {
  seed?: number;
  inputSize?: number;
}

export interface ModelEntry {
  create(options?: ModelFactoryOptions): tf.LayersModel;
  /** Input side the model is trained at. */
  inputSize: number;
  /** The convolutional layer Grad-CAM uses by default. */
  camLayer: string;
  description: string;
}

export const models = {
  SimpleNet: {
    create: (options = {}) => createSimpleNet(options),
    inputSize: 256,
    camLayer: 'conv3',
    description: "The seed's small CNN: 3 conv 7×7 stages + MLP, trained from scratch",
  },
  Xception: {
    create: (options = {}) => createXception({ seed: options.seed, inputSize: options.inputSize }),
    inputSize: 299,
    camLayer: 'block14_sepconv2_act',
    description: "Keras's Xception with its 1000-class ImageNet top",
  },
  XceptionBased: {
    create: (options = {}) => createXceptionBased(options),
    inputSize: 256,
    camLayer: 'block14_sepconv2_act',
    description: 'Xception backbone + global average pooling + MLP head 2048→1000→256→64→2',
  },
} satisfies Record<string, ModelEntry>;

export type ModelName = keyof typeof models;

export const MODEL_NAMES = Object.keys(models) as ModelName[];

export function isModelName(name: string): name is ModelName {
  return Object.hasOwn(models, name);
}

/** Trainable parameter count, as PyTorch's sum(p.numel() for p in model.parameters() if p.requires_grad). */
export function countTrainableParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((sum, w) => sum + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
}
