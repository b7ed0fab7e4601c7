// The run store's public surface: RunStore, its record types and the default database location.
export { RunStore } from './run-store.js';
export { defaultDbPath, userDataDir } from './paths.js';
export { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations.js';
export type {
  CheckpointKind,
  CheckpointRecord,
  EpochRecord,
  EvaluationKey,
  EvaluationRecord,
  EvaluationSplit,
  JobKind,
  JobRecord,
  JobState,
  JobUpdate,
  MissingOwnScores,
  NewEvaluation,
  NewJob,
  NewRun,
  OwnScoreSet,
  OwnScoreSource,
  RunRecord,
  RunStatus,
  RunSummary,
  ScoreRow,
  SeedLog,
  TrainParams,
} from './types.js';
