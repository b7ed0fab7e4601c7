// The jet colour map, de-normalisation, overlays, PNG encoding and the explanation grid.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { normalise } from '../../data/index.js';
import { initEngine } from '../../engine/select.js';
import { explainGrid, renderGrid } from './grid.js';
import { assertClose, dense, setWeights, values } from './test-fixtures.js';
import { colourise, denormalise, encodePng, jet, overlay } from './visualise.js';

describe('jet colour map', () => {
  it('runs from dark blue to dark red through matplotlib’s breakpoints', () => {
    assert.deepEqual(jet(0), [0, 0, 0.5]);
    assert.deepEqual(jet(1), [0.5, 0, 0]);
    assert.deepEqual(jet(-3), [0, 0, 0.5]);
    assert.deepEqual(jet(7), [0.5, 0, 0]);
    // matplotlib: jet(0.5) = (0.4838709677419355, 1.0, 0.4838709677419356); jet(0.25) g = 0.5, b = 1.
    assertClose(jet(0.5), [0.4838709677419355, 1, 0.4838709677419356], 1e-12, 'jet(0.5)');
    assertClose(jet(0.25), [0, 0.5, 1], 1e-12, 'jet(0.25)');
    assert.deepEqual(Array.from(colourise(Float32Array.of(0, 1))), [0, 0, 128, 128, 0, 0]);
  });
});

describe('overlays', () => {
  const bytes = Uint8Array.from(values(256 * 256 * 3, 31), (v) => Math.floor((v + 1) * 127.5));
  const heat = Float32Array.from(values(256 * 256, 32), (v) => (v + 1) / 2);

  it('de-normalises the model input back to [0, 1] pixels', () => {
    const rgb = denormalise(normalise(bytes));
    assertClose(
      rgb,
      Float32Array.from(bytes, (b) => b / 255),
      1e-5,
      'rgb',
    );
    const clipped = denormalise(Float32Array.of(-100, 100, 0));
    assert.deepEqual(Array.from(clipped), [0, 1, Math.fround(0.4465)]);
  });

  it('is uint8 256×256×3: alpha · jet + (1 − alpha) · image, scaled by its maximum', async () => {
    const rgb = denormalise(normalise(bytes));
    const out = overlay(rgb, heat);
    assert.ok(out instanceof Uint8Array);
    assert.equal(out.length, 256 * 256 * 3);
    assert.equal(
      out.reduce((m, v) => Math.max(m, v), 0),
      255,
    );
    const imageOnly = overlay(rgb, heat, { alpha: 0 });
    const max = rgb.reduce((m, v) => Math.max(m, v), 0);
    assert.ok(imageOnly.every((v, i) => Math.abs(v - (rgb[i]! / max) * 255) <= 0.5 + 1e-3));
    const colourOnly = overlay(
      rgb,
      Float32Array.from({ length: 256 * 256 }, () => 1),
      { alpha: 1 },
    );
    assert.deepEqual(Array.from(colourOnly.slice(0, 3)), [255, 0, 0]); // dark red, rescaled by the max
    const png = await encodePng(out, 256, 256);
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height, meta.channels], ['png', 256, 256, 3]);
  });
});

describe('explanation grid', () => {
  before(async () => {
    await initEngine({ requested: 'wasm' });
  });

  it('renders labelled rows of tiles to a PNG of the expected size', async () => {
    const tile = new Uint8Array(32 * 32 * 3).fill(200);
    const png = await renderGrid(
      [
        { label: 'true: fake · predicted: <real> & 0.7', tiles: [tile, tile, tile] },
        { label: 'b', tiles: [tile] },
      ],
      {
        tileSize: 32,
        columns: ['image', 'saliency', 'Grad-CAM'],
      },
    );
    const meta = await sharp(png).metadata();
    // width 8 + 3 · (32 + 8); height 8 + 22 (titles) + 2 · (22 + 32 + 8)
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 128, 154]);
  });

  it('explains each image with saliency and Grad-CAM', async () => {
    const input = tf.input({ shape: [16, 16, 3] });
    const c1 = tf.layers.conv2d({ filters: 2, kernelSize: 3, strides: 2, activation: 'relu', name: 'c1' }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({
      inputs: input,
      outputs: dense(2, 'out').apply(tf.layers.globalAveragePooling2d({}).apply(c1) as tf.SymbolicTensor) as tf.SymbolicTensor,
    });
    setWeights(model, { 'c1/kernel': values(54, 33), 'c1/bias': [0.1, 0.1], 'out/kernel': values(4, 34), 'out/bias': [0, 0] });
    const before = tf.memory().numTensors;
    const png = await explainGrid(model, [{ input: values(16 * 16 * 3, 35), label: 1 }, { input: values(16 * 16 * 3, 36) }], 'c1');
    assert.equal(tf.memory().numTensors, before);
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.width, meta.height], [8 + 3 * 24, 8 + 22 + 2 * (22 + 16 + 8)]);
    model.dispose();
  });
});
