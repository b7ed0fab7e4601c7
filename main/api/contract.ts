// The one API between the renderer and the main side: methods, payloads, results and events (types only).
// The renderer type-imports this file: it may only type-import modules that are plain types too (no Node, no tfjs).
import type { EpochRecord, EvaluationSplit, RunStatus } from '../store/types.js';
import type { CrossDatasetMatrix } from '../analysis/matrix-types.js';
import type { MetricSummary } from '../analysis/metric-types.js';
import type { ClassCounts, ClassName, SplitName } from '../data/types.js';
import type { CheckpointKind } from '../store/types.js';
import type { RecipeOptions } from '../train/recipe-types.js';
import type { ApiTrainRequest, ResolvedApiTrainRequest, TrainDefaults, TRAIN_LIMITS } from '../train/request-schema.js';

export type { MatrixCell, MatrixColumn, MatrixRow } from '../analysis/matrix-types.js';
export type { RecipeOptions } from '../train/recipe-types.js';
export type { Confusion, MetricSummary } from '../analysis/metric-types.js';

/** Channel prefix of every Electron IPC call; the HTTP transport uses `/api/<method>`. */
export const API_CHANNEL_PREFIX = 'unmask:';

/** How an error crosses a transport; the client rebuilds it as an `ApiError` with the same code. */
export interface ErrorPayload {
  /** UnmaskError code: BAD_ARGUMENT, NOT_FOUND, FORBIDDEN, DATASET_INVALID, DISK_FULL, INTERNAL, … */
  code: string;
  message: string;
}

export type { SplitName } from '../data/types.js';
export type { ClassName } from '../data/types.js';
export type { CheckpointKind } from '../store/types.js';
export type FigureFormat = 'svg' | 'png';

/** An ECharts option object, built on the main side by the same builders as the exported figures. */
export type ChartOption = Record<string, unknown>;

export interface ModelInfo {
  name: string;
  description: string;
  /** Side the model is trained at (images decode to 256 × 256 and are resized when this differs). */
  inputSize: number;
  /** Starts from ImageNet weights; frozen-backbone training is then available. */
  pretrained: boolean;
  /** Default Grad-CAM layer. */
  camLayer: string;
  /** Learning rate and epochs the form starts from for this model. */
  trainDefaults: { lr: number; epochs: number };
  /** Backbone blocks that can be unfrozen (0 for a model trained from scratch). */
  backboneBlocks: number;
  /** Its head is one linear layer on standardised frozen features (it can be fitted in closed form: `headFit: 'ridge'`). */
  linearHead: boolean;
  /** The strongest recipe found for this model (chosen on validation data), one click away in the form. */
  recommended: RecommendedRecipe | null;
}

/** A model's recommended training settings: the optimizer, rate and epochs, and the recipe options. */
export interface RecommendedRecipe {
  optimizer: string;
  lr: number;
  epochs: number;
  recipe: RecipeOptions;
  /** How it was chosen, in a sentence. */
  why: string;
}

export interface ExplainMethodInfo {
  name: string;
  /** 'cam' methods take a layer. */
  kind: 'gradient' | 'cam';
  description: string;
  citation: string;
}

export type { TrainDefaults } from '../train/request-schema.js';
/** The numeric limits of a training request, as the request schema applies them (the form's min and max). */
export type TrainLimits = typeof TRAIN_LIMITS;

export interface AppInfo {
  version: string;
  transport: 'ipc' | 'http';
  /** A native folder dialog exists (Electron); browser mode types paths instead. */
  canPickFolders: boolean;
  models: ModelInfo[];
  optimizers: string[];
  explainMethods: ExplainMethodInfo[];
  /** The method the Explain screen starts with. */
  defaultExplainMethod: string;
  defaults: TrainDefaults;
  limits: TrainLimits;
  /** Folder whose sub-folders are offered as datasets (UNMASK_DATA_ROOT), or null. */
  dataRoot: string | null;
  /** Database file the runs are recorded in. */
  database: string;
  /** Where jobs run. */
  queue: QueueSettings;
}

