// Class-balanced epochs: sample orders in which every batch holds as many real as fake images.
import { permutation, type Rng } from './rng.js';

function byClass(labels: ArrayLike<number>): [number[], number[]] {
  const out: [number[], number[]] = [[], []];
  for (let i = 0; i < labels.length; i++) out[labels[i] === 1 ? 1 : 0].push(i);
  return out;
}

/** The length of a balanced epoch: twice the larger class (the sample count when one class is empty). */
export function balancedLength(labels: ArrayLike<number>): number {
  const [reals, fakes] = byClass(labels);
  return reals.length === 0 || fakes.length === 0 ? labels.length : 2 * Math.max(reals.length, fakes.length);
}

/**
 * One epoch's order over samples with labels 0/1 that alternates the classes (class `first` at even positions),
 * so any run of b consecutive samples, every batch included, holds ⌊b/2⌋ or ⌈b/2⌉ of each. The larger class
 * is visited once, shuffled; the smaller one repeats, reshuffled each time all of it has been seen. Length:
 * twice the larger class. With a single class there is nothing to balance: a plain shuffle.
 */
export function balancedOrder(labels: ArrayLike<number>, rng: Rng): number[] {
  const [reals, fakes] = byClass(labels);
  if (reals.length === 0 || fakes.length === 0) return Array.from(permutation(labels.length, rng));
  const length = Math.max(reals.length, fakes.length);
  const stream = (members: readonly number[]): number[] => {
    const out: number[] = [];
    while (out.length < length) for (const k of permutation(members.length, rng)) if (out.length < length) out.push(members[k]!);
    return out;
  };
  const first = rng() < 0.5 ? 0 : 1;
  const streams = first === 0 ? [stream(reals), stream(fakes)] : [stream(fakes), stream(reals)];
  return Array.from({ length: 2 * length }, (_, p) => streams[p % 2]![p >> 1]!);
}
