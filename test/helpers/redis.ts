// A real Redis for tests (Debian's redis-server on a free port of 127.0.0.1): see main/bench/local-queue.ts.
export { freePort, startRedis, type LocalRedis as TestRedis } from '../../main/bench/local-queue.js';
