// Tests of scanDataset: layout detection, labels, stable derived split, and every kind of bad input.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { UnmaskError } from '../engine/errors.js';
import { bombPng, cleanup, linkInto, realImages, tmpDir } from './fixtures.js';
import { stableSplit } from './layout.js';
import { scanDataset } from './scan.js';
import type { DatasetScan } from './types.js';

let tmp = '';
let reals: string[] = [];
let fakes: string[] = [];
before(async () => {
  tmp = await tmpDir('scan');
  reals = await realImages('train', 'real', 20);
  fakes = await realImages('train', 'fake', 20);
});
after(() => cleanup(tmp));

/** Builds <root>/<split>/<cls>/ from per-folder counts, linking real dataset images. */
async function build(root: string, plan: Record<string, [string, number][]>): Promise<void> {
  for (const [split, folders] of Object.entries(plan)) {
    for (const [cls, count] of folders) {
      const src = cls.includes('real') ? reals : fakes;
      await linkInto(path.join(root, split, cls), src.slice(0, count));
    }
  }
}

function assertLabels(scan: DatasetScan, realDir: string): void {
  for (const s of Object.values(scan.splits).flatMap((x) => x.samples)) {
    const isReal = path.basename(path.dirname(s.path)) === realDir;
    assert.equal(s.label, isReal ? 0 : 1, s.path);
  }
}

async function rejects(promise: Promise<unknown>, code: string, mention: string): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof UnmaskError, String(e));
    assert.equal(e.code, code);
    assert.ok(e.message.includes(mention), `"${e.message}" should mention ${mention}`);
    return true;
  });
}

describe('layouts', () => {
  test('train/val/test with real/fake', async () => {
    const root = path.join(tmp, 'splits');
    await build(root, {
      train: [
        ['real', 3],
        ['fake', 2],
      ],
      val: [
        ['real', 1],
        ['fake', 1],
      ],
      test: [
        ['real', 1],
        ['fake', 2],
      ],
    });
    const scan = await scanDataset(root);
    assert.deepEqual(scan.layout, { splits: 'folders', classes: 'real/fake' });
    assert.deepEqual(scan.splits.train.counts, { real: 3, fake: 2, total: 5 });
    assert.deepEqual(scan.splits.val.counts, { real: 1, fake: 1, total: 2 });
    assert.deepEqual(scan.splits.test.counts, { real: 1, fake: 2, total: 3 });
    assert.deepEqual(scan.counts, { real: 5, fake: 5, total: 10 });
    assert.equal(scan.splits.train.fakeToReal, 2 / 3);
    assert.equal(scan.splits.test.fakeShare, 2 / 3);
    assert.equal(scan.fakeToReal, 1);
    assert.deepEqual(scan.bad, []);
    assertLabels(scan, 'real');
  });

  test('CNNDetection 0_real/1_fake inside train/val/test, and flat', async () => {
    const root = path.join(tmp, 'cnn');
    await build(root, {
      train: [
        ['0_real', 2],
        ['1_fake', 3],
      ],
      val: [
        ['0_real', 1],
        ['1_fake', 1],
      ],
      test: [
        ['0_real', 1],
        ['1_fake', 1],
      ],
    });
    const scan = await scanDataset(root);
    assert.deepEqual(scan.layout, { splits: 'folders', classes: '0_real/1_fake' });
    assert.deepEqual(scan.splits.train.counts, { real: 2, fake: 3, total: 5 });
    assertLabels(scan, '0_real');

    const flat = path.join(tmp, 'cnn-flat');
    await build(flat, {
      '.': [
        ['0_real', 20],
        ['1_fake', 20],
      ],
    });
    const flatScan = await scanDataset(flat);
    assert.deepEqual(flatScan.layout, { splits: 'derived', classes: '0_real/1_fake' });
    assert.equal(flatScan.counts.total, 40);
    assertLabels(flatScan, '0_real');
  });

  test('flat real/fake is split 70/15/15 per class', async () => {
    const root = path.join(tmp, 'flat');
    await build(root, {
      '.': [
        ['real', 20],
        ['fake', 20],
      ],
    });
    const scan = await scanDataset(root, { seed: 7 });
    assert.deepEqual(scan.layout, { splits: 'derived', classes: 'real/fake' });
    assert.deepEqual(scan.splits.train.counts, { real: 14, fake: 14, total: 28 });
    assert.deepEqual(scan.splits.val.counts, { real: 3, fake: 3, total: 6 });
    assert.deepEqual(scan.splits.test.counts, { real: 3, fake: 3, total: 6 });
    assertLabels(scan, 'real');
  });
});

