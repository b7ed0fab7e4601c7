// The main side's one implementation of the API: datasets, the training queue, runs, analysis and explanations.
import type { ApiEvent, AppInfo, UnmaskApi } from '../api/contract.js';
import type { LaunchWorker } from '../worker/launch.js';
import type { WorkerStats } from '../worker/protocol.js';
import { appMethods, resultMethods, runMethods, trainingMethods } from './api-groups.js';
import { createContext } from './context.js';
import type { QueueOption } from './job-router.js';

export interface ServiceOptions {
  /** The run database (created if missing); checkpoints go to `runs/` beside it. */
  dbPath: string;
  transport: AppInfo['transport'];
  launch: LaunchWorker;
  /** Folder whose sub-folders the UI offers as datasets. */
  dataRoot?: string | null;
  /** A native folder dialog (Electron); absent in browser mode. */
  pickFolder?: (title: string) => Promise<string | null>;
  /** A Redis job queue from the command line or UNMASK_QUEUE (else the one kept in Settings, else none). */
  queue?: QueueOption;
  /** Electron's app.isPackaged: what a faster engine needs differs for an installed app. */
  packaged?: boolean;
}

export interface UnmaskService {
  api: UnmaskApi;
  onEvent(listener: (event: ApiEvent) => void): () => void;
  /** The analysis worker's memory (diagnostics and soak tests; not part of the API). */
  analysisStats(): Promise<WorkerStats>;
  /** Stops local workers and disconnects from the queue (queued jobs stay there, taken up next time). */
  close(): Promise<void>;
}

export function createService(options: ServiceOptions): UnmaskService {
  const listeners = new Set<(event: ApiEvent) => void>();
  const ctx = createContext(options, (event) => listeners.forEach((l) => l(event)));
  const api: UnmaskApi = { ...appMethods(ctx), ...trainingMethods(ctx), ...runMethods(ctx), ...resultMethods(ctx) };
  return {
    api,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    analysisStats: () => ctx.analysis.request('stats', {}),
    async close() {
      ctx.analysis.close();
      await ctx.jobs.close();
      ctx.store.close();
    },
  };
}
