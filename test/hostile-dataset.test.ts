// Hostile dataset folders: odd file names and a 20,000-file folder are scanned, reported and trained on, never fatal.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { scanDataset } from '../main/data/index.js';
import { fakesDataset } from '../main/data/fixtures.js';

const source = path.join(fakesDataset, 'train');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-hostile-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const images = (cls: string, n: number): string[] =>
  fs
    .readdirSync(path.join(source, cls))
    .sort()
    .slice(0, n)
    .map((f) => path.join(source, cls, f));

describe('hostile file names', () => {
  it('a non-UTF-8 name and a 250-byte name are either kept or reported, never fatal', async () => {
    const dir = path.join(tmp, 'names');
    for (const cls of ['real', 'fake']) {
      const to = path.join(dir, cls);
      fs.mkdirSync(to, { recursive: true });
      for (const [i, file] of images(cls, 8).entries()) fs.copyFileSync(file, path.join(to, `${i}.jpg`));
    }
    const latin1 = Buffer.concat([Buffer.from(path.join(dir, 'real') + path.sep), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x6a, 0x70, 0x67])]); // "café.jpg" in Latin-1
    fs.copyFileSync(images('real', 9)[8]!, latin1);
    const long = path.join(dir, 'fake', `${'x'.repeat(246)}.jpg`);
    fs.copyFileSync(images('fake', 9)[8]!, long);
    const scan = await scanDataset(dir, { seed: 1 });
    const kept = Object.values(scan.splits).flatMap((s) => s.samples.map((x) => x.path));
    assert.ok(kept.includes(long), 'the long name is a valid image and is kept');
    const latinSeen = kept.some((p) => p.includes('caf')) || scan.bad.some((b) => b.path.includes('caf'));
    assert.ok(latinSeen, 'the Latin-1 name is either kept or listed as bad');
    assert.equal(scan.counts.real + scan.counts.fake + scan.bad.length, 18);
  });
});

describe('a folder of 20,000 files', () => {
  it('scans in seconds, with every file accounted for', async () => {
    const dir = path.join(tmp, 'many');
    const real = images('real', 50);
    const fake = images('fake', 50);
    for (const [cls, list] of [
      ['real', real],
      ['fake', fake],
    ] as const) {
      fs.mkdirSync(path.join(dir, cls), { recursive: true });
      for (let i = 0; i < 10_000; i++) fs.symlinkSync(list[i % list.length]!, path.join(dir, cls, `img${String(i).padStart(5, '0')}.jpg`));
    }
    const started = performance.now();
    const scan = await scanDataset(dir, { seed: 3 });
    const seconds = (performance.now() - started) / 1000;
    console.log(`# scanned 20,000 files in ${seconds.toFixed(1)} s`);
    assert.equal(scan.counts.real, 10_000);
    assert.equal(scan.counts.fake, 10_000);
    assert.equal(scan.bad.length, 0);
    assert.deepEqual([scan.splits.train.counts.real, scan.splits.val.counts.real, scan.splits.test.counts.real], [7000, 1500, 1500]);
  });
});
