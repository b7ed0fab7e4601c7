// The native engine's replacement gradients against tfjs's own gradients on the reference `cpu` backend.
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadNativeEngine, skipWithoutNative } from '../../../test/helpers/native-engine.js';
import { assertClose, BATCH_NORM_INPUTS, BATCH_NORM_SHAPES, batchNormGrads, convCases, convGrads } from '../../../test/helpers/gradient-parity.js';

let native = false;

describe('native engine gradients', () => {
  before(async () => {
    native = await loadNativeEngine();
  });

  for (const c of convCases) {
    it(`match tfjs's gradients on the cpu backend: ${c.name}`, (t) => {
      if (skipWithoutNative(t, native)) return;
      assertClose(convGrads('tensorflow', c), convGrads('cpu', c), c.name);
      tf.setBackend('tensorflow');
    });
  }

  for (const shape of BATCH_NORM_SHAPES) {
    it(`batch normalisation with fixed statistics matches tfjs's gradients on the cpu backend for every input, ${shape.join('×')}`, (t) => {
      if (skipWithoutNative(t, native)) return;
      const got = batchNormGrads('tensorflow', shape);
      const want = batchNormGrads('cpu', shape);
      BATCH_NORM_INPUTS.forEach((name, i) => assertClose(got[i]!, want[i]!, `d/d${name}`));
      tf.setBackend('tensorflow');
    });
  }
});
