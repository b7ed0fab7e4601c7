// Schema 4: evaluations beside a run's own scores, and moving score sets an older version let other scorings replace.
import path from 'node:path';
import type Database from 'better-sqlite3';

/** The tables schema 4 adds. */
export const EVALUATION_TABLES = `
  -- The best checkpoint's epoch when a run's own scores were taken; NULL: scored before schema 4 (not recorded).
  ALTER TABLE score_sets ADD COLUMN checkpoint_epoch INTEGER;

  CREATE TABLE evaluations (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id              INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    dataset_path        TEXT NOT NULL,
    dataset_fingerprint TEXT NOT NULL, -- '' when unknown (moved from an older database)
    split               TEXT NOT NULL CHECK (split IN ('all', 'train', 'val', 'test')),
    checkpoint          TEXT CHECK (checkpoint IN ('best', 'last')), -- NULL: not recorded (older database)
    checkpoint_epoch    INTEGER,
    preprocess          TEXT NOT NULL DEFAULT 'none',
    n                   INTEGER NOT NULL,
    auc                 REAL,
    metrics             TEXT CHECK (metrics IS NULL OR json_valid(metrics)),
    engine              TEXT NOT NULL,
    skipped             INTEGER NOT NULL DEFAULT 0,
    origin              TEXT NOT NULL CHECK (origin IN ('evaluated', 'migrated')),
    note                TEXT,
    created_at          TEXT NOT NULL
  ) STRICT;
  -- NULLs never collide in a unique index, so migrated evaluations (unknown checkpoint) each keep their own row.
  CREATE UNIQUE INDEX evaluations_by_key ON evaluations (run_id, dataset_fingerprint, split, checkpoint, checkpoint_epoch, preprocess);

  CREATE TABLE evaluation_scores (
    evaluation_id INTEGER NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,
    idx    INTEGER NOT NULL,
    path   TEXT NOT NULL,
    label  INTEGER NOT NULL CHECK (label IN (0, 1)),
    logit0 REAL,
    logit1 REAL,
    prob0  REAL,
    prob1  REAL,
    PRIMARY KEY (evaluation_id, idx)
  ) STRICT;

  -- A split whose own scores an older version replaced with another scoring (moved into evaluation_id).
  CREATE TABLE own_scores_replaced (
    run_id        INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    split         TEXT NOT NULL,
    evaluation_id INTEGER REFERENCES evaluations (id) ON DELETE SET NULL,
    reason        TEXT NOT NULL,
    PRIMARY KEY (run_id, split)
  ) STRICT;
`;

/**
 * Largest gap between a score set's AUC and the AUC training recorded for the same checkpoint that still counts
 * as the same weights: scoring and the epoch's evaluation rank the same images with the same model, and can differ
 * only where float rounding (or half-precision cached features) swaps near-tied pairs.
 */
export const SAME_CHECKPOINT_AUC_GAP = 2e-3;

interface ScoreSetRow {
  run_id: number;
  split: string;
  n: number;
  auc: number | null;
  saved_at: string;
  dataset_path: string;
  engine: string;
  best_epoch: number | null;
  last_epoch: number | null;
  best_auc: number | null;
  last_auc: number | null;
}

const CLASS_FOLDERS = new Set(['real', 'fake', '0_real', '1_fake']);
const SPLIT_FOLDERS = new Set(['train', 'val', 'test']);

/** The dataset folder a list of image paths came from: their common folder, less class and split folder names. */
export function datasetRootOf(paths: readonly string[]): string {
  const p = paths.some((x) => x.includes('\\')) && !paths.some((x) => x.startsWith('/')) ? path.win32 : path.posix;
  let common = p.dirname(paths[0] ?? '');
  for (const file of paths) while (common !== p.dirname(common) && !file.startsWith(common + p.sep)) common = p.dirname(common);
  if (CLASS_FOLDERS.has(p.basename(common).toLowerCase())) common = p.dirname(common);
  if (SPLIT_FOLDERS.has(p.basename(common).toLowerCase())) common = p.dirname(common);
  return common;
}

function isInside(file: string, folder: string): boolean {
  return file.startsWith(folder.endsWith('/') || folder.endsWith('\\') ? folder : `${folder}/`) || file.startsWith(`${folder}\\`);
}

/**
 * Why a score set saved before schema 4 is not the run's own (its best checkpoint on its own dataset), or null
 * when nothing shows it is not. Evidence: an image outside the run's dataset folder, or an AUC that differs from
 * the one training recorded for the best checkpoint's epoch on that split.
 */
