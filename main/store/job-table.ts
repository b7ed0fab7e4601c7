// SQL of the job ledger (schema 5): the training and evaluation jobs a database asked for, and its settings.
import type Database from 'better-sqlite3';
import { UnmaskError } from '../engine/errors.js';
import type { JobKind, JobRecord, JobState, JobUpdate, NewJob } from './types.js';

interface JobRow {
  id: string;
  kind: JobKind;
  sweep: string | null;
  run_id: number | null;
  evaluation_id: number | null;
  state: JobState;
  worker: string | null;
  request: string;
  created_at: string;
  finished_at: string | null;
  error: string | null;
}

const KINDS: readonly JobKind[] = ['train', 'evaluate'];
const STATES: readonly JobState[] = ['queued', 'running', 'completed', 'failed', 'cancelled', 'lost'];
/** States a job does not leave. */
export const FINAL_JOB_STATES: readonly JobState[] = ['completed', 'failed', 'cancelled', 'lost'];

function toRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    kind: row.kind,
    sweep: row.sweep,
    runId: row.run_id,
    evaluationId: row.evaluation_id,
    state: row.state,
    worker: row.worker,
    request: JSON.parse(row.request) as unknown,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
    error: row.error,
  };
}

function bad(message: string): never {
  throw new UnmaskError('BAD_ARGUMENT', message);
}

/** Records a new job as 'queued'. A job id already recorded is BAD_ARGUMENT (ids are the queue's, never reused). */
export function insertJob(db: Database.Database, job: NewJob): JobRecord {
  if (typeof job.id !== 'string' || !/^[\w.:-]{1,128}$/.test(job.id)) bad(`recordJob: id must be 1-128 letters, digits or ._:-, got '${String(job.id)}'`);
  if (!KINDS.includes(job.kind)) bad(`recordJob: kind must be one of ${KINDS.join(', ')}`);
  if (db.prepare('SELECT 1 FROM jobs WHERE id = ?').get(job.id)) bad(`recordJob: job ${job.id} is already recorded`);
  db.prepare('INSERT INTO jobs (id, kind, sweep, run_id, state, request, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
    job.id,
    job.kind,
    job.sweep ?? null,
    job.runId ?? null,
    'queued',
    JSON.stringify(job.request ?? {}),
    new Date().toISOString(),
  );
  return getJob(db, job.id)!;
}

/** Updates the given fields of a job; moving it to a final state stamps finishedAt. Returns the job as now stored. */
export function updateJob(db: Database.Database, id: string, update: JobUpdate): JobRecord {
  const current = getJob(db, id);
  if (!current) throw new UnmaskError('NOT_FOUND', `no job ${id}`);
  if (update.state !== undefined && !STATES.includes(update.state)) bad(`updateJob: unknown state '${String(update.state)}'`);
  const next = { ...current, ...update };
  const finishedAt = update.state && FINAL_JOB_STATES.includes(update.state) ? (current.finishedAt ?? new Date().toISOString()) : current.finishedAt;
  db.prepare('UPDATE jobs SET run_id = ?, evaluation_id = ?, state = ?, worker = ?, finished_at = ?, error = ? WHERE id = ?').run(
    next.runId,
    next.evaluationId,
    next.state,
    next.worker,
    finishedAt,
    next.error,
    id,
  );
  return getJob(db, id)!;
}

export function getJob(db: Database.Database, id: string): JobRecord | null {
  const row = db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
  return row ? toRecord(row) : null;
}

/** Jobs, oldest first: all, those in `states`, or one run's. */
export function listJobs(db: Database.Database, filter: { states?: readonly JobState[]; runId?: number } = {}): JobRecord[] {
  const where: string[] = [];
  const args: unknown[] = [];
  if (filter.states) {
    where.push(`state IN (${filter.states.map(() => '?').join(', ')})`);
    args.push(...filter.states);
  }
  if (filter.runId !== undefined) {
    where.push('run_id = ?');
    args.push(filter.runId);
  }
  const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, rowid`;
  return (db.prepare(sql).all(...args) as JobRow[]).map(toRecord);
}

/** A setting's value (JSON), or null when unset. */
export function getSetting(db: Database.Database, key: string): unknown {
  const row = db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
  return row ? (JSON.parse(row.value) as unknown) : null;
}

/** Sets a setting (JSON), or removes it when `value` is null. */
export function setSetting(db: Database.Database, key: string, value: unknown): void {
  if (value === null || value === undefined) db.prepare('DELETE FROM settings WHERE key = ?').run(key);
  else db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value));
}