export type { ClassCounts } from '../data/types.js';

export interface SplitCounts {
  counts: ClassCounts;
  /** fake / real; null when the split has no real image. */
  fakeToReal: number | null;
}

export interface BadFileInfo {
  path: string;
  kind: string;
  reason: string;
}

export interface DatasetSummary {
  /** Absolute folder path: the dataset's identity in every other call. */
  path: string;
  name: string;
  /** 'folders': train/val/test on disk; 'derived': flat class folders split 70/15/15 with a fixed seed. */
  splitsFrom: 'folders' | 'derived';
  splits: Record<SplitName, SplitCounts>;
  counts: ClassCounts;
  fakeToReal: number | null;
  /** Skipped files (at most 200 listed; badCount has them all). */
  bad: BadFileInfo[];
  badCount: number;
  scanMs: number;
}

export interface ImageEntry {
  path: string;
  split: SplitName;
  label: ClassName;
}

export interface ImagePage {
  total: number;
  offset: number;
  items: ImageEntry[];
}

/** Encoded image bytes for display (`data:${mime};base64,${base64}`). */
export interface EncodedImage {
  mime: 'image/jpeg' | 'image/png' | 'image/svg+xml';
  base64: string;
  width: number;
  height: number;
}

/**
 * A training job: every field but the dataset (a folder opened with openDataset) may be left out; the recipe fields
 * (partial unfreezing, schedule, selection, self-blending…) default to the baseline recipe. One schema for every
 * entry point: main/train/request-schema.ts.
 */
export type TrainRequest = ApiTrainRequest;
/** A job's request: as checked, its defaults filled in. */
export type JobRequest = ResolvedApiTrainRequest;

export type JobState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export type JobPhase = 'queued' | 'scan' | 'download' | 'features' | 'train' | 'val' | 'test' | 'score' | 'done';

export interface JobProgress {
  phase: JobPhase;
  /** 1-based epoch being run (0 before the first). */
  epoch: number;
  epochs: number;
  /** Steps of the current phase done and in all (batches, or feature views). */
  done: number;
  total: number;
  /** Whole job, 0 to 1. */
  fraction: number;
  /** Seconds left for the whole job at the current rate; null until a rate is known. */
  etaSeconds: number | null;
  imgPerSec: number | null;
  runningLoss: number | null;
  runningAccuracy: number | null;
}

/** One finished epoch, as the run store records it. Accuracies are percentages. */
export type EpochPoint = EpochRecord;

