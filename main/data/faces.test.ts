// The face detector on real photos (one face, none, two), and the landmark cache in front of it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { initEngine } from '../engine/select.js';
import { FaceFinder } from './face-cache.js';
import { faceDetectorVersion, loadFaceDetector, type Face, type FaceDetector } from './faces.js';
import { cleanup, realImages, tmpDir } from './fixtures.js';
import { decodeImage } from './decode.js';

const inside = (f: Face, x: number, y: number, margin: number) =>
  x >= f.box.x - margin && x <= f.box.x + f.box.width + margin && y >= f.box.y - margin && y <= f.box.y + f.box.height + margin;

describe('face detection', () => {
  let detector: FaceDetector;
  let photos: string[];
  let dir: string;
  before(async () => {
    await initEngine();
    detector = await loadFaceDetector();
    photos = await realImages('test', 'real', 2);
    dir = await tmpDir('faces');
  });
  after(() => cleanup(dir));

  it('finds the one face of a face photo, its 68 landmarks inside the box, eyes above the mouth', async () => {
    const faces = await detector.detect(await decodeImage(photos[0]!), 256, 256);
    assert.equal(faces.length, 1);
    const [f] = faces as [Face];
    assert.ok(f.score > 0.8 && f.box.width > 60 && f.box.width < 256, JSON.stringify(f.box));
    assert.equal(f.landmarks.length, 136);
    for (let i = 0; i < 68; i++) assert.ok(inside(f, f.landmarks[2 * i]!, f.landmarks[2 * i + 1]!, 0.25 * f.box.width), `landmark ${i} outside the box`);
    const eyeY = (f.landmarks[2 * 36 + 1]! + f.landmarks[2 * 45 + 1]!) / 2;
    assert.ok(eyeY < f.landmarks[2 * 51 + 1]! && f.landmarks[2 * 36]! < f.landmarks[2 * 45]!, 'eyes above the mouth, image-left eye first');
  });

  it('is named by its package version and settings, the same name before its models load', () => {
    assert.match(detector.version, /^face-api-\d+\.\d+\.\d+:ssd_mobilenetv1@0\.4:landmark68$/);
    assert.equal(faceDetectorVersion(), detector.version);
  });

  it('finds no face in a picture without one', async () => {
    const noise = Uint8Array.from({ length: 256 * 256 * 3 }, (_, i) => (i * 2654435761) >>> 24);
    assert.deepEqual(await detector.detect(noise, 256, 256), []);
  });

  it('finds both faces of two photos side by side, the larger first', async () => {
    const [a, b] = await Promise.all(photos.map((p) => sharp(p).resize(256, 256).toBuffer()));
    const small = await sharp(b!).resize(200, 200).toBuffer();
    const { data } = await sharp({ create: { width: 512, height: 256, channels: 3, background: { r: 128, g: 128, b: 128 } } })
      .composite([
        { input: a!, left: 0, top: 0 },
        { input: small, left: 300, top: 28 },
      ])
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const faces = await detector.detect(new Uint8Array(data), 512, 256);
    assert.equal(faces.length, 2);
    assert.ok(faces[0]!.box.x < 256 && faces[1]!.box.x > 300, 'the larger (left) face first');
  });

  it('FaceFinder asks the detector once per image, remembers faceless images, and reads its disk cache back', async () => {
    let calls = 0;
    const stub: FaceDetector = {
      version: 'stub-1',
      detect: async (rgb) => {
        calls++;
        return rgb[0] === 0 ? [] : [{ box: { x: 1, y: 2, width: 3, height: 4 }, score: 0.9, landmarks: Array.from({ length: 136 }, (_, k) => k) }];
      },
    };
    const face = new Uint8Array(256 * 256 * 3).fill(7);
    const blank = new Uint8Array(256 * 256 * 3);
    const finder = new FaceFinder(dir, async () => stub);
    assert.equal((await finder.landmarks(face))![5], 5);
    assert.equal(await finder.landmarks(blank), null);
    // The same pixels in another buffer: the remembered answer, no second detection.
    assert.equal(await finder.landmarks(face.slice()), await finder.landmarks(face));
    assert.equal(calls, 2);
    assert.equal(finder.faceless, 1);
    const files = fs.readdirSync(path.join(dir, 'stub-1'));
    assert.equal(files.length, 2);
    const again = new FaceFinder(dir, async () => stub);
    assert.deepEqual(
      await again.landmarks(face),
      Array.from({ length: 136 }, (_, k) => k),
    );
    assert.equal(await again.landmarks(blank), null);
    assert.equal(calls, 2, 'a second finder reads both answers from disk');
  });
});
