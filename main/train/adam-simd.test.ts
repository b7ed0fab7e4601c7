// The SIMD Adam kernel computes PyTorch's update in float32, lane for lane, across chunk boundaries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adamStep, type AdamCoefficients } from './adam-simd.js';

const f = Math.fround;

/** The kernel's arithmetic one weight at a time, every operation rounded to float32 in the kernel's order. */
function float32Reference(w: number, g: number, m: number, v: number, c: AdamCoefficients): [number, number, number] {
  const [b1, c1, b2, c2] = [f(c.beta1), f(1 - c.beta1), f(c.beta2), f(1 - c.beta2)];
  const mi = f(f(b1 * m) + f(c1 * g));
  const vi = f(f(b2 * v) + f(f(c2 * g) * g));
  const denom = f(f(f(Math.sqrt(vi)) / f(c.rootCorrection)) + f(c.eps));
  return [f(f(w * f(c.decay)) - f(f(f(c.stepSize) * mi) / denom)), mi, vi];
}

function inputs(n: number) {
  return {
    w: new Float32Array(n).map((_, i) => Math.sin(i) * 2),
    g: new Float32Array(n).map((_, i) => Math.cos(i * 1.3) * 0.1),
    m: new Float32Array(n).map((_, i) => 0.01 * Math.sin(i * 0.7)),
    v: new Float32Array(n).map((_, i) => 0.001 * (1 + Math.cos(i))),
  };
}

const coefficients = (step: number, lr: number, weightDecay: number): AdamCoefficients => ({
  beta1: 0.9,
  beta2: 0.999,
  stepSize: lr / (1 - 0.9 ** step),
  rootCorrection: Math.sqrt(1 - 0.999 ** step),
  eps: 1e-8,
  decay: 1 - lr * weightDecay,
});

describe('adamStep (WebAssembly SIMD)', () => {
  // Two full 16,384-float chunks and a last one of 7: a partial vector at the end.
  const n = 2 * 16_384 + 7;

  it('equals the float32 update bit for bit, weights and both moments', () => {
    const c = coefficients(3, 1e-3, 0.01);
    const x = inputs(n);
    const expected = Array.from({ length: n }, (_, i) => float32Reference(x.w[i]!, x.g[i]!, x.m[i]!, x.v[i]!, c));
    const out = new Float32Array(n);
    adamStep(x.w, x.g, x.m, x.v, out, c);
    for (let i = 0; i < n; i++) {
      const [w, m, v] = expected[i]!;
      assert.ok(out[i] === w && x.m[i] === m && x.v[i] === v, `weight ${i}: ${out[i]}/${x.m[i]}/${x.v[i]} vs ${w}/${m}/${v}`);
    }
  });

  it('is within float32 rounding of the float64 rule, also when the new weights overwrite the old', () => {
    const c = coefficients(1, 0.01, 0);
    const x = inputs(n);
    const w64 = Float64Array.from(x.w);
    const m64 = Float64Array.from(x.m);
    const v64 = Float64Array.from(x.v);
    adamStep(x.w, x.g, x.m, x.v, x.w, c);
    for (let i = 0; i < n; i++) {
      const g = x.g[i]!;
      const m = 0.9 * m64[i]! + 0.1 * g;
      const v = 0.999 * v64[i]! + 0.001 * g * g;
      const w = w64[i]! - (c.stepSize * m) / (Math.sqrt(v) / c.rootCorrection + c.eps);
      assert.ok(Math.abs(x.w[i]! - w) <= 1e-6 * Math.max(1, Math.abs(w)), `w[${i}] ${x.w[i]} vs ${w}`);
      // Float32 rounds each term of the sum (cancelling terms leave a larger relative error in m itself).
      assert.ok(Math.abs(x.m[i]! - m) <= 3e-7 * (Math.abs(0.9 * m64[i]!) + Math.abs(0.1 * g)), `m[${i}] ${x.m[i]} vs ${m}`);
    }
  });

  it('rejects arrays of different lengths', () => {
    const x = inputs(8);
    assert.throws(() => adamStep(x.w, x.g.subarray(1), x.m, x.v, new Float32Array(8), coefficients(1, 1e-3, 0)), RangeError);
  });
});