function foreignReason(
  set: ScoreSetRow,
  paths: readonly string[],
): { reason: string; datasetPath: string; checkpoint: 'last' | null; epoch: number | null } | null {
  const outside = paths.find((p) => !isInside(p, set.dataset_path));
  if (outside !== undefined) {
    const datasetPath = datasetRootOf(paths);
    return { reason: `its ${set.split} scores had been replaced by a scoring of another folder (${datasetPath})`, datasetPath, checkpoint: null, epoch: null };
  }
  if (set.auc === null || set.best_auc === null || Math.abs(set.auc - set.best_auc) <= SAME_CHECKPOINT_AUC_GAP) return null;
  const isLast = set.last_auc !== null && set.last_epoch !== set.best_epoch && Math.abs(set.auc - set.last_auc) <= SAME_CHECKPOINT_AUC_GAP;
  const which = isLast ? `the last checkpoint (epoch ${set.last_epoch})` : 'another checkpoint';
  return {
    reason:
      `its ${set.split} scores had been replaced by a scoring with ${which}: their AUC ${set.auc.toFixed(4)} is not the ` +
      `${set.best_auc.toFixed(4)} training recorded for the best checkpoint (epoch ${set.best_epoch})`,
    datasetPath: set.dataset_path,
    checkpoint: isLast ? 'last' : null,
    epoch: isLast ? set.last_epoch : null,
  };
}

const SCORE_SETS_SQL = `
  SELECT s.run_id, s.split, s.n, s.auc, s.saved_at, r.dataset_path, r.engine,
    b.epoch AS best_epoch, l.epoch AS last_epoch,
    CASE s.split WHEN 'val' THEN eb.val_auc WHEN 'test' THEN eb.test_auc END AS best_auc,
    CASE s.split WHEN 'val' THEN el.val_auc WHEN 'test' THEN el.test_auc END AS last_auc
  FROM score_sets s JOIN runs r ON r.id = s.run_id
  LEFT JOIN checkpoints b ON b.run_id = s.run_id AND b.kind = 'best'
  LEFT JOIN checkpoints l ON l.run_id = s.run_id AND l.kind = 'last'
  LEFT JOIN epochs eb ON eb.run_id = s.run_id AND eb.epoch = b.epoch
  LEFT JOIN epochs el ON el.run_id = s.run_id AND el.epoch = l.epoch
  ORDER BY s.run_id, s.split`;

/**
 * Schema 3 → 4: adds the evaluation tables, then moves every score set that is evidently not its run's own into
 * an evaluation (origin 'migrated', every row kept in order) and records the gap in own_scores_replaced, so the
 * run shows those scores missing instead of another folder's or checkpoint's number. Runs inside the
 * migration's transaction: all of it or nothing.
 */
export function migrateToV4(db: Database.Database): void {
  db.exec(EVALUATION_TABLES);
  const sets = db.prepare(SCORE_SETS_SQL).all() as ScoreSetRow[];
  const pathsOf = db.prepare('SELECT path FROM scores WHERE run_id = ? AND split = ? ORDER BY idx').pluck();
  const insertEvaluation = db.prepare(
    `INSERT INTO evaluations (run_id, dataset_path, dataset_fingerprint, split, checkpoint, checkpoint_epoch, n, auc, metrics, engine, origin, note, created_at)
     VALUES (?, ?, '', ?, ?, ?, ?, ?, NULL, ?, 'migrated', ?, ?)`,
  );
  const copyScores = db.prepare(
    `INSERT INTO evaluation_scores (evaluation_id, idx, path, label, logit0, logit1, prob0, prob1)
     SELECT ?, idx, path, label, logit0, logit1, prob0, prob1 FROM scores WHERE run_id = ? AND split = ? ORDER BY idx`,
  );
  const removeSet = db.prepare('DELETE FROM score_sets WHERE run_id = ? AND split = ?'); // cascades to its scores
  const mark = db.prepare('INSERT INTO own_scores_replaced (run_id, split, evaluation_id, reason) VALUES (?, ?, ?, ?)');
  for (const set of sets) {
    const foreign = foreignReason(set, pathsOf.all(set.run_id, set.split) as string[]);
    if (!foreign) continue;
    const split = SPLIT_FOLDERS.has(set.split) ? set.split : 'all';
    const note = `Moved from the run's own ${set.split} scores by the schema-4 migration: ${foreign.reason}.`;
    const { lastInsertRowid } = insertEvaluation.run(
      set.run_id,
      foreign.datasetPath,
      split,
      foreign.checkpoint,
      foreign.epoch,
      set.n,
      set.auc,
      set.engine,
      note,
      set.saved_at,
    );
    const id = Number(lastInsertRowid);
    copyScores.run(id, set.run_id, set.split);
    removeSet.run(set.run_id, set.split);
    mark.run(set.run_id, set.split, id, foreign.reason);
  }
}
