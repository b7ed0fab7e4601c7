// Training worker process: runs one training session (then scores its own val and test splits) and reports progress.
import { UnmaskError } from '../engine/errors.js';
import { toErrorPayload } from '../api/errors.js';
import { RunStore } from '../store/index.js';
import type { SessionOptions, TrainEvent } from '../train/session.js';
import { writeJournal } from '../queue/journal.js';
import { SharedRoot } from '../queue/roots.js';
import { parentChannel, reportCrashes } from './port.js';
import type { JournalLocation, PhaseProgress, TrainWorkerCommand, TrainWorkerMessage } from './protocol.js';

const port = parentChannel<TrainWorkerCommand, TrainWorkerMessage>();
reportCrashes((error) => port.send({ type: 'error', error }));
const controller = new AbortController();
let started = false;

function progress(p: Partial<PhaseProgress> & Pick<PhaseProgress, 'phase'>): TrainWorkerMessage {
  const base = { epoch: 0, epochs: 0, done: 0, total: 0, imgPerSec: null, etaSeconds: null, runningLoss: null, runningAccuracy: null };
  return { type: 'progress', progress: { ...base, ...p } };
}

/** The session's events as worker messages (the dataset scan itself stays here: it can hold 100,000 paths). */
function relay(event: TrainEvent): void {
  switch (event.type) {
    case 'scan':
      return port.send(progress({ phase: 'scan', done: 1, total: 1 }));
    case 'download':
      return port.send(progress({ phase: 'download', done: event.received, total: event.total ?? 0 }));
    case 'start':
      return port.send({ type: 'run', runId: event.runId, engine: event.engine, startEpoch: event.startEpoch, epochs: event.epochs });
    case 'features':
      return port.send(progress({ phase: 'features', done: event.done, total: event.total, imgPerSec: event.imgPerSec, etaSeconds: event.etaSeconds }));
    case 'batch':
      return port.send(
        progress({
          phase: event.phase,
          epoch: event.epoch,
          epochs: event.epochs,
          done: event.batch,
          total: event.batches,
          imgPerSec: event.imgPerSec,
          etaSeconds: event.etaSeconds,
          runningLoss: event.runningLoss,
          runningAccuracy: event.runningAccuracy,
        }),
      );
    case 'epoch': {
      const { decodeShare: _decodeShare, ...epoch } = event.metrics;
      return port.send({ type: 'epoch', epoch });
    }
    default:
      return;
  }
}

/**
 * The session's events relayed, and (a queue job) its journal rewritten when the run is created and after each
 * recorded epoch: synchronously, before the session prunes the older checkpoints.
 */
function onEvent(store: RunStore, journal: JournalLocation | undefined): (event: TrainEvent) => void {
  const artifacts = journal ? new SharedRoot(journal.artifactRoot, 'artifact root') : null;
  let runId: number | null = null;
  return (event) => {
    if (event.type === 'start') runId = event.runId;
    if (journal && artifacts && runId !== null && (event.type === 'start' || event.type === 'epoch')) writeJournal(journal.file, store, runId, artifacts);
    relay(event);
  };
}

async function run(command: Extract<TrainWorkerCommand, { type: 'start' | 'resume' }>): Promise<void> {
  const [{ trainRun, resumeRun }, { scoreRun }] = await Promise.all([import('../train/session.js'), import('../analysis/score.js')]);
  const store = RunStore.open(command.store.dbPath);
  try {
    const { runsDir, featureCacheDir } = command.store;
    const options: SessionOptions = { runsDir, featureCacheDir, signal: controller.signal, onEvent: onEvent(store, command.journal) };
    const outcome = command.type === 'start' ? await trainRun(store, command.request, options) : await resumeRun(store, command.runId, options);
    // The run's own scores, at once: its best checkpoint on its validation split (where its decision threshold is
    // chosen) and its test split, so ROC/DET are there when the run appears finished. Progress: val the first
    // half of the phase, test the second, so the job's fraction never goes back.
    if (outcome.bestEpoch != null && outcome.testAccAtBestVal != null) {
      for (const [half, split] of [
        [0, 'val'],
        [1, 'test'],
      ] as const) {
        await scoreRun(store, outcome.run, {
          split,
          signal: controller.signal,
          onProgress: (p) =>
            port.send(progress({ phase: 'score', done: half * p.batches + p.batch, total: 2 * p.batches, imgPerSec: p.imgPerSec, etaSeconds: p.etaSeconds })),
        });
      }
    }
    port.send({ type: 'done', outcome });
  } finally {
    store.close();
  }
}

port.onMessage((command) => {
  if (command.type === 'cancel') return controller.abort();
  if (started) return port.send({ type: 'error', error: toErrorPayload(new UnmaskError('INTERNAL', 'a training worker runs one job')) });
  started = true;
  run(command)
    .catch((error: unknown) => port.send({ type: 'error', error: toErrorPayload(error) }))
    .finally(() => setTimeout(() => process.exit(0), 50));
});
