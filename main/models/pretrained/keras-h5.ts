// Imports Keras ImageNet weights (.h5 from model.save or save_weights, or a tfjs layers folder) into our Keras-named models.
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import h5wasm from 'h5wasm/node';
import { UnmaskError } from '../../engine/errors.js';
import { assignNamedWeights, type AssignResult, type NamedWeights } from './assign.js';
import { isTfjsFolder, readTfjsFolderWeights } from './tfjs-folder.js';

type H5Group = InstanceType<typeof h5wasm.Group>;

const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** HDF5's 8-byte signature, at offset 0 or after a user block (512, 1024, 2048, … bytes). */
function hasHdf5Signature(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(8);
    for (let offset = 0; offset + 8 <= size; offset = offset === 0 ? 512 : offset * 2) {
      fs.readSync(fd, head, 0, 8, offset);
      if (head.equals(SIGNATURE)) return true;
    }
    return false;
  } finally {
    fs.closeSync(fd);
  }
}

function strings(value: unknown): string[] {
  if (value == null) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.map(String);
  return []; // an empty numeric array: Keras's weight_names of a weightless layer
}

/**
 * Every weight of a Keras HDF5 weights file as 'layer/weight' → tensor (e.g. 'block1_conv1_bn/moving_mean'),
 * in the file's own layer names. Reads both layouts Keras 2 writes: `model.save()` (layer groups under
 * `model_weights/`) and `save_weights()` / the applications' files (layer groups at the root). Each layer group
 * lists its datasets in its `weight_names` attribute ('block1_conv1/kernel:0' → weight 'kernel').
 */
export async function readKerasH5(file: string): Promise<NamedWeights> {
  if (!fs.existsSync(file)) throw new UnmaskError('NOT_FOUND', `no weights file at ${file}`);
  if (!hasHdf5Signature(file)) throw new UnmaskError('BAD_ARGUMENT', `${file} is not an HDF5 file (no HDF5 signature)`);
  await h5wasm.ready;
  let h5: InstanceType<typeof h5wasm.File>;
  try {
    h5 = new h5wasm.File(file, 'r');
  } catch (error) {
    throw new UnmaskError('BAD_ARGUMENT', `${file} is not an HDF5 file: ${(error as Error).message}`, { cause: error });
  }
  const named: NamedWeights = new Map();
  try {
    const modelWeights = h5.get('model_weights');
    const root = (modelWeights instanceof h5wasm.Group ? modelWeights : h5) as H5Group;
    const layerNames = strings(root.attrs['layer_names']?.value);
    if (layerNames.length === 0) {
      const hint = h5.get('layers') instanceof h5wasm.Group ? ' (a Keras 3 .weights.h5 file; save it with Keras 2 / legacy h5 format instead)' : '';
      throw new UnmaskError('BAD_ARGUMENT', `${file} is not a Keras weights file: no layer_names attribute${hint}`);
    }
    for (const layer of layerNames) {
      const group = root.get(layer);
      if (!(group instanceof h5wasm.Group)) throw new UnmaskError('BAD_ARGUMENT', `${file}: layer '${layer}' is listed but has no group`);
      for (const weightName of strings(group.attrs['weight_names']?.value)) {
        const dataset = group.get(weightName);
        if (!(dataset instanceof h5wasm.Dataset)) throw new UnmaskError('BAD_ARGUMENT', `${file}: weight '${weightName}' of layer '${layer}' is missing`);
        const value = dataset.value;
        const shape = dataset.shape ?? [];
        if (!(value instanceof Float32Array || value instanceof Float64Array)) {
          throw new UnmaskError('BAD_ARGUMENT', `${file}: weight '${weightName}' of layer '${layer}' is not floating point (${String(dataset.dtype)})`);
        }
        const short = weightName.split('/').pop()!.replace(/:\d+$/, '');
        named.set(`${layer}/${short}`, tf.tensor(Float32Array.from(value), shape, 'float32'));
      }
    }
    return named;
  } catch (error) {
    tf.dispose([...named.values()]);
    if (error instanceof UnmaskError) throw error;
    throw new UnmaskError('BAD_ARGUMENT', `cannot read the weights in ${file}: ${(error as Error).message}`, { cause: error });
  } finally {
    h5.close();
  }
}

const SHORTCUTS = /^(conv2d|batch_normalization)(?:_(\d+))?$/;

/**
 * Renames Keras's auto-named layers to ours: the Xception shortcut convolutions and batch-norms are `conv2d`,
 * `conv2d_1`… in a fresh Keras session but `conv2d_1`…`conv2d_4` in the official 2017 ImageNet files. They are
 * matched by order (numeric suffix, none = 0) to the model's own layers of that family, so both spellings load
 * (a model with fewer of them, its backbone cut short, takes the first ones).
 */
export function matchAutoNamedLayers(named: NamedWeights, model: tf.LayersModel, source: string): NamedWeights {
  const out: NamedWeights = new Map();
  const families = new Map<string, Map<number, string>>();
  for (const key of named.keys()) {
    const layer = key.slice(0, key.lastIndexOf('/'));
    const m = SHORTCUTS.exec(layer);
    if (m) (families.get(m[1]!) ?? families.set(m[1]!, new Map()).get(m[1]!)!).set(Number(m[2] ?? 0), layer);
  }
  const rename = new Map<string, string>();
  for (const [family, found] of families) {
    const theirs = [...found.entries()].sort((a, b) => a[0] - b[0]).map(([, name]) => name);
    const ours = model.layers.map((l) => l.name).filter((n) => SHORTCUTS.exec(n)?.[1] === family);
    // A backbone cut short (XceptionRegions ends at block 12) has the first of them, in the same order.
    if (theirs.length < ours.length) {
      throw new UnmaskError(
        'BAD_ARGUMENT',
        `${source} has ${theirs.length} '${family}' layers (${theirs.join(', ')}), the model has ${ours.length} (${ours.join(', ')})`,
      );
    }
    theirs.forEach((name, i) => rename.set(name, ours[i]!));
  }
  for (const [key, value] of named) {
    const cut = key.lastIndexOf('/');
    const layer = key.slice(0, cut);
    out.set(`${rename.get(layer) ?? layer}${key.slice(cut)}`, value);
  }
  return out;
}

/**
 * Loads Keras weights into `model` (Xception, XceptionBased, or any model with Keras's layer names): `source` is
 * a `.h5` file (with or without the top) or a tfjs layers model folder. Fills every weight of `layers` (default:
 * every layer with weights); a missing or mis-shaped weight is an UnmaskError naming it, and nothing is written.
 */
export async function importKerasWeights(model: tf.LayersModel, source: string, layers?: tf.layers.Layer[]): Promise<AssignResult> {
  const folder = fs.existsSync(source) && fs.statSync(source).isDirectory();
  if (folder && !isTfjsFolder(source)) throw new UnmaskError('NOT_FOUND', `${source} is a folder without a tfjs model.json`);
  const named = folder ? await readTfjsFolderWeights(source) : await readKerasH5(source);
  try {
    return assignNamedWeights(model, matchAutoNamedLayers(named, model, source), source, layers);
  } finally {
    tf.dispose([...named.values()]);
  }
}
