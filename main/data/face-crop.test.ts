// Face crops of raw photos: the crop box arithmetic, and the real detector finding a face placed in a larger photo.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { initEngine } from '../engine/select.js';
import { FaceDataset } from './dataset.js';
import { decodeImage } from './decode.js';
import { FaceCropper, faceCropBox } from './face-crop.js';
import { cleanup, realImages, tmpDir } from './fixtures.js';

describe('faceCropBox', () => {
  it('is 1.3 × the longer side, centred on the box (hand-computed)', () => {
    // centre (120, 80), side round(1.3 × 60) = 78 → left 120 − 39 = 81, top 80 − 39 = 41
    assert.deepEqual(faceCropBox({ x: 100, y: 50, width: 40, height: 60 }, 400, 300), { left: 81, top: 41, side: 78 });
  });

  it('moves a crop that would leave the photo back inside, and shrinks one larger than the photo', () => {
    // side 130 around (20, 30) would start at (−45, −35): moved to (0, 0)
    assert.deepEqual(faceCropBox({ x: -30, y: -20, width: 100, height: 100 }, 400, 300), { left: 0, top: 0, side: 130 });
    // side 130 near the bottom-right corner ends at the edge
    assert.deepEqual(faceCropBox({ x: 350, y: 250, width: 100, height: 100 }, 400, 300), { left: 270, top: 170, side: 130 });
    // a face box as tall as the photo: the crop is the photo's shorter side
    assert.deepEqual(faceCropBox({ x: 150, y: 0, width: 200, height: 300 }, 400, 300), { left: 100, top: 0, side: 300 });
  });
});

describe('FaceCropper (real face detector)', () => {
  let dir: string;
  let photo: string;
  let blank: string;
  before(async () => {
    await initEngine();
    dir = await tmpDir('face-crop');
    const [face] = await realImages('test', 'real', 1);
    // A 256 px face photo placed at (400, 150) on a 900 × 600 grey "raw photo".
    photo = path.join(dir, 'raw.jpg');
    await sharp({ create: { width: 900, height: 600, channels: 3, background: { r: 120, g: 120, b: 120 } } })
      .composite([{ input: face!, left: 400, top: 150 }])
      .jpeg({ quality: 95 })
      .toFile(photo);
    blank = path.join(dir, 'blank.png');
    await sharp({ create: { width: 500, height: 400, channels: 3, background: { r: 90, g: 140, b: 200 } } })
      .png()
      .toFile(blank);
  });
  after(() => cleanup(dir));

  it('crops the largest face with its margin, inside the placed face photo', async () => {
    const cropper = new FaceCropper();
    const box = await cropper.findFace(photo);
    assert.ok(box, 'a face is found');
    const centre = { x: box.left + box.side / 2, y: box.top + box.side / 2 };
    assert.ok(centre.x > 400 && centre.x < 656 && centre.y > 150 && centre.y < 406, JSON.stringify(box));
    assert.ok(box.side > 60 && box.side <= 600, JSON.stringify(box));
    const pixels = await cropper.decode(photo);
    assert.equal(pixels.length, 256 * 256 * 3);
    const expected = await sharp(photo)
      .extract({ left: box.left, top: box.top, width: box.side, height: box.side })
      .resize(256, 256)
      .removeAlpha()
      .raw()
      .toBuffer();
    assert.deepEqual(Buffer.from(pixels), expected);
    assert.equal(cropper.faceless.size, 0);
  });

  it('lists an image without a face and decodes it whole, as without cropping', async () => {
    const cropper = new FaceCropper();
    const pixels = await cropper.decode(blank);
    assert.deepEqual([...cropper.faceless], [blank]);
    assert.deepEqual(pixels, await decodeImage(blank));
  });

  it('is how a dataset built with it decodes its images', async () => {
    const cropper = new FaceCropper();
    const set = new FaceDataset(
      [
        { path: photo, label: 0 },
        { path: blank, label: 1 },
      ],
      'raw',
      { faceCropper: cropper },
    );
    assert.deepEqual(await set.raw(0), await new FaceCropper().decode(photo));
    const reals = set.filter((s) => s.label === 0);
    assert.equal(reals.faceCropper, cropper);
    await set.raw(1);
    assert.deepEqual([...cropper.faceless], [blank]);
  });
});
