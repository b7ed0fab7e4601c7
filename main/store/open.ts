// Opening the run database safely: folder creation, read-only and damage detection, WAL, migrations; SQLite errors → UnmaskError.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { UnmaskError } from '../engine/errors.js';
import { fsFault, probeFolder } from './disk-errors.js';
import { assertNotNewer, migrate, schemaVersion } from './migrations.js';

/** The SQLite result code of a better-sqlite3 error ('SQLITE_CORRUPT', …), or null for anything else. */
function sqliteCode(error: unknown): string | null {
  if (error instanceof Database.SqliteError) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
}

function readonlyError(file: string, detail: string, cause?: unknown): UnmaskError {
  return new UnmaskError(
    'STORE_READONLY',
    `Run database ${file} cannot be written (${detail}). Make its folder writable, or set UNMASK_DB to a writable file.`,
    { cause },
  );
}

function diskFullError(file: string, detail: string, cause?: unknown): UnmaskError {
  return new UnmaskError('DISK_FULL', `Run database ${file} cannot be written: the disk is full (${detail}). Free space on it, then resume the run.`, {
    cause,
  });
}

/**
 * Maps anything thrown by SQLite or the filesystem while using the store to an UnmaskError (UnmaskErrors pass
 * through): read-only → STORE_READONLY, disk full → DISK_FULL, other I/O errors → IO_ERROR, corruption →
 * STORE_DAMAGED, constraint violations → BAD_ARGUMENT. SQLite aborts a statement that hits any of these and
 * rolls its transaction back, so what was committed before stays as it was.
 */
export function storeError(error: unknown, file: string): UnmaskError {
  if (error instanceof UnmaskError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = sqliteCode(error);
  if (code === null) {
    const fault = fsFault(error);
    if (fault === 'readonly') return readonlyError(file, message, error);
    if (fault === 'full') return diskFullError(file, message, error);
    if (fault === 'io') return new UnmaskError('IO_ERROR', `Run database ${file}: the disk reported an I/O error (${message})`, { cause: error });
    if (error instanceof TypeError || error instanceof RangeError) return new UnmaskError('BAD_ARGUMENT', message, { cause: error });
    return new UnmaskError('INTERNAL', `Run database ${file}: ${message}`, { cause: error });
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_PERM') {
    return readonlyError(file, message, error);
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new UnmaskError('STORE_DAMAGED', `Run database ${file} is damaged (${message}). Restart Unmask to check it.`, { cause: error });
  }
  if (code.startsWith('SQLITE_CONSTRAINT')) return new UnmaskError('BAD_ARGUMENT', `Rejected by the run database: ${message}`, { cause: error });
  if (code === 'SQLITE_FULL') return diskFullError(file, `${message}, ${code}`, error);
  if (code.startsWith('SQLITE_IOERR')) {
    // SQLite folds EROFS, ENOSPC on some paths and EIO into IOERR: ask the folder which one it was.
    const fault = probeFolder(path.dirname(file));
    if (fault === 'readonly') return readonlyError(file, `its folder became read-only: ${message}, ${code}`, error);
    if (fault === 'full') return diskFullError(file, `${message}, ${code}`, error);
    return new UnmaskError('IO_ERROR', `Run database ${file}: the disk reported an I/O error (${message}, ${code}). Check the disk, then resume the run.`, {
      cause: error,
    });
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new UnmaskError('INTERNAL', `Run database ${file} is locked by another process (${message})`, { cause: error });
  }
  return new UnmaskError('INTERNAL', `Run database ${file}: ${message} (${code})`, { cause: error });
}

/**
 * Copies a damaged database (and its -wal, if any) to `<file>.damaged-<timestamp>` without touching the original.
 * Returns the copy's path, or null with the reason when the copy could not be made.
 */
export function preserveDamaged(file: string, now = new Date()): { copy: string | null; reason?: string } {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  for (let n = 0; n < 100; n++) {
    const copy = `${file}.damaged-${stamp}${n === 0 ? '' : `-${n}`}`;
    try {
      fs.copyFileSync(file, copy, fs.constants.COPYFILE_EXCL);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      return { copy: null, reason: (error as Error).message };
    }
    if (fs.existsSync(`${file}-wal`)) {
      try {
        fs.copyFileSync(`${file}-wal`, `${copy}-wal`, fs.constants.COPYFILE_EXCL);
      } catch {
        // The main file's copy is what matters; a WAL that cannot be copied stays next to the original.
      }
    }
    return { copy };
  }
  return { copy: null, reason: 'too many earlier copies with the same timestamp' };
}

/** Creates the parent folder and checks, before SQLite tries, that the file and folder can be written. */
function prepareLocation(file: string): void {
  const dir = path.dirname(file);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (fsFault(error) === 'readonly') throw readonlyError(file, `cannot create folder ${dir}: ${code}`, error);
    if (fsFault(error) === 'full') throw diskFullError(file, `cannot create folder ${dir}: ${code}`, error);
    throw new UnmaskError('BAD_ARGUMENT', `Run database folder ${dir} cannot be created: ${(error as Error).message}`, { cause: error });
  }
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (stat?.isDirectory()) throw new UnmaskError('BAD_ARGUMENT', `Run database ${file} is a folder, not a file`);
  // WAL mode creates <file>-wal and <file>-shm beside the database, so the folder must be writable too.
  for (const [target, what] of [[dir, 'folder'], ...(stat ? [[file, 'file']] : [])] as const) {
    try {
      fs.accessSync(target, fs.constants.R_OK | fs.constants.W_OK);
    } catch (error) {
      throw readonlyError(file, `the ${what} ${target} is read-only: ${(error as NodeJS.ErrnoException).code ?? 'EACCES'}`, error);
    }
  }
}

