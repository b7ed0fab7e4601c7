// The main side's handle on the analysis worker: started on first use, restarted after a crash.
import { UnmaskError } from '../engine/errors.js';
import { fromErrorPayload } from '../api/errors.js';
import type { LaunchWorker, WorkerHandle } from '../worker/launch.js';
import type { AnalysisOp, AnalysisParams, AnalysisResult, AnalysisWorkerReply, AnalysisWorkerRequest } from '../worker/protocol.js';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class AnalysisClient {
  private worker: WorkerHandle | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly launch: LaunchWorker) {}

  /** Sends one request; the reply's error is rethrown as an UnmaskError with the worker's code. */
  request<K extends AnalysisOp>(op: K, params: AnalysisParams<K>): Promise<AnalysisResult<K>> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise<AnalysisResult<K>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.send({ id, op, params } as AnalysisWorkerRequest);
    });
  }

  private start(): WorkerHandle {
    const worker = this.launch('analysis');
    this.worker = worker;
    worker.onMessage((message) => {
      const reply = message as AnalysisWorkerReply;
      const pending = this.pending.get(reply.id);
      if (!pending) return;
      this.pending.delete(reply.id);
      if (reply.ok) pending.resolve(reply.value);
      else pending.reject(fromErrorPayload(reply.error));
    });
    worker.onExit((code, signal) => {
      if (this.worker === worker) this.worker = null;
      const error = new UnmaskError('INTERNAL', `the analysis process stopped (${signal ?? `exit code ${code}`}); the request can be retried`);
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    });
    return worker;
  }

  close(): void {
    this.worker?.kill();
    this.worker = null;
  }
}
