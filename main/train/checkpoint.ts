// Checkpoints: a model's weights and its optimizer's state in one directory, written atomically.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UnmaskError } from '../engine/errors.js';
import { fileWriteError } from '../store/disk-errors.js';
import type { FusedOptimizer } from './optimizers.js';
import { trainable } from './variables.js';

const FORMAT = 'unmask-checkpoint-1';

interface Entry {
  name: string;
  shape: number[];
  /** Offset in float32 elements into weights.bin. */
  offset: number;
}

interface Manifest {
  format: typeof FORMAT;
  epoch: number;
  optimizerStep: number;
  weights: Entry[];
  /** optimizer slot i of a variable is stored as `${variable}#${i}`. */
  slots: Entry[];
}

function pack(named: [string, tf.Tensor][]): { entries: Entry[]; data: Float32Array[]; size: number } {
  let offset = 0;
  const entries: Entry[] = [];
  const data: Float32Array[] = [];
  for (const [name, t] of named) {
    entries.push({ name, shape: t.shape, offset });
    data.push(t.dataSync() as Float32Array);
    offset += t.size;
  }
  return { entries, data, size: offset };
}

/**
 * Writes `dir/checkpoint.json` + `dir/weights.bin` (every model weight, trainable or not, and every
 * optimizer slot, float32). The directory is written beside, flushed and renamed into place, so a crash
 * mid-write never leaves a half checkpoint where a whole one was. A failed write removes its partial copy and
 * throws DISK_FULL, STORE_READONLY or IO_ERROR naming `dir`.
 */
export function saveCheckpoint(dir: string, model: tf.LayersModel, optimizer: FusedOptimizer, epoch: number): void {
  const weights = pack(model.weights.map((w) => [w.originalName, w.read()]));
  const state = optimizer.getState();
  // Slots are saved under the weights' layer-given names: a variable's own name gains a suffix when another
  // model with the same layer names exists in the process.
  const layerName = new Map(trainable(model).map(([original, v]) => [v.name, original]));
  const slots = pack(Object.entries(state.slots).flatMap(([name, ts]) => ts.map((t, i): [string, tf.Tensor] => [`${layerName.get(name) ?? name}#${i}`, t])));
  slots.entries.forEach((e) => (e.offset += weights.size));
  const manifest: Manifest = { format: FORMAT, epoch, optimizerStep: state.step, weights: weights.entries, slots: slots.entries };
  const tmp = `${dir}.tmp-${process.pid}`;
  try {
    writeDirectory(tmp, [...weights.data, ...slots.data], JSON.stringify(manifest));
    replaceDirectory(tmp, dir);
  } catch (error) {
    // Never leave a partial checkpoint behind: it is not registered anywhere, and on a full disk its space
    // is what lets the run still be marked failed. Best effort: a read-only folder keeps it, unregistered.
    try {
      fs.rmSync(tmp, { recursive: true, force: true });
    } catch {
      // left for a writable moment; its name (.tmp-PID) never matches a checkpoint's
    }
    throw fileWriteError(error, dir, 'checkpoint');
  }
}

/** Writes `tmp/weights.bin` (the chunks in order) and `tmp/checkpoint.json`, both flushed to the disk. */
function writeDirectory(tmp: string, chunks: Float32Array[], manifest: string): void {
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  const write = (name: string, parts: Uint8Array[]): void => {
    const fd = fs.openSync(path.join(tmp, name), 'w');
    try {
      for (const part of parts) {
        // A write may stop short (the disk filled up mid-call); the next one then reports why.
        for (let done = 0; done < part.byteLength;) done += fs.writeSync(fd, part, done);
      }
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  };
  write(
    'weights.bin',
    chunks.map((c) => new Uint8Array(c.buffer, c.byteOffset, c.byteLength)),
  );
  write('checkpoint.json', [Buffer.from(manifest)]);
}

/** Renames `tmp` to `dir` (moving an existing `dir` aside first) and flushes the parent folder's entries. */
function replaceDirectory(tmp: string, dir: string): void {
  const old = `${dir}.old-${process.pid}`;
  const hadOld = fs.existsSync(dir);
  if (hadOld) fs.renameSync(dir, old);
  try {
    fs.renameSync(tmp, dir);
  } catch (error) {
    if (hadOld) fs.renameSync(old, dir);
    throw error;
  }
  fsyncFolder(path.dirname(dir)); // the rename itself must reach the disk before the store records the path
  fs.rmSync(old, { recursive: true, force: true });
}

function fsyncFolder(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch {
    return; // Windows cannot open a folder; NTFS journals renames itself
  }
  try {
    fs.fsyncSync(fd);
  } catch (error) {
    if (!['EINVAL', 'EPERM', 'EISDIR'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Loads a checkpoint into `model` (weights matched by name; a missing or mis-shaped one is an error naming
 * it) and, when given, `optimizer`. Returns the epoch the checkpoint was taken after.
 */
export function loadCheckpoint(dir: string, model: tf.LayersModel, optimizer?: FusedOptimizer): number {
  const manifestPath = path.join(dir, 'checkpoint.json');
  if (!fs.existsSync(manifestPath)) throw new UnmaskError('NOT_FOUND', `no checkpoint at ${dir}`);
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as Manifest;
  if (manifest.format !== FORMAT) throw new UnmaskError('BAD_ARGUMENT', `${dir}: unknown checkpoint format ${manifest.format}`);
  const buffer = fs.readFileSync(path.join(dir, 'weights.bin'));
  const all = new Float32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 4);
  const read = (e: Entry): tf.Tensor => {
    const size = e.shape.reduce((a, b) => a * b, 1);
    return tf.tensor(all.slice(e.offset, e.offset + size), e.shape);
  };
  const byName = new Map(manifest.weights.map((e) => [e.name, e]));
  const values = model.weights.map((w) => {
    const entry = byName.get(w.originalName);
    if (!entry) throw new UnmaskError('BAD_ARGUMENT', `checkpoint ${dir} has no weight '${w.originalName}'`);
    if (entry.shape.join() !== w.shape.join()) {
      throw new UnmaskError('BAD_ARGUMENT', `checkpoint weight '${w.originalName}' has shape [${entry.shape}], the model wants [${w.shape}]`);
    }
    return read(entry);
  });
  model.setWeights(values);
  tf.dispose(values);
  if (optimizer) {
    const variableName = new Map(trainable(model).map(([original, v]) => [original, v.name]));
    const slots: Record<string, tf.Tensor[]> = {};
    for (const e of manifest.slots) {
      const [name, index] = e.name.split('#') as [string, string];
      (slots[variableName.get(name) ?? name] ??= [])[Number(index)] = read(e);
    }
    optimizer.setState(
      { step: manifest.optimizerStep, slots },
      trainable(model).map(([, v]) => v),
    );
    tf.dispose(Object.values(slots).flat());
  }
  return manifest.epoch;
}
