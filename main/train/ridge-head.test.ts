// The closed-form ridge head: the Cholesky solve, the dual fit against the primal normal equations, the strength
// chosen on validation AUC, Platt scaling at its optimum, and the Dense layer that carries the fit.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { rocAuc } from '../analysis/curves.js';
import { initEngine } from '../engine/select.js';
import { rngFrom } from '../data/index.js';
import { fitRidge, plattScale, RIDGE_STRENGTHS, setRidgeHead, solveShifted } from './ridge-head.js';

/** Gaussian elimination with partial pivoting (float64): an independent solver for the checks. */
function gaussSolve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const m = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= m[r]![k]! * x[k]!;
    x[r] = s / m[r]![r]!;
  }
  return x;
}

function gaussian(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/** Rows with a weak signal in the first feature (fakes shifted), so different strengths rank differently. */
function rows(n: number, views: number, dim: number, seed: number) {
  const rng = rngFrom(seed, 1, 2, 3);
  const labels = Array.from({ length: n }, (_, i) => i % 2);
  const x = new Float32Array(n * views * dim);
  for (let i = 0; i < n; i++)
    for (let v = 0; v < views; v++) for (let j = 0; j < dim; j++) x[(i * views + v) * dim + j] = gaussian(rng) + (j < 2 ? 0.8 * labels[i]! : 0);
  return { x, n, views, dim, labels };
}

describe('ridge head', () => {
  before(async () => {
    await initEngine({ requested: 'wasm' });
  });

  it('solveShifted solves (K + λI) α = y for a positive semi-definite K', () => {
    const n = 7;
    const rng = rngFrom(5, 6, 7, 8);
    const B = Array.from({ length: n }, () => Array.from({ length: 4 }, () => gaussian(rng)));
    const K = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) K[i * n + j] = B[i]!.reduce((s, b, k) => s + b * B[j]![k]!, 0); // rank 4 < 7
    const y = Float64Array.from({ length: n }, () => gaussian(rng));
    const alpha = solveShifted(K, n, 0.3, y);
    for (let i = 0; i < n; i++) {
      let s = 0.3 * alpha[i]!;
      for (let j = 0; j < n; j++) s += K[i * n + j]! * alpha[j]!;
      assert.ok(Math.abs(s - y[i]!) < 1e-10, `row ${i}: ${s} vs ${y[i]}`);
    }
    assert.throws(() => solveShifted(K, n, -100, y), /not positive definite/);
  });

  it('the dual fit equals the primal normal equations (ZcᵀZc + λI) w = Zcᵀ(t − t̄), and scores val images by their mean view score', () => {
    const train = rows(14, 1, 5, 1);
    const val = rows(10, 2, 5, 2);
    const fit = fitRidge(train, val);
    const d = 5;
    const Z = Array.from({ length: 14 }, (_, i) => Array.from(train.x.subarray(i * d, (i + 1) * d)));
    const mu = Array.from({ length: d }, (_, j) => Z.reduce((s, r) => s + r[j]!, 0) / 14);
    const Zc = Z.map((r) => r.map((v, j) => v - mu[j]!));
    const t = train.labels.map((l) => (l ? 1 : -1));
    const tMean = t.reduce((s, v) => s + v, 0) / 14;
    const A = Array.from({ length: d }, (_, a) => Array.from({ length: d }, (_, b) => Zc.reduce((s, r) => s + r[a]! * r[b]!, 0) + (a === b ? fit.lambda : 0)));
    const rhs = Array.from({ length: d }, (_, a) => Zc.reduce((s, r, i) => s + r[a]! * (t[i]! - tMean), 0));
    const w = gaussSolve(A, rhs);
    w.forEach((v, j) => assert.ok(Math.abs(v - fit.w[j]!) < 1e-5 * Math.max(1, Math.abs(v)), `w[${j}]: ${fit.w[j]} vs ${v}`));
    const bias = tMean - mu.reduce((s, m, j) => s + m * w[j]!, 0);
    assert.ok(Math.abs(bias - fit.bias) < 1e-5, `bias ${fit.bias} vs ${bias}`);
    // λ is the chosen multiple of the kernel's mean eigenvalue, trace(ZcZcᵀ)/n.
    const trace = Zc.reduce((s, r) => s + r.reduce((q, v) => q + v * v, 0), 0);
    assert.ok(Math.abs(fit.lambda - (fit.strength * trace) / 14) < 1e-6 * fit.lambda);
    // The chosen strength's validation AUC, recomputed from the primal weights and the mean of each image's two view scores.
    const score = (i: number) => [0, 1].reduce((s, v) => s + bias + w.reduce((q, wj, j) => q + wj * val.x[(i * 2 + v) * d + j]!, 0), 0) / 2;
    const auc = rocAuc(
      val.labels,
      Array.from({ length: 10 }, (_, i) => score(i)),
    );
    const chosen = fit.path.find((p) => p.strength === fit.strength)!;
    assert.ok(Math.abs(chosen.valAuc - auc) < 1e-9, `${chosen.valAuc} vs ${auc}`);
  });

  it('keeps the strength with the best validation AUC, the stronger one on a tie, after trying every strength', () => {
    const fit = fitRidge(rows(30, 2, 8, 3), rows(20, 1, 8, 4));
    assert.deepEqual(
      fit.path.map((p) => p.strength),
      [...RIDGE_STRENGTHS],
    );
    const best = Math.max(...fit.path.map((p) => p.valAuc));
    assert.equal(fit.strength, fit.path.find((p) => p.valAuc === best)!.strength);
  });

  it('Platt scaling stops where the gradient of the mean log loss (plus its tiny L2 term) is zero', () => {
    const rng = rngFrom(9, 9, 9, 9);
    const s = Array.from({ length: 200 }, () => 2 * gaussian(rng));
    const y = s.map((v) => (rng() < 1 / (1 + Math.exp(-(1.5 * v - 0.5))) ? 1 : 0));
    const { scale, offset } = plattScale(s, y);
    let ga = 1e-4 * scale;
    let gc = 0;
    s.forEach((v, i) => {
      const r = (1 / (1 + Math.exp(-(scale * v + offset))) - y[i]!) / s.length;
      ga += r * v;
      gc += r;
    });
    assert.ok(Math.abs(ga) < 1e-9 && Math.abs(gc) < 1e-9, `gradient (${ga}, ${gc}) at (${scale}, ${offset})`);
    assert.ok(scale > 0.8 && scale < 2.5, `scale ${scale}`);
  });

  it('writes the fit into a 2-unit Dense layer whose fake probability is sigmoid(scale · (z · w + bias) + offset)', () => {
    const d = 6;
    const input = tf.input({ shape: [d] });
    const dense = tf.layers.dense({ units: 2 });
    const model = tf.model({ inputs: input, outputs: dense.apply(input) as tf.SymbolicTensor });
    const fit = { w: Float32Array.from([0.5, -1, 2, 0, 0.25, -0.75]), bias: 0.3, strength: 1, lambda: 1, path: [], scale: 1.7, offset: -0.2 };
    setRidgeHead(dense, fit);
    const z = [
      [1, 2, 3, 4, 5, 6],
      [-1, 0.5, 0, 2, -3, 1],
    ];
    const p = tf.tidy(() => tf.softmax(model.predict(tf.tensor2d(z)) as tf.Tensor2D).arraySync() as number[][]);
    z.forEach((row, i) => {
      const u = fit.scale * (row.reduce((s, v, j) => s + v * fit.w[j]!, 0) + fit.bias) + fit.offset;
      assert.ok(Math.abs(p[i]![1]! - 1 / (1 + Math.exp(-u))) < 1e-6, `row ${i}: ${p[i]![1]} vs sigmoid(${u})`);
    });
    assert.throws(() => setRidgeHead(dense, { ...fit, w: new Float32Array(3) }), /expected a \[3, 2\] kernel/);
    model.dispose();
  });
});
