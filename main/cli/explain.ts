// `unmask explain`: a saliency or CAM overlay of one image for a trained run, written as PNG, plus one JSON line.
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { UnmaskError } from '../engine/errors.js';
import { openStore, storeOptions } from './train.js';

const TARGETS = ['real', 'fake', 'predicted'] as const;
const CLASS_NAMES = ['real', 'fake'] as const;

const USAGE =
  'usage: unmask explain --run RUN --image PATH --method METHOD [--layer NAME] [--checkpoint best|last] ' +
  '[--target real|fake|predicted] --out FILE.png [--db FILE]';

/**
 * Runs `unmask explain`: loads the run's checkpoint, explains the image (decoded to [1, 256, 256, 3], normalised)
 * for the target class, writes the 256 × 256 overlay PNG to --out and prints one JSON line. Returns the exit code.
 */
export async function explainCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      run: { type: 'string' },
      image: { type: 'string' },
      method: { type: 'string' },
      layer: { type: 'string' },
      checkpoint: { type: 'string', default: 'best' },
      target: { type: 'string', default: 'predicted' },
      out: { type: 'string' },
      ...storeOptions,
    },
  });
  const { EXPLAIN_METHODS, explainMethods, featureMapLayers, isExplainMethod, denormalise, encodePng, overlay, upsampleMaps } = await import(
    '../analysis/explain/index.js'
  );
  const runId = Number(values.run);
  if (!values.run || !Number.isInteger(runId)) throw new UnmaskError('BAD_ARGUMENT', `--run must be a run id\n${USAGE}`);
  if (!values.image) throw new UnmaskError('BAD_ARGUMENT', `--image is required\n${USAGE}`);
  if (!values.out) throw new UnmaskError('BAD_ARGUMENT', `--out is required\n${USAGE}`);
  const method = values.method ?? '';
  if (!isExplainMethod(method)) throw new UnmaskError('BAD_ARGUMENT', `unknown method '${method}'; choose one of ${EXPLAIN_METHODS.join(', ')}`);
  const entry = explainMethods[method];
  if (values.layer != null && entry.kind !== 'cam') throw new UnmaskError('BAD_ARGUMENT', `--layer applies only to CAM methods, not ${method}`);
  const kind = values.checkpoint;
  if (kind !== 'best' && kind !== 'last') throw new UnmaskError('BAD_ARGUMENT', `--checkpoint must be best or last, got '${kind}'`);
  const targetName = values.target as string;
  if (!(TARGETS as readonly string[]).includes(targetName)) {
    throw new UnmaskError('BAD_ARGUMENT', `--target must be one of ${TARGETS.join(', ')}, got '${targetName}'`);
  }
  const image = path.resolve(values.image);
  if (!fs.existsSync(image)) throw new UnmaskError('NOT_FOUND', `no image at ${image}`);

  const { store } = openStore(values.db);
  let run;
  let checkpoints;
  try {
    run = store.getRun(runId);
    checkpoints = store.getCheckpoints(runId);
  } finally {
    store.close();
  }
  const checkpoint = checkpoints.find((c) => c.kind === kind);
  if (!checkpoint) {
    const others = checkpoints.map((c) => `--checkpoint ${c.kind}`).join(' or ');
    throw new UnmaskError('NOT_FOUND', `run ${runId} has no '${kind}' checkpoint${others ? ` (try ${others})` : ''}`);
  }

  const [{ initEngine }, { isModelName, models }, { loadCheckpoint }, { decodeImage, normalise, IMAGE_SIZE: side }] = await Promise.all([
    import('../engine/select.js'),
    import('../models/registry.js'),
    import('../train/checkpoint.js'),
    import('../data/index.js'),
  ]);
  if (!isModelName(run.model)) throw new UnmaskError('BAD_ARGUMENT', `run ${runId} has unknown model '${run.model}'`);
  await initEngine();
  const model = models[run.model].create();
  try {
    loadCheckpoint(checkpoint.path, model);
    if (model.outputs[0]!.shape[1] !== 2) throw new UnmaskError('BAD_ARGUMENT', `${run.model} is not a real/fake detector (its output is not [batch, 2])`);
    let layer: string | null = null;
    if (entry.kind === 'cam') {
      layer = values.layer ?? models[run.model].camLayer;
      const choices = featureMapLayers(model);
      if (!choices.includes(layer)) throw new UnmaskError('BAD_ARGUMENT', `unknown layer '${layer}' of ${run.model}; choose one of ${choices.join(', ')}`);
    }
    const input = normalise(await decodeImage(image));
    // Images decode to 256 × 256; a model trained at another side sees them resized, and its map is resized back.
    const size = model.inputs[0]!.shape[1] ?? side;
    const x = tf.tidy(() => {
      const t = tf.tensor4d(input, [1, side, side, 3]);
      return size === side ? t : tf.image.resizeBilinear(t, [size, size], false);
    });
    const target = targetName === 'predicted' ? 'predicted' : CLASS_NAMES.indexOf(targetName as 'real' | 'fake');
    const started = performance.now();
    const result = entry.explain(model, x, { target, ...(layer ? { layer } : {}) });
    const heatmap = size === side ? result.heatmap : upsampleMaps(result.heatmap, side, side);
    const map = (await heatmap.data()) as Float32Array;
    const ms = performance.now() - started;
    const logits = Array.from(await result.logits.data());
    const softmax = tf.softmax(result.logits);
    const probs = Array.from(softmax.dataSync());
    tf.dispose([x, result.heatmap, result.raw, result.logits, heatmap, softmax]);

    const out = path.resolve(values.out);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, await encodePng(overlay(denormalise(input), map), side, side));
    const predicted = logits[1]! > logits[0]! ? 1 : 0;
    const line = {
      run: runId,
      image,
      method,
      layer,
      target: CLASS_NAMES[result.targets[0]!],
      prediction: CLASS_NAMES[predicted],
      scores: { real: probs[0], fake: probs[1] },
      logits,
      ms: Math.round(ms * 10) / 10,
      out,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
    return 0;
  } finally {
    model.dispose();
  }
}
