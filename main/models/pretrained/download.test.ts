// Weight downloads against a local HTTP server: progress, Range resume after a cut transfer, hash mismatch, offline.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { repoRoot } from '../../data/fixtures.js';
import { UnmaskError } from '../../engine/errors.js';
import { initEngine } from '../../engine/select.js';
import { createXceptionBased } from '../xception.js';
import { layersBefore } from './assign.js';
import { importKerasWeights } from './keras-h5.js';
import { ensureWeightsFile, KERAS_XCEPTION, type WeightsFile } from './xception-weights.js';

const fixture = fs.readFileSync(path.join(repoRoot, 'test/fixtures/xception/xception_w16_notop.h5'));
const md5 = createHash('md5').update(fixture).digest('hex');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-download-'));

/** Serves the fixture; honours Range; with `cutNext`, the next full response stops halfway and drops the connection. */
const server = { cutNext: 0, ranges: [] as (string | undefined)[], port: 0, http: http.createServer() };
server.http.on('request', (req, res) => {
  server.ranges.push(req.headers.range);
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const start = m ? Number(m[1]) : 0;
  if (start >= fixture.length) {
    res.writeHead(416, { 'Content-Range': `bytes */${fixture.length}` }).end();
    return;
  }
  res.writeHead(m ? 206 : 200, {
    'Content-Length': fixture.length - start,
    ...(m ? { 'Content-Range': `bytes ${start}-${fixture.length - 1}/${fixture.length}` } : {}),
  });
  if (server.cutNext > 0) {
    server.cutNext--;
    res.write(fixture.subarray(start, start + (fixture.length >> 1)), () => setTimeout(() => res.socket?.destroy(), 20));
    return;
  }
  res.end(fixture.subarray(start));
});

const weights = (name: string, hash = md5, port = server.port): WeightsFile => ({ file: name, url: `http://127.0.0.1:${port}/${name}`, hash });

before(async () => {
  await new Promise<void>((resolve) => server.http.listen(0, '127.0.0.1', resolve));
  server.port = (server.http.address() as AddressInfo).port;
});
beforeEach(() => {
  server.ranges = [];
  server.cutNext = 0;
});
after(() => {
  server.http.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('ensureWeightsFile', () => {
  it('downloads with progress, resuming a cut transfer with a Range request, and verifies the md5', async () => {
    server.cutNext = 1;
    const progress: [number, number | null][] = [];
    const file = await ensureWeightsFile(weights('a.h5'), { cacheDir: tmp, onProgress: (r, t) => progress.push([r, t]) });
    assert.equal(file, path.join(tmp, 'a.h5'));
    assert.ok(fs.readFileSync(file).equals(fixture));
    assert.deepEqual(server.ranges, [undefined, `bytes=${fixture.length >> 1}-`]);
    assert.deepEqual(progress.at(-1), [fixture.length, fixture.length]);
    assert.ok(progress.every(([r], i) => i === 0 || r >= progress[i - 1]![0]));
    assert.ok(!fs.existsSync(`${file}.part`));
  });

  it('uses a cached, verified file without touching the network', async () => {
    const file = await ensureWeightsFile(weights('a.h5'), { cacheDir: tmp });
    assert.equal(file, path.join(tmp, 'a.h5'));
    assert.deepEqual(server.ranges, []);
  });

  it('keeps a cut .part and continues it in the next call', async () => {
    server.cutNext = 1;
    await assert.rejects(
      ensureWeightsFile(weights('b.h5'), { cacheDir: tmp, attempts: 1 }),
      (e: unknown) => e instanceof UnmaskError && e.code === 'DOWNLOAD_FAILED' && /bytes kept/.test(e.message),
    );
    assert.equal(fs.statSync(path.join(tmp, 'b.h5.part')).size, fixture.length >> 1);
    const file = await ensureWeightsFile(weights('b.h5'), { cacheDir: tmp });
    assert.ok(fs.readFileSync(file).equals(fixture));
    assert.deepEqual(server.ranges, [undefined, `bytes=${fixture.length >> 1}-`]);
  });

  it('discards a download whose hash does not match', async () => {
    await assert.rejects(
      ensureWeightsFile(weights('c.h5', '0'.repeat(32)), { cacheDir: tmp }),
      (e: unknown) => e instanceof UnmaskError && e.code === 'DOWNLOAD_FAILED' && /does not match the expected 0{32}/.test(e.message),
    );
    assert.ok(!fs.existsSync(path.join(tmp, 'c.h5')) && !fs.existsSync(path.join(tmp, 'c.h5.part')));
  });

  it('moves a cached file with the wrong hash aside (never deletes it), says so, and fetches the official one', async () => {
    const dest = path.join(tmp, 'e.h5');
    fs.writeFileSync(dest, 'a re-saved copy');
    const notices: string[] = [];
    const file = await ensureWeightsFile(weights('e.h5'), { cacheDir: tmp, onNotice: (m) => notices.push(m) });
    assert.ok(fs.readFileSync(file).equals(fixture));
    const kept = fs.readdirSync(tmp).filter((n) => n.startsWith('e.h5.mismatch-'));
    assert.equal(kept.length, 1);
    assert.equal(fs.readFileSync(path.join(tmp, kept[0]!), 'utf8'), 'a re-saved copy');
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, new RegExp(`kept as .*${kept[0]!.replace(/[.]/g, '\\.')}.*--weights FILE`));
  });

  it('offline: says so and offers --weights FILE', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(
      ensureWeightsFile(weights('d.h5', md5, port), { cacheDir: tmp, attempts: 2 }),
      (e: unknown) => e instanceof UnmaskError && e.code === 'DOWNLOAD_FAILED' && /ECONNREFUSED/.test(e.message) && /--weights FILE/.test(e.message),
    );
  });

  it('loads the downloaded no-top file into XceptionBased’s backbone', async () => {
    await initEngine({ requested: 'wasm' });
    const model = createXceptionBased({ widthDivisor: 16, inputSize: 71 });
    try {
      const result = await importKerasWeights(model, path.join(tmp, 'a.h5'), layersBefore(model, 'avg_pool'));
      assert.equal(result.tensors, 234);
    } finally {
      model.dispose();
    }
  });

  it('points at the official Keras files and hashes', () => {
    assert.equal(
      KERAS_XCEPTION.notop.url,
      'https://storage.googleapis.com/tensorflow/keras-applications/xception/xception_weights_tf_dim_ordering_tf_kernels_notop.h5',
    );
    assert.equal(KERAS_XCEPTION.notop.hash, 'b0042744bf5b25fce3cb969f33bebb97');
    assert.equal(KERAS_XCEPTION.top.hash, '0a58e3b7378bc2990ea3b43d5981f1f6');
  });
});
