// Write failures of the run store's files (database, checkpoints): disk full, read-only, I/O error → UnmaskError naming the path.
import fs from 'node:fs';
import path from 'node:path';
import { UnmaskError } from '../engine/errors.js';

const FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);
const READONLY_CODES = new Set(['EACCES', 'EPERM', 'EROFS']);

/** What a failed write tells about its disk: full, read-only, an I/O error, or nothing we recognise. */
export type DiskFault = 'full' | 'readonly' | 'io' | null;

/** The errno code (`ENOSPC`, …) of a Node filesystem error, or null. */
function errnoCode(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : null;
}

/** Classifies a Node filesystem error by its errno code. */
export function fsFault(error: unknown): DiskFault {
  const code = errnoCode(error);
  if (code === null) return null;
  if (FULL_CODES.has(code)) return 'full';
  if (READONLY_CODES.has(code)) return 'readonly';
  return code === 'EIO' ? 'io' : null;
}

/**
 * Finds out why a write under `dir` failed when the error itself does not say (SQLite reports ENOSPC as
 * SQLITE_FULL but EROFS and EIO alike as SQLITE_IOERR, and better-sqlite3 hides the errno): by asking the
 * folder, then by writing a small probe file there (ext4 turned read-only by an error still passes
 * access(2)), then by its free space.
 */
export function probeFolder(dir: string): DiskFault {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (error) {
    if (fsFault(error) === 'readonly') return 'readonly';
  }
  const probe = path.join(dir, `.unmask-probe-${process.pid}`);
  let fd: number | null = null;
  try {
    fd = fs.openSync(probe, 'wx');
    fs.writeSync(fd, Buffer.alloc(4096));
    fs.fsyncSync(fd);
  } catch (error) {
    const fault = fsFault(error);
    if (fault !== null) return fault;
  } finally {
    try {
      if (fd !== null) fs.closeSync(fd);
      fs.rmSync(probe, { force: true });
    } catch {
      // a probe that cannot be removed is a few bytes; the answer matters more
    }
  }
  try {
    if (fs.statfsSync(dir).bavail === 0) return 'full';
  } catch {
    // statfs unsupported or the folder is gone: nothing more to learn.
  }
  return null;
}

/**
 * The UnmaskError for a failed write of `what` (e.g. 'checkpoint') at `target`: DISK_FULL, STORE_READONLY
 * or IO_ERROR with the path and what to do, else INTERNAL. UnmaskErrors pass through.
 */
export function fileWriteError(error: unknown, target: string, what: string): UnmaskError {
  if (error instanceof UnmaskError) return error;
  const code = errnoCode(error) ?? 'unknown error';
  const message = error instanceof Error ? error.message : String(error);
  switch (fsFault(error)) {
    case 'full':
      return new UnmaskError('DISK_FULL', `Cannot write ${what} ${target}: the disk is full (${code}). Free space on it, then resume the run.`, {
        cause: error,
      });
    case 'readonly':
      return new UnmaskError('STORE_READONLY', `Cannot write ${what} ${target}: its folder is read-only (${code}). Make it writable, then resume the run.`, {
        cause: error,
      });
    case 'io':
      return new UnmaskError('IO_ERROR', `Cannot write ${what} ${target}: the disk reported an I/O error (${code}). Check the disk, then resume the run.`, {
        cause: error,
      });
    default:
      return new UnmaskError('INTERNAL', `Cannot write ${what} ${target}: ${message}`, { cause: error });
  }
}
