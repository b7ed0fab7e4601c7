// Runs the wasm backend's own kernels directly from inside other kernels, and frees their scratch outputs.
import { getKernel, type KernelBackend, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';

/** The wasm backend's tensor storage, for kernels written as loops over the heap. */
export interface HeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

/**
 * Composes wasm kernels without going through the op layer, so nothing is recorded on a gradient tape and
 * every intermediate is freed as soon as the composite kernel returns. Only `keep` outlives `dispose()`.
 */
export class KernelScratch {
  private readonly made: TensorInfo[] = [];
  readonly backend: KernelBackend;

  /** `backend` as a kernel receives it (typed `{}` by tfjs). */
  constructor(backend: object) {
    this.backend = backend as KernelBackend;
  }

  run(name: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
    const kernel = getKernel(name, 'wasm');
    if (kernel == null) throw new Error(`wasm kernel ${name} is not registered`);
    const out = kernel.kernelFunc({ inputs, backend: this.backend, attrs }) as TensorInfo;
    this.made.push(out);
    return out;
  }

  /** Adopts an output made outside `run` (e.g. by a wrapped original kernel) so dispose() frees it too. */
  track(out: TensorInfo): TensorInfo {
    this.made.push(out);
    return out;
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  /** Zero padding, `paddings` as [before, after] per axis. */
  pad(x: TensorInfo, paddings: [number, number][]): TensorInfo {
    if (paddings.every(([b, a]) => b === 0 && a === 0)) return x;
    return this.run('PadV2', { x }, { paddings, constantValue: 0 });
  }

  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    if (size.every((s, i) => s === x.shape[i])) return x;
    return this.run('Slice', { x }, { begin, size });
  }

  reverse(x: TensorInfo, dims: number[]): TensorInfo {
    return this.run('Reverse', { x }, { dims });
  }

  sum(x: TensorInfo, axis: number[]): TensorInfo {
    return this.run('Sum', { x }, { axis, keepDims: false });
  }

  /** Frees every intermediate except `keep` (the kernel's result, owned by the caller from now on). */
  dispose(keep: TensorInfo): TensorInfo {
    // Reshapes share data by reference count, so freeing every other output is always safe.
    for (const t of this.made) if (t !== keep) this.backend.disposeData(t.dataId);
    return keep;
  }
}

/**
 * Inserts (stride - 1) zeros between the rows and the columns of an NHWC tensor, the "transposed" view of a
 * strided convolution: [n, h, w, c] → [n, h·sh, w·sw, c] (the trailing zeros included; callers crop them).
 */
export function dilateSpatial(s: KernelScratch, x: TensorInfo, sh: number, sw: number): TensorInfo {
  if (sh === 1 && sw === 1) return x;
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const expanded = s.reshape(x, [n, h, 1, w, 1, c]);
  const padded = s.pad(expanded, [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  return s.reshape(padded, [n, h * sh, w * sw, c]);
}
