// Server-side rendering: SVG text holds the title and legend, PNGs have the requested size, sample grids compose.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import { fakesDataset, linkInto, realImages } from '../../data/fixtures.js';
import { confusionFigure, detFigure, lossFigure, softScoreCurves } from './options.js';
import { renderPng, renderSvg, writeFigure } from './render.js';
import { escapeXml, sampleGrid } from './sample-grid.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-figures-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const history = [
  {
    id: 1,
    label: 'run one',
    epochs: [1, 2, 3].map((epoch) => ({
      epoch,
      trainLoss: 1 / epoch,
      trainAcc: 50 + epoch,
      valLoss: 1.2 / epoch,
      valAcc: 49 + epoch,
      testLoss: null,
      testAcc: null,
      seconds: 1,
      imgPerSec: 1,
    })),
  },
];

describe('renderSvg / renderPng / writeFigure', () => {
  it('SVG: an <svg> document of the requested size with the title, axis names and legend text', () => {
    const svg = renderSvg(lossFigure(history), { width: 640, height: 400 });
    assert.ok(svg.startsWith('<svg'), svg.slice(0, 40));
    assert.match(svg, /width="640" height="400"/);
    for (const text of ['Loss', 'run one · train', 'run one · val', 'Epoch', 'Cross-entropy loss']) assert.ok(svg.includes(text), text);
  });

  it('DET SVG carries the percent tick labels', () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({
      path: `${i}`,
      label: (i % 2) as 0 | 1,
      logits: [0, 0] as [number, number],
      probs: [1 - ((i * 7) % 40) / 40, ((i * 7) % 40) / 40] as [number, number],
    }));
    const svg = renderSvg(detFigure(softScoreCurves({ id: 2, label: 'run two' }, rows)), { width: 700, height: 600 });
    for (const text of ['0.1%', '5%', '50%', '99.9%', 'run two', 'AUC']) assert.ok(svg.includes(text), text);
  });

  it('PNG: exactly the requested size, opaque white background', async () => {
    const png = await renderPng(confusionFigure({ tn: 5, fp: 1, fn: 2, tp: 4 }), { width: 320, height: 240 });
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 320, 240]);
    const { data } = await sharp(png).extract({ left: 0, top: 0, width: 1, height: 1 }).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([...data.subarray(0, 3)], [255, 255, 255]);
  });

  it('writeFigure picks the format from the extension and refuses others', async () => {
    const svgFile = path.join(tmp, 'nested', 'loss.svg');
    const pngFile = path.join(tmp, 'loss.PNG');
    await writeFigure(lossFigure(history), svgFile, { width: 400, height: 300 });
    await writeFigure(lossFigure(history), pngFile, { width: 400, height: 300 });
    assert.ok(fs.readFileSync(svgFile, 'utf8').startsWith('<svg'));
    assert.equal((await sharp(pngFile).metadata()).width, 400);
    await assert.rejects(writeFigure(lossFigure(history), path.join(tmp, 'loss.jpg')), /\.svg or \.png/);
    assert.throws(() => renderSvg(lossFigure(history), { width: 0, height: 10 }), /width/);
  });
});

describe('sampleGrid', () => {
  it('N real over N fake tiles with labels; a short class gives a short row', async () => {
    const root = path.join(tmp, 'ds');
    for (const split of ['train', 'val', 'test']) {
      await linkInto(path.join(root, split, 'real'), await realImages(split, 'real', 3));
      await linkInto(path.join(root, split, 'fake'), await realImages(split, 'fake', split === 'test' ? 2 : 1));
    }
    const png = await sampleGrid(root, { split: 'test', perRow: 3, tile: 64 });
    const meta = await sharp(png).metadata();
    assert.equal(meta.format, 'png');
    assert.equal(meta.width, 96 + 3 * 64 + 2 * 6 + 12);
    assert.equal(meta.height, 40 + 2 * 64 + 6 + 12);
    // The third fake tile is missing: that corner stays white; the third real tile is a photo.
    const pixel = async (left: number, top: number) => [...(await sharp(png).extract({ left, top, width: 1, height: 1 }).raw().toBuffer())];
    const x3 = 96 + 2 * 70 + 32;
    assert.deepEqual(await pixel(x3, 40 + 70 + 32), [255, 255, 255]);
    assert.notDeepEqual(await pixel(x3, 40 + 32), [255, 255, 255]);
    await assert.rejects(sampleGrid(root, { perRow: 0 }), /perRow/);
    await assert.rejects(sampleGrid(path.join(tmp, 'missing')), (e: Error & { code?: string }) => e.code === 'NOT_FOUND');
    assert.ok(fs.existsSync(fakesDataset));
  });

  it('escapes text for the SVG overlay', () => {
    assert.equal(escapeXml(`a<b>&"c'`), 'a&lt;b&gt;&amp;&quot;c&apos;');
  });
});
