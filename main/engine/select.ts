// Picks the TensorFlow.js engine at start-up: CUDA, native CPU, multithreaded wasm, or the pure-JS backend.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { UnmaskError } from './errors.js';
import { initWasmBackend } from './wasm/threads.js';
import { installNativeGradients } from './native/gradients.js';

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
  /** Why each engine faster than the chosen one was not used. */
  skipped: { engine: EngineName; reason: string }[];
}

interface Loaded {
  backend: string;
  threads: number;
  simd: boolean;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.slice(0, 300);
}

/** tfjs-node(-gpu) registers the 'tensorflow' backend on import; the GPU build says whether CUDA is in use. */
async function loadNative(pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node', needGpu: boolean): Promise<Loaded> {
  // Importing a package whose addon is missing still registers half a backend; check the addon first.
  let packageDir: string;
  try {
    packageDir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new Error(`${pkg} is not installed`);
  }
  const libDir = path.join(packageDir, 'lib');
  const addon = fs.existsSync(libDir) && fs.readdirSync(libDir).find((d) => fs.existsSync(path.join(libDir, d, 'tfjs_binding.node')));
  if (!addon) {
    const fix = needGpu
      ? 'on a CUDA machine with internet, run `npm rebuild @tensorflow/tfjs-node-gpu --foreground-scripts`'
      : 'run `npm run setup:native-engine`';
    throw new Error(`${pkg} has no native addon built (${fix})`);
  }
  // libtensorflow's INFO banners (oneDNN, CPU features) would drown the CLI's JSON output.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  try {
    await import(pkg);
    if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but its backend did not initialise`);
    const backend = tf.backend() as unknown as { isUsingGpuDevice?: boolean };
    if (needGpu && backend.isUsingGpuDevice !== true) throw new Error('no CUDA device is visible to TensorFlow');
    installNativeGradients();
  } catch (error) {
    if (tf.findBackend('tensorflow')) tf.removeBackend('tensorflow');
    throw error;
  }
  return { backend: 'tensorflow', threads: os.availableParallelism(), simd: true };
}

const loaders: Record<EngineName, (threads: number) => Promise<Loaded>> = {
  gpu: () => loadNative('@tensorflow/tfjs-node-gpu', true),
  native: () => loadNative('@tensorflow/tfjs-node', false),
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
      const loaded = await loaders[engine](threads);
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