describe('stable split', () => {
  const keys = Array.from({ length: 1000 }, (_, i) => `sub${i % 7}/face_${i}.jpg`);

  test('same files land in the same split whatever the listing order', () => {
    const base = stableSplit(keys, 42);
    const shuffled = [...keys].reverse().sort((a, b) => a.length - b.length || (a > b ? -1 : 1));
    const again = stableSplit(shuffled, 42);
    const byKey = new Map(shuffled.map((k, i) => [k, again[i]]));
    keys.forEach((k, i) => assert.equal(byKey.get(k), base[i], k));
    const count = (s: string) => base.filter((x) => x === s).length;
    assert.deepEqual([count('train'), count('val'), count('test')], [700, 150, 150]);
    const other = stableSplit(keys, 43);
    assert.ok(
      other.some((s, i) => s !== base[i]),
      'another seed gives another split',
    );
  });

  test('two folders with the same relative paths, built in opposite orders, split identically', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `n${i}.jpg`);
    const make = async (root: string, order: string[]) => {
      for (const cls of ['real', 'fake']) {
        await fs.mkdir(path.join(root, cls), { recursive: true });
        for (const name of order) await fs.symlink(reals[names.indexOf(name)]!, path.join(root, cls, name));
      }
      const scan = await scanDataset(root, { seed: 3 });
      return Object.entries(scan.splits)
        .flatMap(([split, s]) => s.samples.map((x) => `${split}:${path.relative(root, x.path)}`))
        .sort();
    };
    const a = await make(path.join(tmp, 'order-a'), names);
    const b = await make(path.join(tmp, 'order-b'), [...names].reverse());
    assert.deepEqual(a, b);
  });
});

