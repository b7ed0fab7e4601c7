// Metric parity with scikit-learn/scipy (test/fixtures/metrics/reference.json), hand-computed cases and refusals.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UnmaskError } from '../engine/errors.js';
import {
  accuracyAt,
  averagePrecision,
  bootstrapAucInterval,
  chooseThreshold,
  confusionAt,
  confusionMatrix,
  detCurve,
  eer,
  eerNearestPoint,
  perClassAccuracy,
  probit,
  rocAuc,
  rocCurve,
  summarize,
  thresholdForTarget,
  type Vector,
} from './metrics.js';

type Json = number | 'inf' | '-inf';
interface Case {
  labels: number[];
  scores: number[];
  roc: { fpr: Json[]; tpr: Json[]; thresholds: Json[] };
  roc_full: { fpr: Json[]; tpr: Json[]; thresholds: Json[] };
  det: { fpr: Json[]; fnr: Json[]; thresholds: Json[] };
  det_drop: { fpr: Json[]; fnr: Json[]; thresholds: Json[] };
  auc: number;
  ap: number;
  eer: number;
  eer_exact: number;
  eer_threshold: number;
  eer_nearest: number;
  confusion_at_0_5: { tn: number; fp: number; fn: number; tp: number };
  accuracy_at_0_5: number;
}
interface Reference {
  versions: Record<string, string>;
  cases: Record<string, Case>;
  probit: { p: number; z: number }[];
}

const here = path.dirname(fileURLToPath(import.meta.url));
const ref = JSON.parse(fs.readFileSync(path.resolve(here, '../../test/fixtures/metrics/reference.json'), 'utf8')) as Reference;
const TOL = 1e-9;

