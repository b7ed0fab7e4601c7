// How the coordinator names and keeps its BullMQ jobs: retention, and a train job's feature-shard children.
import { QUEUE_NAME } from './names.js';
import type { TrainPayload } from './payloads.js';

/** Finished jobs stay in Redis for a while, so a coordinator that was away still finds their results. */
export const JOB_OPTIONS = { attempts: 1, removeOnComplete: { age: 14 * 86_400 }, removeOnFail: { age: 30 * 86_400 } };

/** A feature shard's job id: `<parent id>-f<index>`. */
export const shardId = (parent: string, index: number) => `${parent}-f${index}`;
export const parentOfShard = (id: string) => /^(.*)-f\d+$/.exec(id)?.[1] ?? null;

/** A train job `id` whose `shards` feature-extraction children run first (a failed shard fails the run). */
export function shardedTrainFlow(id: string, data: TrainPayload, shards: number) {
  const children = Array.from({ length: shards }, (_, index) => ({
    name: 'features',
    queueName: QUEUE_NAME,
    data: { request: data.request, shard: { index, count: shards }, coordinator: data.coordinator },
    opts: { ...JOB_OPTIONS, jobId: shardId(id, index), failParentOnFailure: true },
  }));
  return { name: 'train', queueName: QUEUE_NAME, data, opts: { ...JOB_OPTIONS, jobId: id }, children };
}