describe('bad input', () => {
  test('bad files are reported with a reason, hidden files ignored, good ones kept', async () => {
    const root = path.join(tmp, 'bad');
    await build(root, {
      train: [
        ['real', 2],
        ['fake', 2],
      ],
      val: [
        ['real', 1],
        ['fake', 1],
      ],
      test: [
        ['real', 1],
        ['fake', 1],
      ],
    });
    const dir = path.join(root, 'train', 'real');
    const jpeg = await fs.readFile(reals[0]!);
    await fs.writeFile(path.join(dir, 'empty.jpg'), '');
    await fs.writeFile(path.join(dir, 'cut-header.jpg'), jpeg.subarray(0, 100));
    await fs.writeFile(path.join(dir, 'text.JPG'), 'this is not an image\n');
    await fs.writeFile(path.join(dir, 'bomb.png'), bombPng(100000, 100000));
    await fs.writeFile(path.join(dir, 'notes.txt'), 'hello');
    await fs.writeFile(path.join(dir, '.DS_Store'), 'junk');
    await fs.symlink('.', path.join(dir, 'loop'));
    await fs.symlink('self.jpg', path.join(dir, 'self.jpg'));
    await fs.symlink('gone.jpg', path.join(dir, 'dangling.jpg'));
    const scan = await scanDataset(root);
    assert.deepEqual(scan.splits.train.counts, { real: 2, fake: 2, total: 4 });
    const kinds = Object.fromEntries(scan.bad.map((b) => [path.basename(b.path), b.kind]));
    assert.deepEqual(kinds, {
      'bomb.png': 'too-large',
      'cut-header.jpg': 'not-image',
      'dangling.jpg': 'unreadable',
      'empty.jpg': 'empty',
      loop: 'symlink-loop',
      'notes.txt': 'extension',
      'self.jpg': 'symlink-loop',
      'text.JPG': 'not-image',
    });
    const bomb = scan.bad.find((b) => b.path.endsWith('bomb.png'))!;
    assert.match(bomb.reason, /100000x100000/);
    assert.ok(scan.bad.every((b) => b.reason.length > 0));
  });

  test('missing class or split folder, empty folders and unknown layouts are clear errors', async () => {
    const noFake = path.join(tmp, 'no-fake');
    await build(noFake, {
      train: [
        ['real', 1],
        ['fake', 1],
      ],
      val: [
        ['real', 1],
        ['fake', 1],
      ],
      test: [['real', 1]],
    });
    await rejects(scanDataset(noFake), 'DATASET_INVALID', path.join(noFake, 'test', 'fake'));

    const noVal = path.join(tmp, 'no-val');
    await build(noVal, {
      train: [
        ['real', 1],
        ['fake', 1],
      ],
      test: [
        ['real', 1],
        ['fake', 1],
      ],
    });
    await rejects(scanDataset(noVal), 'DATASET_INVALID', path.join(noVal, 'val'));

    const emptyClass = path.join(tmp, 'empty-class');
    await build(emptyClass, { '.': [['real', 3]] });
    await fs.mkdir(path.join(emptyClass, 'fake'));
    await fs.writeFile(path.join(emptyClass, 'fake', '.DS_Store'), 'x');
    await rejects(scanDataset(emptyClass), 'DATASET_INVALID', path.join(emptyClass, 'fake'));

    const onlyBad = path.join(tmp, 'only-bad');
    await build(onlyBad, { '.': [['real', 3]] });
    await fs.mkdir(path.join(onlyBad, 'fake'));
    await fs.writeFile(path.join(onlyBad, 'fake', 'a.jpg'), '');
    await rejects(scanDataset(onlyBad), 'DATASET_INVALID', path.join(onlyBad, 'fake'));

    const emptyRoot = path.join(tmp, 'empty-root');
    await fs.mkdir(emptyRoot);
    await rejects(scanDataset(emptyRoot), 'DATASET_INVALID', `empty folder: ${emptyRoot}`);

    const other = path.join(tmp, 'other');
    await fs.mkdir(path.join(other, 'cats'), { recursive: true });
    await rejects(scanDataset(other), 'DATASET_INVALID', 'cats');

    const both = path.join(tmp, 'both');
    await build(both, {
      '.': [
        ['real', 1],
        ['fake', 1],
        ['0_real', 1],
        ['1_fake', 1],
      ],
    });
    await rejects(scanDataset(both), 'DATASET_INVALID', 'ambiguous');

    await rejects(scanDataset(path.join(tmp, 'nope')), 'NOT_FOUND', path.join(tmp, 'nope'));
    await rejects(scanDataset(tmp, { ratios: [0.5, 0.5, 0.5] }), 'BAD_ARGUMENT', 'ratios');
  });

  test('an unreadable sub-folder is reported, not fatal', { skip: process.getuid?.() === 0 ? 'root can read anything' : false }, async () => {
    const ds = path.join(tmp, 'locked');
    await build(ds, {
      '.': [
        ['real', 3],
        ['fake', 3],
      ],
    });
    const locked = path.join(ds, 'real', 'locked');
    await fs.mkdir(locked);
    await fs.chmod(locked, 0o000);
    try {
      const scan = await scanDataset(ds);
      assert.deepEqual(
        scan.bad.map((b) => [b.path, b.kind]),
        [[locked, 'unreadable']],
      );
    } finally {
      await fs.chmod(locked, 0o755);
    }
  });
});
