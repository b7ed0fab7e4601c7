// The request's dataset: one folder exactly as before, a list of distinct folders, and what is refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnmaskError } from '../engine/errors.js';
import { checkTrainRequest } from './request.js';
import { datasetFolders } from './request-schema.js';

const refused = (dataset: unknown, message: RegExp) =>
  assert.throws(
    () => checkTrainRequest({ dataset } as never),
    (e: unknown) => e instanceof UnmaskError && e.code === 'BAD_ARGUMENT' && message.test(e.message),
  );

describe('a training request names one dataset folder or several', () => {
  it('resolves a single folder as before: the same string, the same defaults', () => {
    const r = checkTrainRequest({ dataset: '/data/fakes' });
    assert.deepEqual(r, { dataset: '/data/fakes', model: 'SimpleNet', optimizer: 'Adam', lr: 0.001, batchSize: 32, epochs: 5, seed: 0 });
    assert.deepEqual(datasetFolders(r.dataset), ['/data/fakes']);
  });

  it('accepts a list of distinct folders and keeps their order', () => {
    const r = checkTrainRequest({ dataset: ['/data/synthetic', '/data/fakes'] });
    assert.deepEqual(r.dataset, ['/data/synthetic', '/data/fakes']);
    assert.deepEqual(datasetFolders(r.dataset), ['/data/synthetic', '/data/fakes']);
  });

  it('makes a list of one the folder itself, so the run it records is a single folder run', () => {
    assert.equal(checkTrainRequest({ dataset: ['/data/fakes'] }).dataset, '/data/fakes');
  });

  it('refuses a folder listed twice, naming it', () =>
    refused(['/data/a', '/data/b', '/data/a'], /^dataset folders must be distinct: "\/data\/a" is listed twice$/));
  it('refuses an empty list', () => refused([], /^a dataset list must name at least one folder$/));
  it('refuses a dataset that is neither a folder nor a list', () => refused(3, /^dataset must be a folder or a list of folders$/));
  it('still asks for a dataset when there is none', () => refused(undefined, /a dataset folder is required/));
});
