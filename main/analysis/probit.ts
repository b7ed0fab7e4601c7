// The probit (inverse standard normal CDF), for the normal-deviate axes of DET plots.
import { UnmaskError } from '../engine/errors.js';

const poly = (coefficients: readonly number[], x: number): number => coefficients.reduce((acc, c) => acc * x + c, 0);

/* eslint-disable no-loss-of-precision -- the published coefficients digit for digit; doubles round them as CPython's do */
// Wichura (1988), Algorithm AS 241 PPND16, highest power first (the same coefficients as CPython's
// statistics.NormalDist.inv_cdf).
const CENTRAL_NUM = [
  2509.0809287301226727, 33430.575583588128105, 67265.770927008700853, 45921.953931549871457, 13731.693765509461125, 1971.5909503065514427,
  133.14166789178437745, 3.387132872796366608,
];
const CENTRAL_DEN = [
  5226.495278852854561, 28729.085735721942674, 39307.89580009271061, 21213.794301586595867, 5394.1960214247511077, 687.1870074920579083, 42.313330701600911252,
  1,
];
const NEAR_NUM = [
  7.7454501427834140764e-4, 0.0227238449892691845833, 0.24178072517745061177, 1.27045825245236838258, 3.64784832476320460504, 5.7694972214606914055,
  4.6303378461565452959, 1.42343711074968357734,
];
const NEAR_DEN = [
  1.05075007164441684324e-9, 5.475938084995344946e-4, 0.0151986665636164571966, 0.14810397642748007459, 0.68976733498510000455, 1.6763848301838038494,
  2.05319162663775882187, 1,
];
const TAIL_NUM = [
  2.01033439929228813265e-7, 2.71155556874348757815e-5, 0.0012426609473880784386, 0.026532189526576123093, 0.29656057182850489123, 1.7848265399172913358,
  5.4637849111641143699, 6.6579046435011037772,
];
const TAIL_DEN = [
  2.04426310338993978564e-15, 1.4215117583164458887e-7, 1.8463183175100546818e-5, 7.868691311456132591e-4, 0.0148753612908506148525, 0.13692988092273580531,
  0.59983220655588793769, 1,
];
/* eslint-enable no-loss-of-precision */

/**
 * The probit: z with Phi(z) = p for the standard normal CDF Phi. Wichura's Algorithm AS 241 (PPND16),
 * Applied Statistics 37(3):477-484 (1988), relative error about 1e-16 (better than Acklam's 1.15e-9).
 * probit(0) = -Infinity and probit(1) = +Infinity (DET plots clip those); p outside [0, 1] or NaN throws
 * BAD_ARGUMENT.
 */
export function probit(p: number): number {
  if (typeof p !== 'number' || Number.isNaN(p) || p < 0 || p > 1) {
    throw new UnmaskError('BAD_ARGUMENT', `probit needs a probability in [0, 1], got ${String(p)}`);
  }
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * poly(CENTRAL_NUM, r)) / poly(CENTRAL_DEN, r);
  }
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let z: number;
  if (r <= 5) {
    r -= 1.6;
    z = poly(NEAR_NUM, r) / poly(NEAR_DEN, r);
  } else {
    r -= 5;
    z = poly(TAIL_NUM, r) / poly(TAIL_DEN, r);
  }
  return q < 0 ? -z : z;
}
