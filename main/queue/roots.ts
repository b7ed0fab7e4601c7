// The two folders every machine of a queue shares, each mounted wherever it likes: the data root and the artifact root.
// Paths cross the queue relative to them, and nothing outside them is ever read or written.
import fs from 'node:fs';
import path from 'node:path';
import { UnmaskError } from '../engine/errors.js';

/** A shared folder: converts this machine's absolute paths to portable relative ones and back, refusing escapes. */
export class SharedRoot {
  /** The folder's absolute path on this machine. */
  readonly dir: string;

  constructor(
    dir: string,
    /** 'data root' or 'artifact root', for messages. */
    readonly what: string,
  ) {
    this.dir = path.resolve(dir);
  }

  /**
   * `file` (absolute, on this machine) as a POSIX path relative to the root. FORBIDDEN when it is not inside
   * the root (as written, or once symlinks in its folders are resolved).
   */
  relative(file: string): string {
    const rel = path.relative(this.dir, path.resolve(file));
    if (!isInside(rel)) throw new UnmaskError('FORBIDDEN', `${file} is not inside the ${this.what} ${this.dir}, which every machine of the queue shares`);
    return rel.split(path.sep).join('/');
  }

  /**
   * A relative path from another machine as an absolute path here. FORBIDDEN for an absolute path, `..`, a NUL
   * byte, or a path whose existing part resolves (through symlinks) outside the root.
   */
  resolve(rel: string): string {
    const file = this.join(rel);
    const real = realExisting(file);
    const rootReal = realExisting(this.dir);
    if (!isInside(path.relative(rootReal, real))) throw new UnmaskError('FORBIDDEN', `'${rel}' leads outside the ${this.what} ${this.dir}`);
    return file;
  }

  /**
   * A relative path from another machine as an absolute path here, checked as written only (`..`, absolute
   * paths refused) — for naming files (the images of a score row), not for opening them.
   */
  join(rel: string): string {
    if (rel.includes('\0') || path.posix.isAbsolute(rel) || path.win32.isAbsolute(rel) || rel.split(/[\\/]/).includes('..')) {
      throw new UnmaskError('FORBIDDEN', `'${rel}' is not a path inside the ${this.what}`);
    }
    return path.join(this.dir, ...rel.split('/'));
  }
}

function isInside(rel: string): boolean {
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** The realpath of the longest existing ancestor of `file`, with the rest appended (what the path would resolve to). */
function realExisting(file: string): string {
  const rest: string[] = [];
  let at = file;
  for (;;) {
    try {
      return path.join(fs.realpathSync(at), ...rest.reverse());
    } catch {
      const parent = path.dirname(at);
      if (parent === at) return file;
      rest.push(path.basename(at));
      at = parent;
    }
  }
}
