// Lists the candidate image files under a class folder: recursive, hidden files ignored, symlink loops reported.
import fs from 'node:fs/promises';
import path from 'node:path';
import { IMAGE_EXTENSIONS, type BadFile } from './types.js';
import { firstLine } from '../engine/errors.js';

/** Files some systems drop into folders; ignored silently like dot-files. */
const IGNORED_NAMES: ReadonlySet<string> = new Set(['thumbs.db', 'desktop.ini']);

const IMAGE_LIST = [...IMAGE_EXTENSIONS].join(' ');

export function isHiddenName(name: string): boolean {
  return name.startsWith('.') || IGNORED_NAMES.has(name.toLowerCase());
}

export function hasImageExtension(file: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(file).toLowerCase());
}

export interface WalkResult {
  /** Absolute paths with an image extension, sorted. Not yet checked for content. */
  files: string[];
  bad: BadFile[];
}

type EntryKind = 'dir' | 'file' | BadFile;

function errorKind(error: unknown, full: string): BadFile {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return { path: full, kind: 'symlink-loop', reason: 'symlink loop (ELOOP)' };
  if (code === 'ENOENT') return { path: full, kind: 'unreadable', reason: 'broken symlink' };
  return { path: full, kind: 'unreadable', reason: `cannot read: ${firstLine(error)}` };
}

/** Resolves what a directory entry is, following symlinks. */
async function entryKind(entry: import('node:fs').Dirent, full: string): Promise<EntryKind> {
  if (entry.isDirectory()) return 'dir';
  if (entry.isFile()) return 'file';
  if (!entry.isSymbolicLink()) return { path: full, kind: 'unreadable', reason: 'not a regular file' };
  try {
    const st = await fs.stat(full);
    if (st.isDirectory()) return 'dir';
    if (st.isFile()) return 'file';
    return { path: full, kind: 'unreadable', reason: 'symlink to something that is not a regular file' };
  } catch (error) {
    return errorKind(error, full);
  }
}

/** Key of a directory's identity, so a symlink back into an already-visited folder is caught. */
async function dirKey(dir: string): Promise<string> {
  const st = await fs.stat(dir);
  return `${st.dev}:${st.ino}`;
}

/**
 * Walks `root` recursively. Throws (as a plain error) only when `root` itself cannot be read; anything
 * below it that cannot be read, loops, or has a non-image extension goes to `bad`.
 */
export async function walkImages(root: string): Promise<WalkResult> {
  const files: string[] = [];
  const bad: BadFile[] = [];
  const visited = new Set<string>([await dirKey(root)]);
  const queue: string[] = [root];
  for (let dir = queue.shift(); dir !== undefined; dir = queue.shift()) {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (dir === root) throw error;
      bad.push(errorKind(error, dir));
      continue;
    }
    for (const entry of entries) {
      if (isHiddenName(entry.name)) continue;
      const full = path.join(dir, entry.name);
      const kind = await entryKind(entry, full);
      if (kind === 'file') {
        if (hasImageExtension(full)) files.push(full);
        else bad.push({ path: full, kind: 'extension', reason: `not an image extension (${IMAGE_LIST})` });
      } else if (kind === 'dir') {
        const key = await dirKey(full).catch(() => null);
        if (key === null) bad.push({ path: full, kind: 'unreadable', reason: 'cannot stat folder' });
        else if (visited.has(key)) {
          bad.push({ path: full, kind: 'symlink-loop', reason: 'folder already visited (symlink loop or duplicate link)' });
        } else {
          visited.add(key);
          queue.push(full);
        }
      } else bad.push(kind);
    }
  }
  files.sort();
  return { files, bad };
}
