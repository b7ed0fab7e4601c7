// Cheap per-file validation for scanning: size and image header only (sharp metadata), never a full decode.
import fs from 'node:fs/promises';
import sharp from 'sharp';
import { firstLine } from '../engine/errors.js';
import type { BadFile } from './types.js';

export const SUPPORTED_FORMATS: ReadonlySet<string> = new Set(['jpeg', 'png', 'webp']);

/**
 * Checks one file: non-empty, a JPEG/PNG/WebP header that parses, and width*height <= maxPixels.
 * Reads only the header, so a decompression bomb is refused before any pixel is decoded.
 * Returns null when the file looks usable, else why not.
 */
export async function probeImage(file: string, maxPixels: number): Promise<BadFile | null> {
  let size: number;
  try {
    const st = await fs.stat(file);
    size = st.size;
  } catch (error) {
    return { path: file, kind: 'unreadable', reason: `cannot stat: ${firstLine(error)}` };
  }
  if (size === 0) return { path: file, kind: 'empty', reason: 'zero-byte file' };
  let meta: sharp.Metadata;
  try {
    // limitInputPixels off here: the pixel limit is checked below so the reason is ours, not libvips'.
    meta = await sharp(file, { limitInputPixels: false }).metadata();
  } catch (error) {
    return { path: file, kind: 'not-image', reason: `not a readable image: ${firstLine(error)}` };
  }
  if (meta.format === undefined || !SUPPORTED_FORMATS.has(meta.format)) {
    return { path: file, kind: 'unsupported-format', reason: `format ${meta.format ?? 'unknown'} (need jpeg, png or webp)` };
  }
  const { width, height } = meta;
  if (!width || !height) return { path: file, kind: 'not-image', reason: 'header has no size' };
  if (width * height > maxPixels) {
    const mp = ((width * height) / 1e6).toFixed(1);
    return { path: file, kind: 'too-large', reason: `${width}x${height} = ${mp} MP exceeds ${maxPixels / 1e6} MP limit` };
  }
  return null;
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i]!, i);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
