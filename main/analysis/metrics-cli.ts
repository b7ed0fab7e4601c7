// `unmask metrics --csv FILE`: reads label,score rows and prints the metric summary as one JSON line.
import fs from 'node:fs';
import { UnmaskError } from '../engine/errors.js';
import { bootstrapAucInterval, summarize } from './metrics.js';

/** Labels and scores parsed from a CSV file. */
export interface ScoreTable {
  labels: number[];
  scores: number[];
}

/**
 * Parses CSV text with a header naming `label` and `score` columns (any order, extra columns ignored,
 * case-insensitive). Tolerates a UTF-8 BOM, CRLF line ends, whitespace around fields and blank lines (a
 * trailing newline). label must be 0 (real) or 1 (fake); score must be a finite number (the fake score).
 * A bad row throws UnmaskError('BAD_ARGUMENT') naming `source` and the 1-based line number.
 */
export function parseScoreCsv(text: string, source = 'csv'): ScoreTable {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const bad = (line: number, why: string): UnmaskError => new UnmaskError('BAD_ARGUMENT', `${source} line ${line}: ${why}`);
  const headerAt = lines.findIndex((l) => l.trim() !== '');
  if (headerAt < 0) throw new UnmaskError('BAD_ARGUMENT', `${source} is empty; expected a header 'label,score'`);
  const header = lines[headerAt]!.split(',').map((h) => h.trim().toLowerCase());
  const labelCol = header.indexOf('label');
  const scoreCol = header.indexOf('score');
  if (labelCol < 0 || scoreCol < 0) throw bad(headerAt + 1, `header must name 'label' and 'score' columns, got '${lines[headerAt]!.trim()}'`);
  const labels: number[] = [];
  const scores: number[] = [];
  for (let i = headerAt + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const fields = line.split(',').map((f) => f.trim());
    if (fields.length !== header.length) throw bad(i + 1, `expected ${header.length} fields, got ${fields.length}: '${line.trim()}'`);
    const label = fields[labelCol]!;
    const scoreText = fields[scoreCol]!;
    const y = label === '' ? NaN : Number(label);
    if (y !== 0 && y !== 1) throw bad(i + 1, `label '${label}' must be 0 (real) or 1 (fake)`);
    const s = scoreText === '' ? NaN : Number(scoreText);
    if (!Number.isFinite(s)) throw bad(i + 1, `score '${scoreText}' is not a finite number`);
    labels.push(y);
    scores.push(s);
  }
  if (labels.length === 0) throw new UnmaskError('BAD_ARGUMENT', `${source} has a header but no rows`);
  return { labels, scores };
}

const numberOption = (name: string, text: string | undefined, fallback: number): number => {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new UnmaskError('BAD_ARGUMENT', `--${name} must be a number, got '${text}'`);
  return value;
};

/**
 * `unmask metrics --csv FILE [--threshold T] [--bootstrap SAMPLES] [--seed N]`: prints one JSON line
 * {n, positives, negatives, auc, ap, eer, eerThreshold, threshold, accuracy, confusion, perClass
 * [, aucInterval: {low, high, level, samples, seed}]}. Accuracy, confusion and per-class accuracy predict
 * fake when score >= threshold (default 0.5). Returns the exit code; errors are thrown as UnmaskError.
 */
export async function metricsCommand({ values }: { values: { csv?: string; threshold?: string; bootstrap?: string; seed?: string } }): Promise<number> {
  if (!values.csv) throw new UnmaskError('BAD_ARGUMENT', '--csv is required');
  let text: string;
  try {
    text = await fs.promises.readFile(values.csv, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'NOT_FOUND' : 'BAD_ARGUMENT';
    throw new UnmaskError(code, `cannot read ${values.csv}: ${(error as Error).message}`, { cause: error });
  }
  const { labels, scores } = parseScoreCsv(text, values.csv);
  const summary: Record<string, unknown> = { ...summarize(labels, scores, numberOption('threshold', values.threshold, 0.5)) };
  if (values.bootstrap !== undefined) {
    const samples = numberOption('bootstrap', values.bootstrap, 1000);
    const seed = numberOption('seed', values.seed, 0);
    summary.aucInterval = { ...bootstrapAucInterval(labels, scores, { samples, seed }), level: 0.95, samples, seed };
  }
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return 0;
}