export interface JobInfo {
  id: number;
  request: JobRequest;
  /** The sweep it belongs to (startSweep), or null. */
  sweep: string | null;
  /** The job's id on the Redis queue, or null for a job run on this machine. */
  queueJobId: string | null;
  /** The queue worker running it (`host:pid:engine`), or null (queued, or run on this machine). */
  worker: string | null;
  state: JobState;
  /** The run it records into, once created. */
  runId: number | null;
  engine: string | null;
  progress: JobProgress;
  epochs: EpochPoint[];
  error: ErrorPayload | null;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export type { EvaluationSplit, RunStatus };

export interface RunRow {
  id: number;
  model: string;
  /** The folder it was trained on (the first, when it trained on several). */
  datasetPath: string;
  /** Every folder it was trained on, in order (one for most runs). */
  datasetPaths: string[];
  /** The folders' names, joined with " + " when several. */
  datasetName: string;
  params: { lr: number; batchSize: number; epochs: number; optimizer: string; seed: number; [key: string]: unknown };
  /** Trainable parameters of the model. */
  parameters: number | null;
  engine: string;
  status: RunStatus;
  createdAt: string;
  finishedAt: string | null;
  error: string | null;
  epochsDone: number;
  bestValAcc: number | null;
  bestEpoch: number | null;
  testAccAtBestVal: number | null;
  /** AUC of the run's own test scores: its best checkpoint on its own test split (null until scored). */
  testAuc: number | null;
  /** Where testAuc comes from (null until the run's own test split is scored). */
  testAucSource: ScoreSource | null;
  /** Splits whose own scores an older version let another scoring replace: missing until scored again (rescoreRun). */
  missingOwnScores: { split: SplitName; reason: string; evaluationId: number | null }[];
  /** Evaluations recorded for the run (scorings of other folders, splits or checkpoints). */
  evaluations: number;
  seconds: number;
  /** The sweep the run was trained in, or null. */
  sweep: string | null;
  /** The queue worker that trained it (`host:pid:engine`), or null when it ran on this machine. */
  worker: string | null;
}

/** Where a shown number comes from; `label` says it in words ("fakes_dataset · own test split · best checkpoint (epoch 3)"). */
export interface ScoreSource {
  /** 'own': the run's own scores (its best checkpoint on its own dataset's split); else a stored evaluation. */
  kind: 'own' | 'evaluation';
  evaluationId: number | null;
  datasetPath: string;
  datasetName: string;
  split: EvaluationSplit;
  /** null when not recorded (moved from an older database). */
  checkpoint: CheckpointKind | null;
  checkpointEpoch: number | null;
  label: string;
}

export interface RunDetail {
  run: RunRow;
  epochs: EpochPoint[];
  checkpoints: { epoch: number; kind: CheckpointKind }[];
}

export interface ScoredImage {
  path: string;
  label: ClassName;
  /** P(fake). */
  score: number;
}

export interface AnalysisResult {
  runId: number;
  split: SplitName;
  /** The scores analysed: the run's own split, or (getEvaluation) an evaluation's. */
  source: ScoreSource;
  n: number;
  /** Null when the split holds one class only (no ROC exists). */
  summary: MetricSummary | null;
  charts: { roc: ChartOption | null; det: ChartOption | null; confusion: ChartOption | null; histogram: ChartOption | null };
  /** Most confident mistakes at the threshold, worst first (at most 12 each). */
  falsePositives: ScoredImage[];
  falseNegatives: ScoredImage[];
}

export interface CompareResult {
  runs: RunRow[];
  split: SplitName;
  /** Per run: metrics of its own scores of the split (null where unscored or one class), and where they come from. */
  metrics: { runId: number; summary: MetricSummary | null; source: ScoreSource | null }[];
  charts: { loss: ChartOption; accuracy: ChartOption; roc: ChartOption | null; det: ChartOption | null };
}

export type ImageSource = { path: string } | { base64: string; name?: string };

export interface ExplainRequest {
  runId: number;
  image: ImageSource;
  /** A name from AppInfo.explainMethods. */
  method: string;
  /** CAM methods only; default the model's camLayer. */
  layer?: string;
  target?: 'predicted' | ClassName;
  checkpoint?: CheckpointKind;
  /** Explain the image's largest face, cropped with a 1.3× margin (always, for a run trained with face crops). */
  cropFaces?: boolean;
}

export interface ExplainResult {
  runId: number;
  method: string;
  layer: string | null;
  target: ClassName;
  prediction: ClassName;
  scores: { real: number; fake: number };
  /** 256 × 256 PNG: the image with the map blended over it. */
  overlay: EncodedImage;
  ms: number;
  /** With face crops: whether a face was found (else the whole image was explained). */
  face?: boolean;
}

export interface ExplainChoices {
  runId: number;
  model: string;
  /** Layers a CAM method can use, input to output. */
  layers: string[];
  defaultLayer: string;
  checkpoints: CheckpointKind[];
}

/** A stored evaluation: a run scored on a folder, split or checkpoint other than its own scores. */
export interface EvaluationRow {
  id: number;
  runId: number;
  model: string;
  source: ScoreSource;
  n: number;
  /** null when undefined (one class only). */
  auc: number | null;
  aucInterval: { low: number; high: number } | null;
  ap: number | null;
  eer: number | null;
  /** 0–1 at P(fake) >= 0.5. */
  accuracyAtHalf: number | null;
  /** The threshold the run chose on its own validation split, and the accuracy there. */
  runThreshold: number | null;
  accuracyAtRunThreshold: number | null;
  runThresholdMissing: string | null;
  skipped: number;
  /** 'migrated': moved from an older database, where it had replaced the run's own scores. */
  origin: 'evaluated' | 'migrated';
  note: string | null;
  createdAt: string;
}

/** One evaluation with its charts and worst errors (as analyseRun gives for a run's own split). */
export interface EvaluationDetail extends Omit<AnalysisResult, 'split'> {
  evaluation: EvaluationRow;
}

/** Rows = runs, columns = evaluated datasets, cells = AUC with its 95 % interval; with its figure and CSV. */
export interface MatrixResult extends CrossDatasetMatrix {
  chart: ChartOption;
  /** The figure size that fits every cell (for SVG/PNG export). */
  size: { width: number; height: number };
  csv: string;
}

export interface ExportReportResult {
  out: string;
  files: string[];
  skipped: { figures: string[]; reason: string }[];
}

/** A grid of training runs: every combination of the listed values, the other fields as in `base`. */
export interface SweepRequest {
  /** The fields every run shares (a dataset opened with openDataset); one left out takes its default (the model's own lr and epochs). */
  base: TrainRequest;
  grid: { model: string[]; lr?: number[]; optimizer?: string[]; batchSize?: number[]; seed?: number[] };
}

export interface SweepInfo {
  sweep: string;
  jobs: JobInfo[];
}

/** Where jobs run: here (no queue) or on a Redis queue that `unmask worker` processes take them from. */
export interface QueueSettings {
  /** The Redis URL with its password hidden, or null: jobs run on this machine. */
  url: string | null;
  /** The artifact root (checkpoints, feature caches) every machine sees, as this machine mounts it. */
  artifacts: string | null;
  /** The data root queued datasets must be under (workers resolve them under their own mount of it). */
  dataRoot: string | null;
  /** Where the queue URL comes from: the command line, UNMASK_QUEUE, or the app's Settings. */
  source: 'flag' | 'env' | 'settings' | null;
}

export interface FleetWorker {
  /** `host:pid:engine` (or the name given with `unmask worker --name`). */
  name: string;
  host: string;
  pid: number | null;
  engine: string | null;
  /** Seconds it has been connected. */
  connectedSeconds: number | null;
  /** The jobs it is running now. */
  jobs: { queueJobId: string; kind: 'train' | 'evaluate' | 'features'; label: string; runId: number | null }[];
}

/** The machines taking jobs, and what waits for them. */
export interface FleetInfo {
  queue: QueueSettings;
  /** The queue answered (always true without a queue). */
  connected: boolean;
  /** Why it did not, in words. */
  error: string | null;
  workers: FleetWorker[];
  depth: { waiting: number; active: number; delayed: number; waitingChildren: number; completed: number; failed: number };
}

/**
 * Pushed to every client: job progress and state changes, "the run list changed", and (Electron only) a dataset
 * opened from the File menu, for the UI to show.
 */
export type ApiEvent = { type: 'job'; job: JobInfo } | { type: 'runs-changed' } | { type: 'dataset-opened'; dataset: DatasetSummary };

/** The engine the app's workers compute on, chosen at their start as `unmask engine` does. */
export interface EngineStatus {
  engine: 'gpu' | 'native' | 'wasm' | 'cpu';
  backend: string;
  tfjsVersion: string;
  threads: number;
  simd: boolean;
  /** The GPU of the gpu engine, as the NVIDIA driver names it; null on the other engines. */
  device: string | null;
  /** Each engine faster than this one: why it did not load, and what it would need. */
  faster: { engine: EngineStatus['engine']; reason: string; needs: string }[];
}

/** Every call the renderer can make. Main implements it once; each transport forwards it unchanged. */
export interface UnmaskApi {
  getInfo(): Promise<AppInfo>;
  /** The analysis worker's engine (started on first use, so this may take seconds where getInfo does not). */
  getEngine(): Promise<EngineStatus>;
  /** Native folder dialog (Electron); null when cancelled or in browser mode. */
  pickFolder(params: { title?: string }): Promise<string | null>;
  /** Scans a folder and allows access to it; datasets of recorded runs are allowed too. */
  openDataset(params: { path: string }): Promise<DatasetSummary>;
  listDatasets(): Promise<DatasetSummary[]>;
  listImages(params: { dataset: string; split?: SplitName; label?: ClassName; offset?: number; limit?: number }): Promise<ImagePage>;
  /** An image of an allowed dataset, fitted inside size × size (default 128) as JPEG. */
  getImage(params: { path: string; size?: number }): Promise<EncodedImage>;
  startTraining(params: TrainRequest): Promise<JobInfo>;
  /** Queues one training job per combination of the grid, grouped as one sweep. */
  startSweep(params: SweepRequest): Promise<SweepInfo>;
  listJobs(): Promise<JobInfo[]>;
  cancelJob(params: { jobId: number }): Promise<JobInfo>;
  listRuns(): Promise<RunRow[]>;
  getRun(params: { runId: number }): Promise<RunDetail>;
  /** Metrics and charts of a split (scored first when the run has no saved scores for it). */
  analyseRun(params: { runId: number; split?: SplitName; threshold?: number }): Promise<AnalysisResult>;
  compareRuns(params: { runIds: number[]; split?: SplitName }): Promise<CompareResult>;
  /** Scores a run's own split again (its best checkpoint on its own dataset), e.g. where its own scores are missing. */
  rescoreRun(params: { runId: number; split: SplitName }): Promise<RunRow>;
  /** Scores a run on an opened folder (a split, or 'all' by default for a folder it was not trained on) as an evaluation. */
  /** `cropFaces`: score each image's largest face (always, for a run trained with face crops). */
  evaluateRun(params: { runId: number; dataset: string; split?: EvaluationSplit; checkpoint?: CheckpointKind; cropFaces?: boolean }): Promise<EvaluationRow>;
  listEvaluations(params: { runId?: number }): Promise<EvaluationRow[]>;
  /** An evaluation's metrics at `threshold` (default 0.5), ROC/DET/confusion/histogram and worst errors. */
  getEvaluation(params: { evaluationId: number; threshold?: number }): Promise<EvaluationDetail>;
  /** The cross-dataset matrix of every run with a cell (or of `runIds`). */
  crossDatasetMatrix(params: { runIds?: number[] }): Promise<MatrixResult>;
  explainChoices(params: { runId: number }): Promise<ExplainChoices>;
  explainImage(params: ExplainRequest): Promise<ExplainResult>;
  /** Renders a chart option (from analyseRun/compareRuns) to SVG or PNG, legends and labels included. */
  renderChart(params: { option: ChartOption; format: FigureFormat; width?: number; height?: number }): Promise<EncodedImage>;
  /** Writes every figure of the runs and a summary into `out`. */
  exportReport(params: { runIds: number[]; out: string; split?: SplitName; formats?: FigureFormat[] }): Promise<ExportReportResult>;
  /** The workers seen on the queue, their engine and current jobs, and the queue's depth. */
  getFleet(): Promise<FleetInfo>;
  /** Sends new jobs to a Redis queue (url) or runs them here (null); kept in the run database for next time. */
  setQueue(params: { url: string | null; artifacts?: string | null }): Promise<QueueSettings>;
}

export type ApiMethod = keyof UnmaskApi;

/** What the renderer holds: the API plus a subscription to events. */
export interface UnmaskClient extends UnmaskApi {
  /** Returns an unsubscribe function. */
  onEvent(listener: (event: ApiEvent) => void): () => void;
}

/** Result of a call as it crosses a transport: errors travel as data and are rebuilt on the other side. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ErrorPayload };

type Unpromise<T> = T extends Promise<infer U> ? U : never;

/** What preload exposes as `window.unmask`: one named function per method, each returning an envelope. */
export type UnmaskBridge = {
  [M in ApiMethod]: (...params: Parameters<UnmaskApi[M]>) => Promise<Envelope<Unpromise<ReturnType<UnmaskApi[M]>>>>;
} & {
  onEvent(listener: (event: ApiEvent) => void): () => void;
};
