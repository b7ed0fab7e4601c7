// Picks the TensorFlow.js engine at start-up: CUDA, native CPU, multithreaded wasm, or the pure-JS backend.
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { cudaHiddenReason, describeTfjsGpu, driverGpus } from './cuda.js';
import { firstLine, UnmaskError } from './errors.js';
import { nativeEngineFiles } from './native-paths.js';
import { initWasmBackend } from './wasm/threads.js';
import { installNativeGradients } from './native/gradients.js';
import { installNativeKernels } from './native/kernels.js';

const require = createRequire(import.meta.url);

/** Fastest first; the order in which engines are tried when none is asked for. */
export const ENGINE_NAMES = ['gpu', 'native', 'wasm', 'cpu'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

export interface EngineInfo {
  engine: EngineName;
  tfjsVersion: string;
  backend: string;
  threads: number;
  simd: boolean;
  /** The gpu engine's GPU, as the NVIDIA driver names it ("NVIDIA H200 (PCI 0000:1b:00.0)"). */
  device?: string;
  /** The native engine's host allocator: TensorFlow's pooling BFC allocator, or the C library's malloc. */
  allocator?: 'bfc' | 'malloc';
  /** Whether the native engine's CPU kernels are oneDNN's (on unless TF_ENABLE_ONEDNN_OPTS=0) or Eigen's. */
  onednn?: boolean;
  /** Why each engine faster than the chosen one was not used. */
  skipped: { engine: EngineName; reason: string }[];
}

interface Loaded {
  backend: string;
  threads: number;
  simd: boolean;
  device?: string;
  allocator?: EngineInfo['allocator'];
  onednn?: boolean;
}

/**
 * tfjs-node(-gpu) registers the 'tensorflow' backend on import; the GPU build says whether CUDA is in use
 * (`noGpuHint`: what the driver shows, added to the error when it is not).
 */
async function loadNative(pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node', needGpu: boolean, noGpuHint?: string): Promise<Loaded> {
  // Importing a package whose addon is missing still registers half a backend; check the addon first.
  let packageJson: string;
  try {
    packageJson = require.resolve(`${pkg}/package.json`);
  } catch {
    throw new Error(`${pkg} is not installed`);
  }
  const fix = needGpu ? 'run `npm run setup:gpu-engine`' : 'run `npm run setup:native-engine`';
  // In a packaged app these are the files asarUnpack took out of app.asar, where dlopen() can reach them.
  const files = nativeEngineFiles(packageJson);
  if (!files.addon) throw new Error(`${pkg} has no native addon built (${fix})`);
  if (!files.libtensorflow)
    throw new Error(`${pkg}'s addon is built but libtensorflow is missing from ${path.resolve(files.addon, '../../../deps/lib')} (${fix})`);
  // libtensorflow's INFO banners (oneDNN, CPU features) would drown the CLI's JSON output.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  try {
    await import(pkg);
    if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but its backend did not initialise`);
    const backend = tf.backend() as unknown as { isUsingGpuDevice?: boolean };
    if (needGpu && backend.isUsingGpuDevice !== true) throw new Error(`no CUDA device is visible to TensorFlow: ${noGpuHint}`);
    installNativeKernels();
    installNativeGradients();
  } catch (error) {
    if (tf.findBackend('tensorflow')) tf.removeBackend('tensorflow');
    throw error;
  }
  return { backend: 'tensorflow', threads: os.availableParallelism(), simd: true };
}

/**
 * The gpu engine. Chosen automatically, it is not even loaded where the driver shows no GPU: a loaded tfjs-node-gpu
 * would leave its libtensorflow in the process, which the native addon then binds to instead of its own (both
 * need the soname libtensorflow_cc.so.2), with every tfjs kernel registered twice. Asked for by name, it is loaded
 * anyway, so that TensorFlow itself says whether it sees a CUDA device.
 */
async function loadGpu(forced: boolean): Promise<Loaded> {
  const hidden = cudaHiddenReason();
  if (hidden && !forced) throw new Error(`no CUDA device is visible: ${hidden}`);
  // CUDA's default order puts the fastest GPU first; the PCI order is the one the driver's list can be matched to.
  process.env.CUDA_DEVICE_ORDER ??= 'PCI_BUS_ID';
  const gpus = hidden ? [] : driverGpus();
  const hint =
    hidden ??
    (gpus.length > 0
      ? `the driver lists ${gpus.map((g) => g.name).join(', ')}, but CUDA did not initialise (TF_CPP_MIN_LOG_LEVEL=0 shows why)`
      : 'the NVIDIA driver lists no GPU');
  const loaded = await loadNative('@tensorflow/tfjs-node-gpu', true, hint);
  return { ...loaded, device: describeTfjsGpu(gpus, process.env) };
}

/** A boolean environment setting as TensorFlow reads it (ReadBoolFromEnvVar: "true" or "1", any case). */
const tfFlagOn = (value: string | undefined): boolean => /^(true|1)$/i.test(value ?? '');

const loaders: Record<EngineName, (threads: number, forced: boolean) => Promise<Loaded>> = {
  gpu: (_threads, forced) => loadGpu(forced),
  native: async () => {
    // TensorFlow reads this when it makes its CPU allocator, on the addon's import. Its default, malloc, hands every
    // activation above its mmap threshold (at most 32 MB) back to the kernel and takes fresh zeroed pages for the next
    // one: the Xception forward pass spent about a fifth of its time in page faults. The BFC allocator keeps and reuses what it took (the process's
    // peak memory, no more; lower in the measured case). A user's own setting wins.
    process.env.TF_CPU_ALLOCATOR_USE_BFC ??= 'true';
    // Read on the addon's import as well. Left unset, TensorFlow turns its oneDNN kernels on only for CPUs with
    // AVX-512 VNNI/BF16 or AMX, and every other x86 CPU gets Eigen's: on a 2-core AVX2 EPYC, SimpleNet's training
    // step took 3.1 s with Eigen and 1.0 s with oneDNN (its convolution filter gradients 1,540 vs 234 ms).
    process.env.TF_ENABLE_ONEDNN_OPTS ??= '1';
    const loaded = await loadNative('@tensorflow/tfjs-node', false);
    return {
      ...loaded,
      allocator: tfFlagOn(process.env.TF_CPU_ALLOCATOR_USE_BFC) ? 'bfc' : 'malloc',
      onednn: tfFlagOn(process.env.TF_ENABLE_ONEDNN_OPTS),
    };
  },
  wasm: async (threads) => {
    const actual = await initWasmBackend(threads);
    const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
    return { backend: 'wasm', threads: actual, simd };
  },
  cpu: async () => {
    await tf.setBackend('cpu');
    return { backend: 'cpu', threads: 1, simd: false };
  },
};

export function parseEngineName(value: string | undefined): EngineName | undefined {
  if (value == null || value === '' || value === 'auto') return undefined;
  if ((ENGINE_NAMES as readonly string[]).includes(value)) return value as EngineName;
  throw new UnmaskError('BAD_ARGUMENT', `UNMASK_ENGINE=${value} is not one of auto, ${ENGINE_NAMES.join(', ')}`);
}

let current: Promise<EngineInfo> | undefined;

/**
 * Initialises the engine once per process. `requested` (or UNMASK_ENGINE) forces one engine: if it cannot
 * load, that is an ENGINE_UNAVAILABLE error, never a silent switch. `threads` (or UNMASK_THREADS) sizes the
 * wasm thread pool; default: every available core.
 */
export function initEngine(options: { requested?: EngineName; threads?: number } = {}): Promise<EngineInfo> {
  current ??= selectEngine(
    options.requested ?? parseEngineName(process.env.UNMASK_ENGINE),
    options.threads ?? (Number(process.env.UNMASK_THREADS) || os.availableParallelism()),
  );
  return current;
}

async function selectEngine(requested: EngineName | undefined, threads: number): Promise<EngineInfo> {
  // tfjs-core's version, not the union package's: that is the one every engine here shares.
  const tfjsVersion = (require('@tensorflow/tfjs-core/package.json') as { version: string }).version;
  const candidates = requested ? [requested] : [...ENGINE_NAMES];
  const skipped: EngineInfo['skipped'] = [];
  for (const engine of candidates) {
    try {
      const loaded = await loaders[engine](threads, requested != null);
      return { engine, tfjsVersion, ...loaded, skipped };
    } catch (error) {
      if (requested) {
        throw new UnmaskError('ENGINE_UNAVAILABLE', `engine '${engine}' was requested but cannot load: ${firstLine(error)}`, {
          cause: error,
        });
      }
      skipped.push({ engine, reason: firstLine(error) });
    }
  }
  throw new UnmaskError('ENGINE_UNAVAILABLE', `no engine could load: ${JSON.stringify(skipped)}`);
}
