// Direct views of a tensor's storage on the CPU-side backends, for optimizers that update weights in place.
import * as tf from '@tensorflow/tfjs';

interface WasmLike {
  typedArrayFromHeap(info: { shape: number[]; dtype: string; dataId: object }): Float32Array;
  refCount(dataId: object): number;
}
interface CpuLike {
  data: { get(dataId: object): { values: Float32Array } };
  refCount(dataId: object): number;
}

/**
 * The live float32 storage behind `t` when the active backend keeps it in this process's memory ('wasm'
 * heap or 'cpu' arrays), else null (native engines: use tensor ops). Writes through the view change `t`.
 */
export function hostView(t: tf.Tensor): Float32Array | null {
  if (t.dtype !== 'float32') return null;
  const name = tf.getBackend();
  const backend = tf.backend() as unknown;
  const dataId = t.dataId as object;
  if (name === 'wasm') return (backend as WasmLike).typedArrayFromHeap({ shape: t.shape, dtype: t.dtype, dataId });
  if (name === 'cpu') {
    const values = (backend as CpuLike).data.get(dataId).values;
    return values instanceof Float32Array ? values : null;
  }
  return null;
}

/** Whether another tensor shares `t`'s storage (a clone or a reshape does, on the CPU-side backends). */
export function sharesStorage(t: tf.Tensor): boolean {
  const name = tf.getBackend();
  if (name !== 'wasm' && name !== 'cpu') return false;
  return (tf.backend() as unknown as WasmLike | CpuLike).refCount(t.dataId as object) > 1;
}
