// Sweeps: a grid of training requests (every combination of the listed values) and its id.
import { randomBytes } from 'node:crypto';
import type { SweepRequest, TrainRequest } from '../api/contract.js';

type Partial_ = Partial<TrainRequest> & Pick<TrainRequest, 'dataset'>;

/**
 * Every combination of the grid's values over `base`, models varying slowest, seeds fastest. A grid field
 * left out keeps `base`'s value (or its default, filled in when each request is checked).
 */
export function expandSweep(request: SweepRequest): Partial_[] {
  const { grid } = request;
  const axes: [keyof SweepRequest['grid'], readonly (string | number)[] | undefined][] = [
    ['model', grid.model],
    ['optimizer', grid.optimizer],
    ['lr', grid.lr],
    ['batchSize', grid.batchSize],
    ['seed', grid.seed],
  ];
  let out: Partial_[] = [{ ...request.base }];
  for (const [key, values] of axes) {
    if (!values || values.length === 0) continue;
    out = out.flatMap((r) => [...new Set(values)].map((v) => ({ ...r, [key]: v })));
  }
  return out;
}

/** A new sweep's id: `sweep-<UTC date and time>-<4 hex>`, sortable and unique enough for one database. */
export function newSweepId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `sweep-${stamp}-${randomBytes(2).toString('hex')}`;
}
