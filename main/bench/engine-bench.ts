// `unmask bench engine`: SimpleNet and XceptionBased training/inference img/s on every engine present, beside PyTorch CPU.
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initEngine, type EngineName } from '../engine/select.js';
import { countTrainableParams, models } from '../models/registry.js';
import { cutForUnfreeze } from '../train/recipe.js';
import { measureFineTune, measureInference, measureThroughput } from './throughput.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BATCH = 32;
const XCEPTION_BATCH = 8;
/** `--unfreeze-blocks K` of the fine-tuning step measured on both sides (the PyTorch peer gets the same K). */
const FINE_TUNE_BLOCKS = 2;

export interface EngineBenchOptions {
  quick: boolean;
  /** The pure-JS engine takes minutes per step; it is measured only when asked for. */
  withCpu: boolean;
  /** Rounds of (every engine, then PyTorch), alternating the order; ratios are taken within a round. */
  rounds?: number;
  /** Only these engines (default: gpu, native, wasm, and cpu with `withCpu`). */
  engines?: EngineName[];
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
    const xRuns = quick ? 2 : 5;
    const model = models.XceptionBased.create({ seed: 0, inputSize: 256 });
    xception = ` xception_infer_img_s=${fmt(measureInference(model, XCEPTION_BATCH, xRuns))}`;
    // Fine-tuning with the last FINE_TUNE_BLOCKS blocks unfrozen, on cached cut tensors (--unfreeze-blocks).
    const cut = cutForUnfreeze(models.XceptionBased, 'XceptionBased', FINE_TUNE_BLOCKS);
    const fine = measureFineTune(model, cut, XCEPTION_BATCH, xRuns);
    xception += ` xception_finetune${FINE_TUNE_BLOCKS}_img_s=${fmt(fine.imgPerSec)}`;
    xception += ` xception_params=${countTrainableParams(model)} xception_finetune${FINE_TUNE_BLOCKS}_params=${fine.params}`;
    xception += ` xception_cut=${cut}:${fine.cutShape.join('x')}`;
    model.dispose();
    const mobileNet = models.MobileNetBased.create({ seed: 0 });
    const mobile = measureFineTune(mobileNet, cutForUnfreeze(models.MobileNetBased, 'MobileNetBased', FINE_TUNE_BLOCKS), BATCH, xRuns);
    xception += ` mobilenet_finetune${FINE_TUNE_BLOCKS}_img_s=${fmt(mobile.imgPerSec)}`;
    mobileNet.dispose();
  }
  log(
    `RESULT engine=${info.engine} train_img_s=${fmt(trainImgPerSec)} infer_img_s=${fmt(inferImgPerSec)}${xception}` +
      ` backend=${info.backend}${info.allocator ? ` allocator=${info.allocator}` : ''}${info.onednn == null ? '' : ` onednn=${info.onednn}`} threads=${info.threads} tfjs=${info.tfjsVersion} tensors_left=${tf.memory().numTensors}`,
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

/** bench/torch_simplenet.py and bench/torch_xception.py's JSON lines, merged. */
interface TorchResult {
  train_img_s: number;
  infer_img_s: number;
  xception_infer_img_s: number;
  xception_finetune_img_s: number;
  blocks: number;
  params: number;
  part_params: number;
  cut_shape: number[];
  threads: number;
  torch: string;
}

function runPython(python: string, script: string, args: string[]): Record<string, unknown> | string {
  // PyTorch gets the cores the tfjs engines get (TensorFlow's pools and the wasm pool default to all of them).
  const threads = String(Number(process.env.UNMASK_THREADS) || os.availableParallelism());
  const run = spawnSync(python, [path.join(repoRoot, 'bench', script), '--threads', threads, ...args], { encoding: 'utf8' });
  if (run.status !== 0) return `${script} failed: ${run.stderr.trim().split('\n').at(-1)}`;
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

function runTorch(quick: boolean): TorchResult | string {
  const python = process.env.PYTHON ?? 'python3';
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return `no ${python} with torch (pip install torch==2.13.0)`;
  const simple = runPython(python, 'torch_simplenet.py', ['--runs', String(runsFor(quick))]);
  if (typeof simple === 'string') return simple;
  const xception = runPython(python, 'torch_xception.py', [
    '--runs',
    String(quick ? 2 : 5),
    '--blocks',
    String(FINE_TUNE_BLOCKS),
    '--batch',
    String(XCEPTION_BATCH),
  ]);
  if (typeof xception === 'string') return xception;
  return { ...simple, ...xception } as unknown as TorchResult;
}

const field = (line: string, key: string): number => Number(new RegExp(`\\b${key}=([0-9.]+)`).exec(line)?.[1]);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** engine img/s ÷ PyTorch img/s for each network and step, from one round. */
function ratios(line: string, torch: TorchResult): Record<string, number> {
  return {
    train_vs_torch: field(line, 'train_img_s') / torch.train_img_s,
    infer_vs_torch: field(line, 'infer_img_s') / torch.infer_img_s,
    xception_infer_vs_torch: field(line, 'xception_infer_img_s') / torch.xception_infer_img_s,
    [`xception_finetune${FINE_TUNE_BLOCKS}_vs_torch`]: field(line, `xception_finetune${FINE_TUNE_BLOCKS}_img_s`) / torch.xception_finetune_img_s,
  };
}

const ratioLine = (r: Record<string, number>): string =>
  Object.entries(r)
    .filter(([, v]) => Number.isFinite(v))
    .map(([k, v]) => `${k}=${fmt(v)}`)
    .join(' ');

/** One child process per engine; returns each loaded engine's RESULT line (the rest are logged as skipped). */
async function engineRound(engines: readonly EngineName[], quick: boolean, tag: string, log: (line: string) => void): Promise<Map<EngineName, string>> {
  const results = new Map<EngineName, string>();
  for (const engine of engines) {
    const { ok, lines } = await runChild(engine, quick);
    const result = lines.find((l) => l.startsWith('RESULT '));
    if (ok && result) {
      log(result + tag);
      results.set(engine, result);
    } else {
      const reason = lines.find((l) => l.includes('ENGINE_UNAVAILABLE') || l.includes('cannot load')) ?? lines.at(-1) ?? '';
      log(`SKIP engine=${engine} reason=${JSON.stringify(reason.slice(0, 240))}`);
    }
  }
  return results;
}

/** PyTorch's round: its RESULT line, or why it could not run. */
function torchRound(quick: boolean, tag: string, log: (line: string) => void): TorchResult | string {
  const torch = runTorch(quick);
  if (typeof torch === 'string') return torch;
  log(
    `RESULT engine=torch train_img_s=${fmt(torch.train_img_s)} infer_img_s=${fmt(torch.infer_img_s)}` +
      ` xception_infer_img_s=${fmt(torch.xception_infer_img_s)} xception_finetune${torch.blocks}_img_s=${fmt(torch.xception_finetune_img_s)}` +
      ` xception_params=${torch.params} xception_finetune${torch.blocks}_params=${torch.part_params} xception_cut=${torch.cut_shape.join('x')}` +
      ` threads=${torch.threads} torch=${torch.torch}${tag}`,
  );
  return torch;
}

/** The median RATIO line per engine, and the PARAMS line: both sides must be the same network. */
function summarise(
  perRound: Map<EngineName, Record<string, number>[]>,
  rounds: number,
  first: string | undefined,
  torch: TorchResult | undefined,
  log: (line: string) => void,
): void {
  for (const [engine, list] of perRound) {
    const keys = Object.keys(list[0]!);
    const med = Object.fromEntries(keys.map((k) => [k, median(list.map((r) => r[k]!))]));
    log(`RATIO engine=${engine}${rounds > 1 ? ` rounds=${list.length} stat=median` : ''} ${ratioLine(med)}`);
  }
  if (!first || !torch) return;
  // The trainable counts of the whole detector and of the part after the cut.
  const k = `xception_finetune${FINE_TUNE_BLOCKS}_params`;
  const same = field(first, 'xception_params') === torch.params && field(first, k) === torch.part_params;
  log(
    `PARAMS model=XceptionBased tfjs=${field(first, 'xception_params')} torch=${torch.params}` +
      ` finetune${FINE_TUNE_BLOCKS}_tfjs=${field(first, k)} finetune${FINE_TUNE_BLOCKS}_torch=${torch.part_params} match=${same ? 'yes' : 'NO'}`,
  );
}

/**
 * Parent side: `rounds` rounds of one child process per engine (each engine owns its process) and PyTorch,
 * the order flipped every other round so that a load change hits both sides alike; RATIO lines per round, then
 * the median over rounds.
 */
export async function benchEngines(options: EngineBenchOptions): Promise<void> {
  const { log, quick } = options;
  const rounds = options.rounds ?? 1;
  let engines: EngineName[] = options.engines ?? ['gpu', 'native', 'wasm', ...(options.withCpu ? (['cpu'] as const) : [])];
  if (!options.withCpu && !engines.includes('cpu')) log('SKIP engine=cpu reason="pure-JS backend needs minutes per step; pass --with-cpu"');
  const perRound = new Map<EngineName, Record<string, number>[]>();
  let firstResult: string | undefined;
  let lastTorch: TorchResult | undefined;
  for (let round = 1; round <= rounds; round++) {
    const tag = rounds > 1 ? ` round=${round}` : '';
    log(`LOAD${tag} ${os.loadavg().map(fmt).join(' ')} (1, 5, 15 min) cores=${os.availableParallelism()}`);
    let results = new Map<EngineName, string>();
    let torch: TorchResult | string;
    if (round % 2 === 1) {
      results = await engineRound(engines, quick, tag, log);
      torch = torchRound(quick, tag, log);
    } else {
      torch = torchRound(quick, tag, log);
      results = await engineRound(engines, quick, tag, log);
    }
    // An engine that cannot load now will not load in a later round.
    engines = engines.filter((e) => results.has(e));
    firstResult ??= [...results.values()].find((r) => r.includes('xception_params='));
    if (typeof torch === 'string') {
      log(`SKIP engine=torch reason=${JSON.stringify(torch)}`);
      return;
    }
    lastTorch = torch;
    for (const [engine, line] of results) {
      const r = ratios(line, torch);
      perRound.set(engine, [...(perRound.get(engine) ?? []), r]);
      if (rounds > 1) log(`RATIO engine=${engine}${tag} ${ratioLine(r)}`);
    }
  }
  summarise(perRound, rounds, firstResult, lastTorch, log);
}
