// `unmask explain`: a saliency or CAM overlay of one image for a trained run, written as PNG, plus one JSON line.
import fs from 'node:fs';
import path from 'node:path';
import { UnmaskError } from '../engine/errors.js';
import type { COMMANDS } from './commands.js';
import { checkpointKind, runId as parseRunId } from './score.js';
import type { ParsedCommand } from './spec.js';
import { openStore } from './train.js';

/**
 * Runs `unmask explain`: loads the run's checkpoint, explains the image (decoded to [1, 256, 256, 3], normalised)
 * for the target class, writes the 256 × 256 overlay PNG to --out and prints one JSON line. Returns the exit code.
 */
export async function explainCommand({ values }: ParsedCommand<typeof COMMANDS.explain.options>): Promise<number> {
  const runId = parseRunId(values.run);
  if (!values.image) throw new UnmaskError('BAD_ARGUMENT', '--image is required');
  if (!values.out) throw new UnmaskError('BAD_ARGUMENT', '--out is required');
  if (!values.method) throw new UnmaskError('BAD_ARGUMENT', '--method is required');
  const kind = checkpointKind(values.checkpoint);
  const image = path.resolve(values.image);
  if (!fs.existsSync(image)) throw new UnmaskError('NOT_FOUND', `no image at ${image}`);

  const [{ initEngine }, { loadRunModel }, { explainImage }] = await Promise.all([
    import('../engine/select.js'),
    import('../analysis/run-model.js'),
    import('../analysis/explain/explain-image.js'),
  ]);
  await initEngine();
  const { store } = openStore(values.db);
  let loaded;
  try {
    loaded = loadRunModel(store, runId, kind);
  } finally {
    store.close();
  }
  try {
    const target = values.target as 'predicted' | 'real' | 'fake';
    const cropFaces = values['crop-faces'] === true || loaded.run.params.cropFaces === true;
    const result = await explainImage(loaded.model, { image, method: values.method, layer: values.layer, target, cropFaces }, loaded.entry.camLayer);
    const out = path.resolve(values.out);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, result.png);
    const { png: _png, ms, ...rest } = result;
    process.stdout.write(`${JSON.stringify({ run: runId, image, ...rest, ms: Math.round(ms * 10) / 10, out })}\n`);
    return 0;
  } finally {
    loaded.model.dispose();
  }
}