/** Runs quick_check; on damage closes `db`, preserves a copy and throws STORE_DAMAGED. */
function checkIntegrity(db: Database.Database, file: string): void {
  let problem: string | null = null;
  try {
    const rows = db.pragma('quick_check') as { quick_check: string }[];
    const results = rows.map((row) => row.quick_check);
    if (results.length !== 1 || results[0] !== 'ok') {
      const lines = results
        .join('\n')
        .split('\n')
        .filter((line) => line && !line.startsWith('***'));
      problem = lines.slice(0, 3).join('; ') + (lines.length > 3 ? `; … ${lines.length - 3} more problems` : '');
    }
  } catch (error) {
    const code = sqliteCode(error);
    if (code !== 'SQLITE_NOTADB' && !code?.startsWith('SQLITE_CORRUPT')) throw error;
    problem = (error as Error).message;
  }
  if (problem === null) return;
  db.close();
  const { copy, reason } = preserveDamaged(file);
  const kept = copy ? `A copy was saved as ${copy}` : `No copy could be saved (${reason})`;
  throw new UnmaskError(
    'STORE_DAMAGED',
    `Run database ${file} is damaged or not an Unmask database (${problem}). The file was left as it is. ${kept}. ` +
      'Move it away (or set UNMASK_DB to another file) to start a fresh database.',
  );
}

/** Refuses an SQLite file that has tables but no schema version: some other program's database, not ours to alter. */
function assertOurs(db: Database.Database, file: string): void {
  if (schemaVersion(db) !== 0) return;
  const foreign = db.prepare("SELECT name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' LIMIT 3").pluck().all() as string[];
  if (foreign.length > 0) {
    throw new UnmaskError(
      'BAD_ARGUMENT',
      `${file} is an SQLite database but not an Unmask run database (it has ${foreign.join(', ')} and no schema version). ` + 'Set UNMASK_DB to another file.',
    );
  }
}

/**
 * Opens (creating if needed) the run database at `file`: integrity check, refuse newer schemas, WAL + foreign
 * keys, then migrations. Throws STORE_READONLY, STORE_DAMAGED, STORE_TOO_NEW or BAD_ARGUMENT UnmaskErrors.
 */
export function openDatabase(file: string): Database.Database {
  prepareLocation(file);
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: 5000 });
  } catch (error) {
    throw storeError(error, file);
  }
  try {
    checkIntegrity(db, file); // reads only: a damaged file is never written to
    assertNotNewer(db, file); // before any write, so newer code's database is left exactly as it was
    assertOurs(db, file);
    db.pragma('journal_mode = WAL');
    // FULL: every commit is on the disk before it returns. Commits are few (a run's state, an epoch, a score
    // set), and an epoch that took minutes must survive a power cut or a disk that turns read-only.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db, file);
    return db;
  } catch (error) {
    if (db.open) db.close();
    throw storeError(error, file);
  }
}
