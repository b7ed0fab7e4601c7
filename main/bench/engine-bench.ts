// `unmask bench engine`: SimpleNet training/inference img/s on every engine present, beside PyTorch CPU.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initEngine, type EngineName } from '../engine/select.js';
import { models } from '../models/registry.js';
import { cutForUnfreeze } from '../train/recipe.js';
import { measureFineTune, measureInference, measureThroughput } from './throughput.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BATCH = 32;
const FINE_TUNE_BLOCKS = 2;

export interface EngineBenchOptions {
  quick: boolean;
  /** The pure-JS engine takes minutes per step; it is measured only when asked for. */
  withCpu: boolean;
  log: (line: string) => void;
}

const runsFor = (quick: boolean): number => (quick ? 3 : 10);
const fmt = (x: number): string => x.toFixed(2);

/** Child side: measures the engine this process was started on and prints one RESULT line. */
export async function benchCurrentEngine(quick: boolean, log: (line: string) => void): Promise<void> {
  const info = await initEngine();
  const runs = info.engine === 'cpu' ? 1 : runsFor(quick);
  const simpleNet = models.SimpleNet.create({ seed: 0 });
  const { trainImgPerSec, inferImgPerSec } = measureThroughput(simpleNet, BATCH, runs);
  simpleNet.dispose();
  let xception = '';
  if (info.engine !== 'cpu') {
    const model = models.XceptionBased.create({ seed: 0, inputSize: 256 });
    xception = ` xception_infer_img_s=${fmt(measureInference(model, 8, quick ? 2 : 5))}`;
    // Fine-tuning with the last FINE_TUNE_BLOCKS blocks unfrozen, on cached cut tensors (--unfreeze-blocks).
    xception += ` xception_finetune${FINE_TUNE_BLOCKS}_img_s=${fmt(measureFineTune(model, cutForUnfreeze(models.XceptionBased, 'XceptionBased', FINE_TUNE_BLOCKS), 8, quick ? 2 : 5))}`;
    model.dispose();
    const mobileNet = models.MobileNetBased.create({ seed: 0 });
    xception += ` mobilenet_finetune${FINE_TUNE_BLOCKS}_img_s=${fmt(measureFineTune(mobileNet, cutForUnfreeze(models.MobileNetBased, 'MobileNetBased', FINE_TUNE_BLOCKS), BATCH, quick ? 2 : 5))}`;
    mobileNet.dispose();
  }
  log(
    `RESULT engine=${info.engine} train_img_s=${fmt(trainImgPerSec)} infer_img_s=${fmt(inferImgPerSec)}${xception}` +
      ` backend=${info.backend} threads=${info.threads} tfjs=${info.tfjsVersion} tensors_left=${tf.memory().numTensors}`,
  );
}

function runChild(engine: EngineName, quick: boolean): Promise<{ ok: boolean; lines: string[] }> {
  const args = [path.join(repoRoot, 'bin/unmask.js'), 'bench', 'engine', '--child', ...(quick ? ['--quick'] : [])];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, UNMASK_ENGINE: engine, TF_CPP_MIN_LOG_LEVEL: '2' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ ok: code === 0, lines: out.split('\n').filter(Boolean) }));
  });
}

interface TorchResult {
  train_img_s: number;
  infer_img_s: number;
  threads: number;
  torch: string;
}

function runTorch(quick: boolean): TorchResult | string {
  const python = process.env.PYTHON ?? 'python3';
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return `no ${python} with torch (pip install torch==2.13.0)`;
  const run = spawnSync(python, [path.join(repoRoot, 'bench/torch_simplenet.py'), '--runs', String(runsFor(quick))], {
    encoding: 'utf8',
  });
  if (run.status !== 0) return `torch benchmark failed: ${run.stderr.trim().split('\n').at(-1)}`;
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as TorchResult;
}

const field = (line: string, key: string): number => Number(new RegExp(`${key}=([0-9.]+)`).exec(line)?.[1]);

/** Parent side: one child process per engine (each engine owns its process), then PyTorch, then ratios. */
export async function benchEngines(options: EngineBenchOptions): Promise<void> {
  const { log, quick } = options;
  const engines: EngineName[] = ['gpu', 'native', 'wasm', ...(options.withCpu ? (['cpu'] as const) : [])];
  const results = new Map<string, string>();
  for (const engine of engines) {
    const { ok, lines } = await runChild(engine, quick);
    const result = lines.find((l) => l.startsWith('RESULT '));
    if (ok && result) {
      log(result);
      results.set(engine, result);
    } else {
      const reason = lines.find((l) => l.includes('ENGINE_UNAVAILABLE') || l.includes('cannot load')) ?? lines.at(-1) ?? '';
      log(`SKIP engine=${engine} reason=${JSON.stringify(reason.slice(0, 240))}`);
    }
  }
  if (!options.withCpu) log('SKIP engine=cpu reason="pure-JS backend needs minutes per step; pass --with-cpu"');
  const torch = runTorch(quick);
  if (typeof torch === 'string') {
    log(`SKIP engine=torch reason=${JSON.stringify(torch)}`);
    return;
  }
  log(`RESULT engine=torch train_img_s=${fmt(torch.train_img_s)} infer_img_s=${fmt(torch.infer_img_s)} threads=${torch.threads} torch=${torch.torch}`);
  for (const [engine, line] of results) {
    const train = field(line, 'train_img_s') / torch.train_img_s;
    const infer = field(line, 'infer_img_s') / torch.infer_img_s;
    log(`RATIO engine=${engine} train_vs_torch=${fmt(train)} infer_vs_torch=${fmt(infer)}`);
  }
}
