// Streams the image files of a list of files and folders, one at a time, without listing a whole tree first.
import fs from 'node:fs/promises';
import path from 'node:path';
import { firstLine, UnmaskError } from '../engine/errors.js';
import { hasImageExtension, isHiddenName } from './walk.js';

/** A file to use, or a path that cannot be (with why). */
export type ImageFileEntry = { path: string } | { path: string; error: string };

/**
 * Yields every image of `inputs` in order: a file as given (an error entry when it is not an image file), a
 * folder walked depth-first in name order (hidden and non-image files left out, a symlink back into a folder
 * already visited not followed). Only one folder's names are held at a time, so a folder of any size streams.
 * Throws NOT_FOUND for an input that does not exist.
 */
export async function* imageFiles(inputs: readonly string[]): AsyncGenerator<ImageFileEntry> {
  const visited = new Set<string>();
  for (const input of inputs) {
    const absolute = path.resolve(input);
    const stat = await fs.stat(absolute).catch(() => null);
    if (stat === null) throw new UnmaskError('NOT_FOUND', `no file or folder at ${absolute}`);
    if (stat.isDirectory()) yield* walkFolder(absolute, visited);
    else if (hasImageExtension(absolute)) yield { path: absolute };
    else yield { path: absolute, error: 'not an image file (.jpg, .jpeg, .png, .webp)' };
  }
}

async function* walkFolder(dir: string, visited: Set<string>): AsyncGenerator<ImageFileEntry> {
  const stat = await fs.stat(dir);
  const key = `${stat.dev}:${stat.ino}`;
  if (visited.has(key)) return;
  visited.add(key);
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => !isHiddenName(n)).sort();
  } catch (error) {
    yield { path: dir, error: `cannot read folder: ${firstLine(error)}` };
    return;
  }
  for (const name of names) {
    const full = path.join(dir, name);
    const entry = await fs.stat(full).catch((error: unknown) => error as Error);
    if (entry instanceof Error) yield { path: full, error: `cannot read: ${firstLine(entry)}` };
    else if (entry.isDirectory()) yield* walkFolder(full, visited);
    else if (entry.isFile() && hasImageExtension(full)) yield { path: full };
  }
}