const num = (v: Json): number => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v);
const close = (actual: number, expected: number, what: string, tol = TOL): void => {
  if (actual === expected) return;
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected}`);
};
const sameCurve = (actual: readonly number[], expected: readonly Json[], what: string): void => {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  expected.forEach((e, i) => close(actual[i]!, num(e), `${what}[${i}]`));
};
const badArgument = (fn: () => unknown, pattern?: RegExp): void => {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof UnmaskError, `expected UnmaskError, got ${String(error)}`);
    assert.equal(error.code, 'BAD_ARGUMENT');
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
};

describe('parity with scikit-learn ' + (ref.versions.sklearn ?? '?'), () => {
  assert.ok(Object.keys(ref.cases).length >= 8);
  for (const [name, c] of Object.entries(ref.cases)) {
    it(`${name}: roc_curve, roc_auc_score, det_curve, average_precision_score`, () => {
      const roc = rocCurve(c.labels, c.scores);
      sameCurve(roc.fpr, c.roc.fpr, 'fpr');
      sameCurve(roc.tpr, c.roc.tpr, 'tpr');
      sameCurve(roc.thresholds, c.roc.thresholds, 'thresholds');
      const full = rocCurve(c.labels, c.scores, { dropIntermediate: false });
      sameCurve(full.fpr, c.roc_full.fpr, 'full fpr');
      sameCurve(full.tpr, c.roc_full.tpr, 'full tpr');
      sameCurve(full.thresholds, c.roc_full.thresholds, 'full thresholds');
      close(rocAuc(c.labels, c.scores), c.auc, 'auc');
      for (const [det, want] of [
        [detCurve(c.labels, c.scores), c.det],
        [detCurve(c.labels, c.scores, { dropIntermediate: true }), c.det_drop],
      ] as const) {
        sameCurve(det.fpr, want.fpr, 'det fpr');
        sameCurve(det.fnr, want.fnr, 'det fnr');
        sameCurve(det.thresholds, want.thresholds, 'det thresholds');
      }
      close(averagePrecision(c.labels, c.scores), c.ap, 'ap');
    });
    it(`${name}: EER (brentq/interp1d), its threshold, DeepfakeBench nearest point, confusion and accuracy at 0.5`, () => {
      const e = eer(c.labels, c.scores);
      close(e.eer, c.eer, 'eer vs brentq');
      close(e.eer, c.eer_exact, 'eer vs closed form');
      close(e.threshold, c.eer_threshold, 'eer threshold');
      close(eerNearestPoint(c.labels, c.scores), c.eer_nearest, 'eer nearest');
      assert.deepEqual(confusionAt(c.labels, c.scores, 0.5), c.confusion_at_0_5);
      close(accuracyAt(c.labels, c.scores, 0.5), c.accuracy_at_0_5, 'accuracy');
      const s = summarize(c.labels, c.scores);
      assert.equal(s.n, c.labels.length);
      assert.deepEqual(
        [s.auc, s.ap, s.eer, s.eerThreshold, s.accuracy],
        [rocAuc(c.labels, c.scores), averagePrecision(c.labels, c.scores), e.eer, e.threshold, accuracyAt(c.labels, c.scores, 0.5)],
      );
      assert.deepEqual(s.confusion, c.confusion_at_0_5);
    });
  }

  it('AUC equals the Mann-Whitney pair count with ties as one half (random200)', () => {
    const c = ref.cases.random200_seed0!;
    let wins = 0;
    let pairs = 0;
    c.labels.forEach((yi, i) =>
      c.labels.forEach((yj, j) => {
        if (yi !== 1 || yj !== 0) return;
        pairs++;
        wins += c.scores[i]! > c.scores[j]! ? 1 : c.scores[i] === c.scores[j] ? 0.5 : 0;
      }),
    );
    close(rocAuc(c.labels, c.scores), wins / pairs, 'auc vs U');
  });

  it('probit matches scipy.stats.norm.ppf and the textbook quantiles', () => {
    for (const { p, z } of ref.probit) close(probit(p), z, `probit(${p})`, 1e-12 * Math.max(1, Math.abs(z)));
    close(probit(0.975), 1.959963984540054, 'probit(0.975)', 1e-12);
    close(probit(0.5), 0, 'probit(0.5)', 0);
    close(probit(0.841344746068543), 1, 'probit(Phi(1))', 1e-9);
    assert.equal(probit(0), -Infinity);
    assert.equal(probit(1), Infinity);
    for (const p of [0.001, 0.2, 0.6, 0.99]) close(probit(1 - p), -probit(p), `symmetry at ${p}`, 1e-12);
  });
});

describe('hand-computed cases', () => {
  const y = [0, 0, 1, 1];
  const s = [0.1, 0.4, 0.35, 0.8];

  it('the scikit-learn docstring example', () => {
    assert.deepEqual(rocCurve(y, s), { fpr: [0, 0, 0.5, 0.5, 1], tpr: [0, 0.5, 0.5, 1, 1], thresholds: [Infinity, 0.8, 0.4, 0.35, 0.1] });
    assert.equal(rocAuc(y, s), 0.75);
    close(averagePrecision(y, s), 0.5 * 1 + 0.5 * (2 / 3), 'ap'); // 0.8333...
    assert.deepEqual(detCurve(y, s), { fpr: [0.5, 0.5, 0], fnr: [0, 0.5, 0.5], thresholds: [0.35, 0.4, 0.8] });
    assert.deepEqual(eer(y, s), { eer: 0.5, threshold: 0.4 });
    assert.deepEqual(confusionAt(y, s, 0.5), { tn: 2, fp: 0, fn: 1, tp: 1 });
    assert.equal(accuracyAt(y, s, 0.5), 0.75);
    assert.equal(accuracyAt(y, s, 0.35), 0.75); // >=: 0.35 itself is predicted fake
    assert.deepEqual(perClassAccuracy(y, s), { real: 1, fake: 0.5 });
  });

  it('ties across classes count one half; typed arrays are accepted', () => {
    assert.equal(rocAuc([0, 1], [0.5, 0.5]), 0.5);
    assert.equal(averagePrecision(new Uint8Array([0, 1]), new Float64Array([0.5, 0.5])), 0.5);
    assert.equal(rocAuc([0, 1, 0, 1], [0.2, 0.7, 0.7, 0.9]), 0.875);
    assert.deepEqual(eer([0, 1], [0.3, 0.3]), { eer: 0.5, threshold: 0.8 }); // halfway between max+1 and the score
  });

  it('perfect and inverted rankings', () => {
    assert.equal(rocAuc([0, 1], [0.2, 0.9]), 1);
    assert.deepEqual(eer([0, 0, 1], [0.1, 0.2, 0.9]), { eer: 0, threshold: 0.9 });
    assert.equal(rocAuc([0, 1], [0.9, 0.2]), 0);
    assert.equal(eer([0, 1], [0.9, 0.2]).eer, 1);
  });

  it('confusion matrix and per-class accuracy need only labels, one class is fine', () => {
    assert.deepEqual(confusionMatrix([1, 1, 1], [1, 0, 1]), { tn: 0, fp: 0, fn: 1, tp: 2 });
    assert.deepEqual(perClassAccuracy([1, 1], [0.9, 0.1]), { real: null, fake: 0.5 });
    assert.equal(accuracyAt([0, 0], [0.1, 0.7], 0.5), 0.5);
  });

  it('thresholdForTarget reads operating points off the full ROC', () => {
    assert.deepEqual(thresholdForTarget(y, s, { maxFpr: 0 }), { threshold: 0.8, fpr: 0, tpr: 0.5 });
    assert.deepEqual(thresholdForTarget(y, s, { maxFpr: 0.5 }), { threshold: 0.35, fpr: 0.5, tpr: 1 });
    assert.deepEqual(thresholdForTarget(y, s, { minTpr: 1 }), { threshold: 0.35, fpr: 0.5, tpr: 1 });
    assert.deepEqual(thresholdForTarget(y, s, { minTpr: 0.5 }), { threshold: 0.8, fpr: 0, tpr: 0.5 });
    assert.deepEqual(thresholdForTarget([0, 1], [0.5, 0.5], { maxFpr: 0 }), { threshold: Infinity, fpr: 0, tpr: 0 });
    badArgument(() => thresholdForTarget(y, s, { maxFpr: 1.5 }), /maxFpr/);
  });

  it('chooseThreshold picks the best validation score per rule; ties go to the higher threshold', () => {
    assert.equal(chooseThreshold(y, s, 'eer'), 0.4);
    assert.equal(chooseThreshold(y, s, 'youden'), 0.8); // J = 0.5 at 0.8 and at 0.35
    assert.equal(chooseThreshold(y, s, 'accuracy'), 0.8);
    const c = ref.cases.random200_seed0!;
    const candidates = [...new Set(c.scores)];
    const best = (f: (t: number) => number): number => Math.max(...candidates.map(f));
    const youden = (t: number): number => {
      const m = confusionAt(c.labels, c.scores, t);
      return m.tp / (m.tp + m.fn) - m.fp / (m.fp + m.tn);
    };
    close(youden(chooseThreshold(c.labels, c.scores, 'youden')), best(youden), 'youden J');
    const acc = (t: number): number => accuracyAt(c.labels, c.scores, t);
    assert.equal(acc(chooseThreshold(c.labels, c.scores, 'accuracy')), best(acc));
    badArgument(() => chooseThreshold(y, s, 'f1' as 'eer'), /unknown threshold rule/);
  });
});

describe('refusals', () => {
  const needBoth: [string, (y: Vector, s: Vector) => unknown][] = [
    ['rocCurve', rocCurve],
    ['rocAuc', rocAuc],
    ['detCurve', detCurve],
    ['averagePrecision', averagePrecision],
    ['eer', eer],
    ['eerNearestPoint', eerNearestPoint],
    ['summarize', (y, s) => summarize(y, s)],
    ['chooseThreshold', (y, s) => chooseThreshold(y, s, 'youden')],
    ['bootstrapAucInterval', (y, s) => bootstrapAucInterval(y, s, { samples: 10 })],
    ['thresholdForTarget', (y, s) => thresholdForTarget(y, s, { maxFpr: 0.1 })],
  ];
  for (const [name, fn] of needBoth) {
    it(`${name}: one class, empty, length mismatch, NaN/Infinity score, label not 0/1`, () => {
      badArgument(() => fn([1, 1, 1], [0.2, 0.5, 0.9]), /both classes.*fake/);
      badArgument(() => fn([0, 0], [0.2, 0.5]), /both classes.*real/);
      badArgument(() => fn([], []), /empty/);
      badArgument(() => fn([0, 1], [0.5]), /differ in length/);
      badArgument(() => fn([0, 1], [0.5, NaN]), /scores\[1\] is NaN/);
      badArgument(() => fn([0, 1], [Infinity, 0.5]), /scores\[0\]/);
      badArgument(() => fn([0, 2], [0.1, 0.5]), /labels\[1\] is 2/);
    });
  }
  it('threshold-only metrics refuse bad labels, lengths and thresholds; probit refuses non-probabilities', () => {
    badArgument(() => accuracyAt([0, 1], [0.5], 0.5), /differ in length/);
    badArgument(() => accuracyAt([0, -1], [0.5, 0.1], 0.5), /labels\[1\]/);
    badArgument(() => accuracyAt([0, 1], [0.5, 0.1], NaN), /threshold/);
    badArgument(() => confusionMatrix([0, 1], [0, 0.5]), /predictions\[1\]/);
    badArgument(() => probit(-0.1));
    badArgument(() => probit(1.5));
    badArgument(() => probit(NaN));
  });
});
