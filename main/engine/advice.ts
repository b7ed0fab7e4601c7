// What the running engine is and, for each faster engine that was skipped, what it would need: the app's engine line.
import type { EngineStatus } from '../api/contract.js';
import type { EngineInfo } from './select.js';

export interface AdviceContext {
  /** A packaged app (electron-builder): set-up commands of a source checkout do not apply to it. */
  packaged: boolean;
}

/** Why the gpu engine was skipped, in the words `selectEngine` uses, and what each case needs. */
function gpuNeeds(reason: string, { packaged }: AdviceContext): string {
  if (packaged) {
    return 'an NVIDIA GPU, and Unmask run from a source checkout after `npm run setup:gpu-engine` (the packaged app does not carry the ~3.6 GB of CUDA libraries)';
  }
  if (/^no CUDA device is visible: CUDA_VISIBLE_DEVICES/.test(reason)) return 'CUDA_VISIBLE_DEVICES naming a GPU';
  if (/^no CUDA device is visible/.test(reason)) {
    return /CUDA did not initialise/.test(reason)
      ? 'an NVIDIA driver that supports CUDA 12.2 (535 or newer)'
      : 'an NVIDIA GPU and its driver (the CUDA 12 and cuDNN libraries come with the engine)';
  }
  return '`npm run setup:gpu-engine` on Linux x86_64 (~3.6 GB of TensorFlow and CUDA libraries from PyPI), and an NVIDIA GPU with its driver';
}

function nativeNeeds({ packaged }: AdviceContext): string {
  return packaged
    ? 'a build of the app packaged after `npm run setup:native-engine` (it then carries libtensorflow)'
    : '`npm run setup:native-engine` (~20 s, ~600 MB of libtensorflow from PyPI), then a restart';
}

/** The engine the workers chose (`unmask engine`'s answer) as the app shows it. */
export function engineStatus(info: EngineInfo, context: AdviceContext): EngineStatus {
  return {
    engine: info.engine,
    backend: info.backend,
    tfjsVersion: info.tfjsVersion,
    threads: info.threads,
    simd: info.simd,
    device: info.device ?? null,
    faster: info.skipped.map(({ engine, reason }) => ({
      engine,
      reason,
      needs:
        engine === 'gpu' ? gpuNeeds(reason, context) : engine === 'native' ? nativeNeeds(context) : 'nothing to install; it failed to start (see the reason)',
    })),
  };
}
