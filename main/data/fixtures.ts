// Test helpers for the data module: temporary dataset folders, real sample images, hand-built PNGs.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

export const repoRoot = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
/** The shared face sets, read in place (never copied into the project). */
export const sharedData = path.resolve(repoRoot, '../shared/data');
export const fakesDataset = path.join(sharedData, 'fakes_dataset');
export const syntheticDataset = path.join(sharedData, 'synthetic_dataset');

/** A fresh temporary folder; remove it with `cleanup`. */
export async function tmpDir(tag: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `unmask-data-${tag}-`));
}

export async function cleanup(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}

/** The first `n` (sorted) images of fakes_dataset/<split>/<cls>. */
export async function realImages(split: string, cls: 'real' | 'fake', n: number): Promise<string[]> {
  const dir = path.join(fakesDataset, split, cls);
  const names = (await fs.readdir(dir)).filter((f) => f.endsWith('.jpg')).sort();
  return names.slice(0, n).map((f) => path.join(dir, f));
}

/** Symlinks `sources` into `dir` (created) as <prefix><i>.jpg; returns the link paths. */
export async function linkInto(dir: string, sources: readonly string[], prefix = 'img'): Promise<string[]> {
  await fs.mkdir(dir, { recursive: true });
  return Promise.all(
    sources.map(async (src, i) => {
      const dst = path.join(dir, `${prefix}${i}.jpg`);
      await fs.symlink(src, dst);
      return dst;
    }),
  );
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE, as in PNG and zip); zlib.crc32 only exists from Node 22. */
export function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A PNG whose IHDR (valid CRC) claims width x height RGB 8-bit, with a tiny IDAT and IEND: a decompression bomb header. */
export function bombPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type RGB, deflate, no filter, no interlace
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const idat = Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]); // empty zlib stream
  return Buffer.concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A lossless PNG of `width` x `height` filled by `pixel(x, y) -> [r, g, b]` (or with alpha when 4 values). */
export async function makePng(file: string, width: number, height: number, channels: 1 | 2 | 3 | 4, pixel: (x: number, y: number) => number[]): Promise<void> {
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(pixel(x, y).slice(0, channels), (y * width + x) * channels);
  }
  await sharp(data, { raw: { width, height, channels } }).png().toFile(file);
}
