// Latency of explanations for one 256×256 image: SimpleNet saliency and Grad-CAM, XceptionBased Grad-CAM.
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../engine/select.js';
import { models, type ModelName } from '../../models/registry.js';
import { explain, explainMethods, type ExplainMethod } from './methods.js';

export interface ExplainLatency {
  model: ModelName;
  method: ExplainMethod;
  layer: string | null;
  /** Median milliseconds per explanation (heatmap read back to JS included), after warm-up. */
  medianMs: number;
  minMs: number;
  runs: number;
}

const CASES: { model: ModelName; method: ExplainMethod; runs: number; target: number }[] = [
  { model: 'SimpleNet', method: 'saliency', runs: 15, target: 150 },
  { model: 'SimpleNet', method: 'gradcam', runs: 15, target: 150 },
  { model: 'XceptionBased', method: 'gradcam', runs: 9, target: 1500 },
];

function timeOnce(f: () => void): number {
  const start = performance.now();
  f();
  return performance.now() - start;
}

/**
 * Times each case on the engine initEngine() picks (UNMASK_ENGINE=wasm to force wasm): a seeded model, one
 * random normalised image [1, 256, 256, 3], explained for its prediction; two warm-up calls, then `runs` timed
 * calls. Prints one JSON line per case through `log` (with the engine and the target latency) and returns them.
 */
export async function benchExplain(log: (line: string) => void = console.log): Promise<ExplainLatency[]> {
  const engine = await initEngine();
  const results: ExplainLatency[] = [];
  for (const c of CASES) {
    const entry = models[c.model];
    const model = entry.create({ seed: 0 });
    const x = tf.randomNormal([1, entry.inputSize, entry.inputSize, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const layer = explainMethods[c.method].kind === 'cam' ? entry.camLayer : null;
    const once = (): void => {
      const e = explain(c.method, model, x, layer ? { layer } : {});
      e.heatmap.dataSync();
      tf.dispose([e.heatmap, e.raw, e.logits]);
    };
    once();
    once();
    const ms = Array.from({ length: c.runs }, () => timeOnce(once)).sort((a, b) => a - b);
    const result = { model: c.model, method: c.method, layer, medianMs: ms[Math.floor(ms.length / 2)]!, minMs: ms[0]!, runs: c.runs };
    results.push(result);
    log(
      JSON.stringify({
        ...result,
        medianMs: Math.round(result.medianMs),
        minMs: Math.round(result.minMs),
        targetMs: c.target,
        engine: engine.engine,
        threads: engine.threads,
      }),
    );
    x.dispose();
    model.dispose();
  }
  return results;
}
