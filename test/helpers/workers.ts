// `unmask worker` processes for tests: see main/bench/local-queue.ts.
export { startWorker, type LocalWorker as TestWorker, type WorkerRoots } from '../../main/bench/local-queue.js';
