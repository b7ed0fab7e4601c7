// Progress rendering for long CLI commands: a redrawn bar on a terminal, periodic lines otherwise (logs, CI).
import type { DatasetScan } from '../data/index.js';
import type { EpochMetrics } from '../train/fit.js';
import type { TrainEvent } from '../train/session.js';

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

function bar(fraction: number, width = 24): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** Returns an event handler that draws training progress on `stream` (stderr: stdout stays machine-readable). */
export function trainingProgress(stream: NodeJS.WriteStream = process.stderr): (event: TrainEvent) => void {
  const tty = stream.isTTY === true;
  let lastLine = 0;
  /** A progress line: redrawn in place on a terminal; elsewhere written when `final`, else at most every 10 s. */
  const redraw = (line: string, final: boolean) => {
    if (tty) stream.write(`\r${line}\u001b[K`);
    else if (final || Date.now() - lastLine > 10_000) {
      stream.write(`${line}\n`);
      lastLine = Date.now();
    }
  };
  return (event) => {
    switch (event.type) {
      case 'scan':
        stream.write(scanLines(event.scan));
        break;
      case 'duplicates':
        if (event.files > 0) stream.write(`${event.files} images have the same content as another image of these folders (all are kept)\n`);
        break;
      case 'start':
        stream.write(`run ${event.runId} on the ${event.engine} engine: epochs ${event.startEpoch + 1}–${event.epochs}\n`);
        if (event.training) stream.write(`training: ${event.training}\n`);
        break;
      case 'download': {
        const mb = (n: number) => (n / 2 ** 20).toFixed(1);
        const line = `downloading weights ${event.total ? `${bar(event.received / event.total)} ${mb(event.received)}/${mb(event.total)} MB` : `${mb(event.received)} MB`}`;
        redraw(line, event.received === event.total);
        break;
      }
      case 'pretrained':
        stream.write(
          `${tty ? '\r\u001b[K' : ''}pretrained weights ${event.source}: ${event.tensors} tensors in ${event.layers} layers (${event.seconds.toFixed(1)} s)\n`,
        );
        break;
      case 'features': {
        const line =
          `features ${event.split.padEnd(5)} ${bar(event.total ? event.done / event.total : 1)} ${event.done}/${event.total}` +
          ` (${event.cached} cached, ${event.computed} computed) ${event.imgPerSec.toFixed(1)} img/s ETA ${duration(event.etaSeconds)}`;
        redraw(line, event.done === event.total);
        break;
      }
      case 'features-done':
        stream.write(
          `${tty ? '\r\u001b[K' : ''}features ready in ${duration(event.seconds)}: ${event.computed} computed, ${event.cached} from the cache (${event.dim}-d, backbone ${event.weightsHash.slice(0, 12)})` +
            `${event.bad.length ? `; ${event.bad.length} unreadable images left out` : ''}\n`,
        );
        break;
      case 'batch': {
        const line =
          `epoch ${event.epoch}/${event.epochs} ${event.phase.padEnd(5)} ${bar(event.batch / event.batches)} ${event.batch}/${event.batches}` +
          ` loss ${event.runningLoss.toFixed(4)} acc ${event.runningAccuracy.toFixed(1)}% ${event.imgPerSec.toFixed(1)} img/s ETA ${duration(event.etaSeconds)}`;
        redraw(line, event.batch === event.batches);
        break;
      }
      case 'epoch':
        stream.write(`${tty ? '\r\u001b[K' : ''}${epochLine(event.metrics)}\n`);
        break;
    }
  };
}

/** The dataset's class counts per split, and the first skipped files. */
function scanLines(scan: DatasetScan): string {
  const counts = (s: DatasetScan) => {
    const split = (n: 'train' | 'val' | 'test') => `${n} ${s.splits[n].counts.real}/${s.splits[n].counts.fake}`;
    return `real/fake ${split('train')}, ${split('val')}, ${split('test')}; fake:real ${s.fakeToReal?.toFixed(3) ?? 'n/a'}; ${s.bad.length} skipped`;
  };
  const lines = [
    `dataset ${scan.parts ? scan.parts.map((p) => p.root).join(' + ') : scan.root}: ${counts(scan)}`,
    ...(scan.parts ?? []).map((p) => `  ${p.root}: ${counts(p)}`),
    ...scan.bad.slice(0, 20).map((b) => `  skipped ${b.path}: ${b.reason}`),
    ...(scan.bad.length > 20 ? [`  … and ${scan.bad.length - 20} more`] : []),
  ];
  return `${lines.join('\n')}\n`;
}

function epochLine(m: EpochMetrics): string {
  const auc = (v: number | null | undefined) => (v == null ? '' : ` AUC ${v.toFixed(3)}`);
  const test = m.testAcc == null ? '' : ` test ${m.testLoss!.toFixed(4)}/${m.testAcc.toFixed(2)}%${auc(m.testAuc)}`;
  return (
    `epoch ${m.epoch}: train ${m.trainLoss.toFixed(4)}/${m.trainAcc.toFixed(2)}% val ${m.valLoss.toFixed(4)}/${m.valAcc.toFixed(2)}%${auc(m.valAuc)}${test}` +
    ` (${duration(m.seconds)}, ${m.imgPerSec.toFixed(1)} img/s, decode wait ${(100 * m.decodeShare).toFixed(1)}%)`
  );
}
