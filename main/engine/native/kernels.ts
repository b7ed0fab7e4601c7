// Forward kernels for the native (libtensorflow) engines that run as one TensorFlow op where tfjs-node runs several.
import * as tf from '@tensorflow/tfjs';

/** An eager op's attribute, as tfjs-node's binding takes it. */
export interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}

/** The part of tfjs-node's backend used here: eager ops by TensorFlow's own names. */
export interface NodeBackend {
  binding: { TF_ATTR_TYPE: number; TF_ATTR_STRING: number; TF_ATTR_SHAPE: number; TF_ATTR_BOOL: number; TF_ATTR_FLOAT: number; TF_FLOAT: number };
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: tf.Tensor[]): tf.Tensor;
  /** `outputs` 0 for ops that only have effects (Assign, Apply). */
  executeMultipleOutputs(name: string, attrs: OpAttr[], inputs: tf.Tensor[], outputs: number): tf.Tensor[];
}

/** libtensorflow on the CPU: the native engine, not tfjs-node-gpu (also the 'tensorflow' backend) on a CUDA device. */
export function onNativeCpu(): boolean {
  return tf.getBackend() === 'tensorflow' && (tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice !== true;
}

/** The attribute list of a float32 TensorFlow op (`T` = float). */
export function floatAttrs(b: NodeBackend): OpAttr[] {
  return [{ name: 'T', type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT }];
}

/**
 * clipByValue of float32 tensors as TensorFlow's ClipByValue op. tfjs-node runs it as Minimum then Maximum, two
 * passes over the tensor plus two scalar uploads: in face-api's SSD detector (ReLU6 written as a clip after every
 * convolution) that was 63 of 225 ms per image. Other dtypes keep tfjs-node's kernel.
 */
function installClipByValue(): void {
  const previous = tf.getKernel(tf.ClipByValue, 'tensorflow');
  if (!previous) return;
  tf.unregisterKernel(tf.ClipByValue, 'tensorflow');
  tf.registerKernel({
    ...previous,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.Tensor;
      if (x.dtype !== 'float32') return previous.kernelFunc(args);
      const b = args.backend as unknown as NodeBackend;
      const { clipValueMin, clipValueMax } = args.attrs as unknown as tf.ClipByValueAttrs;
      const [lo, hi] = [tf.scalar(clipValueMin), tf.scalar(clipValueMax)];
      try {
        return b.executeSingleOutput('ClipByValue', floatAttrs(b), [x, lo, hi]) as unknown as tf.TensorInfo;
      } finally {
        lo.dispose();
        hi.dispose();
      }
    },
  });
}

let installed = false;

/** Replaces, for the process, tfjs-node's multi-op forward kernels listed above. Call once the 'tensorflow' backend is registered. */
export function installNativeKernels(): void {
  if (installed) return;
  installed = true;
  installClipByValue();
}
