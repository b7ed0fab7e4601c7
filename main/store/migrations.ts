// The run store's SQL schema as ordered migrations, and the runner that applies them (PRAGMA user_version).
import type Database from 'better-sqlite3';
import { UnmaskError } from '../engine/errors.js';
import { migrateToV4 } from './migrate-v4.js';

/**
 * One schema step: `up` takes a database at `version - 1` to `version`: SQL, or a function for a step that has
 * to look at the rows it moves (it runs inside the step's transaction).
 */
export interface Migration {
  version: number;
  description: string;
  up: string | ((db: Database.Database) => void);
}

/**
 * Every schema step, oldest first; `MIGRATIONS[i].version === i + 1`. Append only: never edit a shipped step,
 * add a new one (databases in the field are at every earlier version).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'runs, per-epoch metrics and checkpoints',
    up: `
      CREATE TABLE runs (
        id                  INTEGER PRIMARY KEY AUTOINCREMENT,
        model               TEXT NOT NULL,
        dataset_path        TEXT NOT NULL,
        dataset_fingerprint TEXT NOT NULL,
        params              TEXT NOT NULL CHECK (json_valid(params)),
        engine              TEXT NOT NULL,
        status              TEXT NOT NULL DEFAULT 'queued'
          CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted')),
        created_at          TEXT NOT NULL,
        started_at          TEXT,
        finished_at         TEXT,
        error               TEXT,
        owner_pid           INTEGER -- process that marked it running; lets open() tell live runs from crashed ones
      ) STRICT;
      CREATE INDEX runs_by_status ON runs (status);

      -- NULL in a metric column stores NaN (a diverged run); test_* are also NULL when there is no test split.
      CREATE TABLE epochs (
        run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        epoch       INTEGER NOT NULL CHECK (epoch >= 1),
        train_loss  REAL,
        train_acc   REAL,
        val_loss    REAL,
        val_acc     REAL,
        test_loss   REAL,
        test_acc    REAL,
        seconds     REAL NOT NULL,
        img_per_sec REAL NOT NULL,
        PRIMARY KEY (run_id, epoch)
      ) STRICT;

      CREATE TABLE checkpoints (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        kind   TEXT NOT NULL CHECK (kind IN ('last', 'best')),
        epoch  INTEGER NOT NULL CHECK (epoch >= 1),
        path   TEXT NOT NULL,
        PRIMARY KEY (run_id, kind)
      ) STRICT;
    `,
  },
  {
    version: 2,
    description: 'per-image scores, grouped in score sets that cache their ROC AUC',
    up: `
      CREATE TABLE score_sets (
        run_id   INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        split    TEXT NOT NULL CHECK (length(split) > 0),
        n        INTEGER NOT NULL,
        auc      REAL, -- NULL when undefined (one class only, or a NaN score)
        saved_at TEXT NOT NULL,
        PRIMARY KEY (run_id, split)
      ) STRICT;

      CREATE TABLE scores (
        run_id INTEGER NOT NULL,
        split  TEXT NOT NULL,
        idx    INTEGER NOT NULL, -- position in the saved list, so rows come back in the order given
        path   TEXT NOT NULL,
        label  INTEGER NOT NULL CHECK (label IN (0, 1)),
        logit0 REAL,
        logit1 REAL,
        prob0  REAL,
        prob1  REAL,
        PRIMARY KEY (run_id, split, idx),
        FOREIGN KEY (run_id, split) REFERENCES score_sets (run_id, split) ON DELETE CASCADE
      ) STRICT;
    `,
  },
  {
    version: 3,
    description: 'per-epoch validation and test ROC AUC (checkpoint selection by AUC, and its resume)',
    up: `
      ALTER TABLE epochs ADD COLUMN val_auc REAL;  -- NULL: not measured (older runs) or undefined
      ALTER TABLE epochs ADD COLUMN test_auc REAL;
    `,
  },
  {
    version: 4,
    description:
      "evaluations (any scoring other than a run's own best checkpoint on its own splits) with per-image scores; " +
      'score sets that older versions let another scoring replace are moved into evaluations, every row kept',
    up: migrateToV4,
  },
  {
    version: 5,
    description: 'the jobs this database asked for (training and evaluation, local or on a queue: sweep, worker, state) and settings',
    up: `
      -- The coordinator's ledger: a queued job is found again after a restart, and a run shows its sweep and worker.
      CREATE TABLE jobs (
        id            TEXT PRIMARY KEY,  -- the queue's job id (a UUID), or 'local-<uuid>' for a job run on this machine
        kind          TEXT NOT NULL CHECK (kind IN ('train', 'evaluate')),
        sweep         TEXT,              -- the sweep it belongs to, NULL when it was asked for alone
        run_id        INTEGER REFERENCES runs (id) ON DELETE SET NULL,
        evaluation_id INTEGER REFERENCES evaluations (id) ON DELETE SET NULL,
        state         TEXT NOT NULL CHECK (state IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'lost')),
        worker        TEXT,              -- the worker that ran it last
        request       TEXT NOT NULL CHECK (json_valid(request)),
        created_at    TEXT NOT NULL,
        finished_at   TEXT,
        error         TEXT
      ) STRICT;
      CREATE INDEX jobs_by_run ON jobs (run_id);
      CREATE INDEX jobs_by_state ON jobs (state);

      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL CHECK (json_valid(value))
      ) STRICT;
    `,
  },
];

/** The schema version this code writes: the last migration's. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The database's schema version (PRAGMA user_version; 0 = empty). */
export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Refuses a database written by newer code: reading or migrating it could lose data this code doesn't know. */
export function assertNotNewer(db: Database.Database, file: string): void {
  const version = schemaVersion(db);
  if (version > SCHEMA_VERSION) {
    throw new UnmaskError(
      'STORE_TOO_NEW',
      `Run database ${file} has schema version ${version}, but this version of Unmask understands up to ` +
        `${SCHEMA_VERSION}. Update Unmask, or point UNMASK_DB at another file.`,
    );
  }
}

/**
 * Brings `db` to SCHEMA_VERSION, one migration per IMMEDIATE transaction (the step and its user_version bump
 * commit together, and a second process migrating at the same time waits, then sees the step done).
 * Returns the versions before and after.
 */
export function migrate(db: Database.Database, file: string): { from: number; to: number } {
  assertNotNewer(db, file);
  const from = schemaVersion(db);
  for (const migration of MIGRATIONS) {
    if (migration.version <= from) continue;
    const step = db.transaction(() => {
      const current = schemaVersion(db);
      if (current >= migration.version) return; // another process got here first
      if (current !== migration.version - 1) {
        throw new UnmaskError('INTERNAL', `Run database ${file}: cannot apply migration ${migration.version} to version ${current}`);
      }
      if (typeof migration.up === 'string') db.exec(migration.up);
      else migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    });
    step.immediate();
  }
  return { from, to: schemaVersion(db) };
}
