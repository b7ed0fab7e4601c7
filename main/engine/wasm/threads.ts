// Turns on the multithreaded (pthreads + SIMD) build of tfjs's wasm backend under Node.js.
//
// tfjs ships that build but disables it in Node (flags_wasm: IS_NODE → no threads, tfjs issue 3830), because
// its loader hands Emscripten's pthread workers Blob URLs, which Node's worker_threads cannot load. Here the
// two scripts are written to files instead, and the Blob/URL calls made during initialisation return those
// paths. Everything is restored once the backend is up.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels } from './kernels/index.js';

const require = createRequire(import.meta.url);

/** The bundle's CommonJS names that the pthread factory's source refers to once it is run on its own. */
const FACTORY_PRELUDE =
  "var require$$0=require('fs'),require$$1=require('path'),require$$3=require('perf_hooks')," + "require$$4=require('os'),commonjsGlobal=globalThis;";
/** Inside each pthread worker, our "object URLs" are plain file paths. */
const WORKER_PRELUDE = 'URL.createObjectURL=(x)=>String(x);URL.revokeObjectURL=()=>{};';

function writeOnce(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  }
  return file;
}

/**
 * Initialises the 'wasm' backend, with the training kernels it lacks, and `threads` XNNPACK threads (1 = the plain SIMD build). Must be called
 * before anything else initialises the backend. Returns the thread count the backend reports.
 */
export async function initWasmBackend(threads: number): Promise<number> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  registerWasmTrainingKernels();
  if (threads <= 1) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    await tf.setBackend('wasm');
    return wasm.getThreadsCount();
  }
  const version = (require('@tensorflow/tfjs-backend-wasm/package.json') as { version: string }).version;
  const dir = path.join(os.tmpdir(), `unmask-wasm-threads-${version}-${process.getuid?.() ?? 'u'}`);
  fs.mkdirSync(dir, { recursive: true });

  const RealBlob = globalThis.Blob;
  const realCreateObjectURL = URL.createObjectURL;
  const realCpus = os.cpus;
  const fakeBlob = function (parts: string[]): object {
    const text = parts.join('');
    const isWorker = text.includes('parentPort');
    const body = isWorker ? WORKER_PRELUDE + text : FACTORY_PRELUDE + text;
    const hash = createHash('sha1').update(body).digest('hex').slice(0, 12);
    // A String object survives structured cloning into the worker, where WORKER_PRELUDE unwraps it.
    return new String(writeOnce(dir, `${isWorker ? 'worker' : 'factory'}-${hash}.cjs`, body));
  };
  try {
    (globalThis as { Blob: unknown }).Blob = fakeBlob;
    URL.createObjectURL = (x: unknown) => String(x);
    // The backend sizes its XNNPACK pool as logical cores / 2 (assuming hyper-threading), capped at 4.
    os.cpus = () => Array.from({ length: threads * 2 }, () => realCpus()[0]!);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    wasm.setThreadsCount(threads);
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new Error('the threaded wasm backend failed to initialise');
  } finally {
    globalThis.Blob = RealBlob;
    URL.createObjectURL = realCreateObjectURL;
    os.cpus = realCpus;
  }
  unrefPthreadWorkers();
  return wasm.getThreadsCount();
}

/** XNNPACK's pool threads wait forever for work; they must not keep Node's event loop (and the process) alive. */
function unrefPthreadWorkers(): void {
  const module = (tf.backend() as unknown as { wasm?: { PThread?: Record<string, unknown> } }).wasm;
  const pthread = module?.PThread;
  if (pthread == null) return;
  const workers = [
    ...((pthread.unusedWorkers as { unref?: () => void }[] | undefined) ?? []),
    ...((pthread.runningWorkers as { unref?: () => void }[] | undefined) ?? []),
  ];
  for (const worker of workers) worker.unref?.();
}
