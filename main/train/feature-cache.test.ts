// The feature cache's backbone key: what the frozen layers compute, not how the model was created.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../engine/select.js';
import { createSimpleNet } from '../models/simplenet.js';
import { PART_BOXES_VERSION } from '../data/face-parts.js';
import { faceDetectorVersion } from '../data/faces.js';
import { backboneHash } from './feature-cache.js';

const keyOf = (model: tf.LayersModel): string => backboneHash(model.name, 'flatten', model.layers.slice(0, 7));

describe('backboneHash', () => {
  before(async () => {
    await initEngine({ requested: 'cpu' });
  });

  it('is the same for the same weights whatever seed the model was created with, or its layers’ trainable flags', () => {
    const a = createSimpleNet({ seed: 1 });
    const b = createSimpleNet({ seed: 2 });
    assert.notEqual(keyOf(a), keyOf(b), 'other weights, another key');
    b.setWeights(a.getWeights());
    b.layers.forEach((l) => (l.trainable = false));
    assert.equal(keyOf(b), keyOf(a));
    const c = createSimpleNet();
    c.setWeights(a.getWeights());
    assert.equal(keyOf(c), keyOf(a));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('changes with one weight, with what a layer computes, and with the feature layer', () => {
    const a = createSimpleNet({ seed: 1 });
    const b = createSimpleNet({ seed: 1 });
    assert.equal(keyOf(b), keyOf(a));
    const kernel = b.getLayer('conv2').getWeights()[0]!;
    const values = kernel.dataSync().slice();
    values[5] = values[5]! + 1e-6;
    b.getLayer('conv2').setWeights([tf.tensor(values, kernel.shape), b.getLayer('conv2').getWeights()[1]!]);
    assert.notEqual(keyOf(b), keyOf(a));
    assert.notEqual(backboneHash(a.name, 'pool3', a.layers.slice(0, 7)), keyOf(a));
    const c = createSimpleNet({ seed: 1 });
    (c.getLayer('pool2') as unknown as { padding: string }).padding = 'same';
    assert.notEqual(keyOf(c), keyOf(a), "pool2's padding is part of what it computes");
    [a, b, c].forEach((m) => m.dispose());
  });

  it('changes with what else decides the inputs (face-part boxes), and keeps the key of a model without any', () => {
    const a = createSimpleNet({ seed: 1 });
    const layers = a.layers.slice(0, 7);
    assert.equal(backboneHash(a.name, 'flatten', layers, ''), keyOf(a), 'no inputs: the key caches written before stay valid');
    const boxes = backboneHash(a.name, 'flatten', layers, `${faceDetectorVersion()}\n${PART_BOXES_VERSION}`);
    assert.notEqual(boxes, keyOf(a));
    assert.notEqual(backboneHash(a.name, 'flatten', layers, `${faceDetectorVersion()}\n${PART_BOXES_VERSION}:other`), boxes);
    a.dispose();
  });
});
