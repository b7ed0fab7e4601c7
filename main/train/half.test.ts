// Half-precision packing of cached activations: exact values, rounding to nearest even, overflow, subnormals.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHalf, toHalf, toHalfBits } from './half.js';

describe('float16', () => {
  it('encodes reference values bit-exactly (IEEE 754 binary16)', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff],
      [65520, 0x7c00], // rounds up past the largest finite half: Infinity
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -26, 0x0000], // below half the smallest subnormal: +0
      [1 + 2 ** -11, 0x3c00], // a tie rounds to the even mantissa (down)
      [1 + 3 * 2 ** -11, 0x3c02], // a tie rounds to the even mantissa (up)
      [0.1, 0x2e66],
    ];
    for (const [value, bits] of cases) assert.equal(toHalfBits(value), bits, `${value}`);
    assert.equal(toHalfBits(NaN) & 0x7c00, 0x7c00);
    assert.ok((toHalfBits(NaN) & 0x3ff) !== 0);
  });

  it('round-trips every half value, and floats within half a unit in the last place', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const back = toHalf(fromHalf(all));
    for (let i = 0; i < 65536; i++) {
      const nan = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
      if (!nan) assert.equal(back[i], i, `bits ${i.toString(16)}`);
    }
    const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 10 ** ((i % 7) - 3));
    const decoded = fromHalf(toHalf(values));
    values.forEach((v, i) => assert.ok(Math.abs(decoded[i]! - v) <= Math.max(Math.abs(v) * 2 ** -11, 2 ** -25), `${v} → ${decoded[i]}`));
  });
});
