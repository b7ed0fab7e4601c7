// SQL of stored evaluations (schema 4): save by key, list, read back with their per-image scores.
import type Database from 'better-sqlite3';
import { UnmaskError } from '../engine/errors.js';
import { scoresAuc, toScoreRow, validateScores, type ScoreDbRow } from './rows.js';
import type { EvaluationRecord, EvaluationSplit, NewEvaluation, ScoreRow } from './types.js';

interface EvaluationRow {
  id: number;
  run_id: number;
  dataset_path: string;
  dataset_fingerprint: string;
  split: EvaluationSplit;
  checkpoint: 'best' | 'last' | null;
  checkpoint_epoch: number | null;
  preprocess: string;
  n: number;
  auc: number | null;
  metrics: string | null;
  engine: string;
  skipped: number;
  origin: 'evaluated' | 'migrated';
  note: string | null;
  created_at: string;
}

const SPLITS: readonly EvaluationSplit[] = ['all', 'train', 'val', 'test'];

function toRecord(row: EvaluationRow): EvaluationRecord {
  return {
    id: row.id,
    runId: row.run_id,
    datasetPath: row.dataset_path,
    datasetFingerprint: row.dataset_fingerprint,
    split: row.split,
    checkpoint: row.checkpoint,
    checkpointEpoch: row.checkpoint_epoch,
    preprocess: row.preprocess,
    n: row.n,
    auc: row.auc,
    metrics: row.metrics === null ? null : (JSON.parse(row.metrics) as Record<string, unknown>),
    engine: row.engine,
    skipped: row.skipped,
    origin: row.origin,
    note: row.note,
    createdAt: row.created_at,
  };
}

function bad(message: string): never {
  throw new UnmaskError('BAD_ARGUMENT', `saveEvaluation: ${message}`);
}

/** Checks saveEvaluation's input; returns the metrics as JSON text. */
function validate(e: NewEvaluation): string | null {
  if (!Number.isInteger(e.runId) || e.runId < 1) bad('runId must be a positive integer');
  if (typeof e.datasetPath !== 'string' || e.datasetPath.length === 0) bad('datasetPath must be a non-empty string');
  if (typeof e.datasetFingerprint !== 'string' || e.datasetFingerprint.length === 0) bad('datasetFingerprint must be a non-empty string');
  if (!SPLITS.includes(e.split)) bad(`split must be one of ${SPLITS.join(', ')}, got '${String(e.split)}'`);
  if (e.checkpoint !== 'best' && e.checkpoint !== 'last') bad(`checkpoint must be best or last, got '${String(e.checkpoint)}'`);
  if (!Number.isInteger(e.checkpointEpoch) || (e.checkpointEpoch ?? 0) < 1) bad('checkpointEpoch must be a positive integer');
  if (typeof e.preprocess !== 'string' || e.preprocess.length === 0) bad('preprocess must be a non-empty string');
  if (e.rows.length === 0) bad('an evaluation needs at least one scored image');
  validateScores('evaluation', e.rows);
  try {
    return e.metrics === null ? null : JSON.stringify(e.metrics);
  } catch (error) {
    return bad(`metrics cannot be stored as JSON (${(error as Error).message})`);
  }
}

/**
 * Saves an evaluation and its per-image scores (kept in order) in one transaction. An evaluation with the same
 * key (run, fingerprint, split, checkpoint and its epoch, preprocessing) is the same measurement taken again: it
 * is replaced, keeping its id. Returns the stored record.
 */
export function saveEvaluation(db: Database.Database, e: NewEvaluation): EvaluationRecord {
  const metrics = validate(e);
  const auc = scoresAuc(e.rows);
  const now = new Date().toISOString();
  const insertScore = db.prepare(
    'INSERT INTO evaluation_scores (evaluation_id, idx, path, label, logit0, logit1, prob0, prob1) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  return db
    .transaction(() => {
      const existing = db
        .prepare(
          `SELECT id FROM evaluations WHERE run_id = ? AND dataset_fingerprint = ? AND split = ? AND checkpoint = ?
         AND checkpoint_epoch = ? AND preprocess = ?`,
        )
        .pluck()
        .get(e.runId, e.datasetFingerprint, e.split, e.checkpoint, e.checkpointEpoch, e.preprocess) as number | undefined;
      let id: number;
      const values = [e.datasetPath, e.rows.length, auc, metrics, e.engine, e.skipped, e.note ?? null, now] as const;
      if (existing === undefined) {
        const result = db
          .prepare(
            `INSERT INTO evaluations (run_id, dataset_fingerprint, split, checkpoint, checkpoint_epoch, preprocess,
             dataset_path, n, auc, metrics, engine, skipped, note, created_at, origin)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'evaluated')`,
          )
          .run(e.runId, e.datasetFingerprint, e.split, e.checkpoint, e.checkpointEpoch, e.preprocess, ...values);
        id = Number(result.lastInsertRowid);
      } else {
        id = existing;
        db.prepare('UPDATE evaluations SET dataset_path = ?, n = ?, auc = ?, metrics = ?, engine = ?, skipped = ?, note = ?, created_at = ? WHERE id = ?').run(
          ...values,
          id,
        );
        db.prepare('DELETE FROM evaluation_scores WHERE evaluation_id = ?').run(id);
      }
      e.rows.forEach((r, i) => insertScore.run(id, i, r.path, r.label, r.logits[0], r.logits[1], r.probs[0], r.probs[1]));
      return getEvaluation(db, id);
    })
    .immediate();
}

/** One evaluation; NOT_FOUND when there is none with that id. */
export function getEvaluation(db: Database.Database, id: number): EvaluationRecord {
  const row = db.prepare('SELECT * FROM evaluations WHERE id = ?').get(id) as EvaluationRow | undefined;
  if (!row) throw new UnmaskError('NOT_FOUND', `No evaluation with id ${id}`);
  return toRecord(row);
}

/** Every evaluation (of one run when `runId` is given), newest first. */
export function listEvaluations(db: Database.Database, runId?: number): EvaluationRecord[] {
  const rows = (
    runId === undefined
      ? db.prepare('SELECT * FROM evaluations ORDER BY created_at DESC, id DESC').all()
      : db.prepare('SELECT * FROM evaluations WHERE run_id = ? ORDER BY created_at DESC, id DESC').all(runId)
  ) as EvaluationRow[];
  return rows.map(toRecord);
}

/** An evaluation's per-image scores, in the order saved. */
export function getEvaluationScores(db: Database.Database, id: number): ScoreRow[] {
  getEvaluation(db, id);
  const rows = db
    .prepare('SELECT path, label, logit0, logit1, prob0, prob1 FROM evaluation_scores WHERE evaluation_id = ? ORDER BY idx')
    .all(id) as ScoreDbRow[];
  return rows.map(toScoreRow);
}
