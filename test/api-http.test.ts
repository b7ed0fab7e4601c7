// The HTTP transport as a security boundary: fuzzed payloads for every method, paths, token, host and origin.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { API_METHODS, paramSchemas } from '../main/api/schemas.js';
import { linkSubset } from '../main/data/index.js';
import { createHttpServer, MAX_BODY_BYTES } from '../main/server/http.js';
import { createService, type UnmaskService } from '../main/service/service.js';
import type { EngineStatus } from '../main/api/contract.js';
import { launchNodeWorker } from '../main/worker/launch.js';
import { fakesDataset } from '../main/data/fixtures.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = fakesDataset;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-http-'));
const dataset = path.join(tmp, 'faces');
const token = 'test-token-0123456789abcdefXYZ';
process.env.UNMASK_DB = path.join(tmp, 'runs.db');
process.env.UNMASK_ENGINE = 'wasm';

let service: UnmaskService;
let server: http.Server;
let port = 0;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

interface Reply {
  status: number;
  body: string;
}

/** A raw request, so that malformed bodies and headers reach the server as sent. */
function request(pathname: string, options: { body?: string | Buffer; headers?: Record<string, string>; method?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: pathname,
        method: options.method ?? 'POST',
        headers: { 'X-Unmask-Token': token, 'Content-Type': 'application/json', ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const call = (method: string, params: unknown) => request(`/api/${method}`, { body: params === undefined ? '' : JSON.stringify(params) });

function assertErrorReply(reply: Reply, context: string): { code: string; message: string } {
  assert.ok(reply.status >= 400 && reply.status < 500, `${context}: expected a 4xx, got ${reply.status} ${reply.body.slice(0, 300)}`);
  const error = JSON.parse(reply.body) as { code: string; message: string };
  assert.match(error.code, /^[A-Z_]+$/, context);
  assert.ok(typeof error.message === 'string' && error.message.length > 0, `${context}: an error needs a message`);
  return error;
}

before(async () => {
  process.on('unhandledRejection', onUnhandled);
  linkSubset(source, dataset, { train: 2, val: 1, test: 1 });
  service = createService({ dbPath: process.env.UNMASK_DB!, transport: 'http', launch: launchNodeWorker });
  server = createHttpServer({ service, token, staticDir: null });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
  assert.equal((await call('openDataset', { path: dataset })).status, 200);
});

after(() => {
  process.off('unhandledRejection', onUnhandled);
  server.close();
  server.closeAllConnections();
  service.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Payloads that are wrong for most methods: any JSON value, and objects with the right keys of any type. */
function malformed(method: keyof typeof paramSchemas): fc.Arbitrary<unknown> {
  const schema = paramSchemas[method] as unknown as { def?: { shape?: Record<string, unknown>; innerType?: { def?: { shape?: Record<string, unknown> } } } };
  const shape = schema.def?.shape ?? schema.def?.innerType?.def?.shape ?? {};
  const keys = Object.keys(shape);
  const weird = fc.oneof(
    fc.anything(),
    fc.constantFrom(
      '',
      '\u0000',
      '../../../../etc/passwd',
      '/etc/passwd',
      '..',
      'x'.repeat(5000),
      -1,
      1e308,
      Number.MAX_SAFE_INTEGER + 2,
      0.5,
      true,
      null,
      [],
      {},
    ),
  );
  const shaped = keys.length
    ? fc.dictionary(fc.constantFrom(...keys, '__proto__', 'constructor', 'extra'), weird, { maxKeys: keys.length + 1 })
    : fc.anything();
  return fc.oneof(fc.anything(), shaped);
}

describe('every API method under fuzzed payloads', () => {
  for (const method of API_METHODS) {
    it(`${method}: answers 200 only for valid payloads, else a 4xx with a code and a message; never crashes`, async () => {
      await fc.assert(
        fc.asyncProperty(malformed(method), async (payload) => {
          const reply = await call(method, payload);
          const valid = paramSchemas[method].safeParse(payload).success;
          if (!valid) {
            const error = assertErrorReply(reply, `${method}(${JSON.stringify(payload)?.slice(0, 200)})`);
            assert.equal(error.code, 'BAD_ARGUMENT');
          } else if (reply.status !== 200) {
            // A well-formed payload may still name something missing or forbidden: still a 4xx with a message.
            assertErrorReply(reply, `${method}(${JSON.stringify(payload)?.slice(0, 200)})`);
          }
        }),
        { numRuns: 60, seed: 42 },
      );
    });
  }

  it('left no unhandled rejection, and the server still answers', async () => {
    assert.equal((await call('listRuns', undefined)).status, 200);
    assert.deepEqual(unhandled, []);
  });
});

describe('paths outside the opened dataset folders are refused', () => {
  const outside = [
    '/etc/passwd',
    `${dataset}/../../etc/passwd`,
    `${dataset}/train/real/../../../runs.db`,
    `${dataset}-evil/train/real/a.jpg`,
    path.join(source, 'train', 'real', fs.readdirSync(path.join(source, 'train', 'real'))[0]!),
  ];
  for (const file of outside) {
    it(`getImage and explainImage refuse ${file}`, async () => {
      assert.equal(assertErrorReply(await call('getImage', { path: file }), file).code, 'FORBIDDEN');
      assert.equal(assertErrorReply(await call('explainImage', { runId: 1, image: { path: file }, method: 'gradcam' }), file).code, 'FORBIDDEN');
    });
  }

  it("getEngine answers the analysis worker's engine (forced to wasm here, so none was skipped)", async () => {
    const reply = await call('getEngine', undefined);
    assert.equal(reply.status, 200, reply.body);
    const engine = JSON.parse(reply.body) as EngineStatus;
    assert.deepEqual([engine.engine, engine.backend, engine.device, engine.faster], ['wasm', 'wasm', null, []]);
    assert.equal(engine.tfjsVersion, '4.22.0');
  });

  it('listImages and startTraining refuse a folder that was not opened', async () => {
    assert.equal(assertErrorReply(await call('listImages', { dataset: tmp }), 'listImages').code, 'FORBIDDEN');
    const train = { dataset: source, model: 'SimpleNet', optimizer: 'Adam', lr: 0.001, batchSize: 4, epochs: 1 };
    assert.equal(assertErrorReply(await call('startTraining', train), 'startTraining').code, 'FORBIDDEN');
  });

  it('serves an image the scan listed', async () => {
    const page = JSON.parse((await call('listImages', { dataset, limit: 1 })).body) as { items: { path: string }[] };
    const reply = await call('getImage', { path: page.items[0]!.path, size: 64 });
    assert.equal(reply.status, 200);
    const image = JSON.parse(reply.body) as { mime: string; width: number; height: number };
    assert.deepEqual([image.mime, image.width, image.height], ['image/jpeg', 64, 64]);
  });
});

describe('the HTTP boundary itself', () => {
  it('refuses requests without the token, or with a wrong one, on every method and the event stream', async () => {
    for (const method of API_METHODS) {
      for (const headers of [{ 'X-Unmask-Token': '' }, { 'X-Unmask-Token': `${token}x` }, { 'X-Unmask-Token': token.slice(0, -1) }]) {
        const reply = await request(`/api/${method}`, { body: '{}', headers });
        assert.equal(reply.status, 401, `${method} with ${JSON.stringify(headers)}`);
      }
    }
    assert.equal((await request('/api/events?token=wrong', { method: 'GET' })).status, 401);
  });

  it('refuses another Host (DNS rebinding) and a cross-origin Origin', async () => {
    assert.equal((await request('/api/listRuns', { body: '{}', headers: { Host: `evil.example:${port}` } })).status, 403);
    assert.equal((await request('/api/listRuns', { body: '{}', headers: { Origin: 'http://evil.example' } })).status, 403);
    assert.equal((await request('/api/listRuns', { body: '{}', headers: { Origin: `http://127.0.0.1:${port}` } })).status, 200);
  });

  it('answers bad requests with 4xx: non-JSON, GET, unknown method, oversized body', async () => {
    assert.equal(assertErrorReply(await request('/api/listRuns', { body: '{not json' }), 'non-JSON').code, 'BAD_ARGUMENT');
    assert.equal(assertErrorReply(await request('/api/listRuns', { method: 'GET' }), 'GET').code, 'BAD_ARGUMENT');
    assert.equal(assertErrorReply(await call('constructor', {}), 'constructor').code, 'NOT_FOUND');
    assert.equal(assertErrorReply(await call('__proto__', {}), '__proto__').code, 'NOT_FOUND');
    const big = await request('/api/openDataset', { body: Buffer.alloc(MAX_BODY_BYTES + 1024, 32) }).catch((e: Error) => ({ status: 413, body: e.message }));
    assert.equal(big.status, 413);
  });

  it('listens on 127.0.0.1 only: another address of this machine is refused', async () => {
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    assert.equal((server.address() as { address: string }).address, '127.0.0.1');
    if (!external) return;
    await assert.rejects(
      () => new Promise((resolve, reject) => http.get({ host: external.address, port, path: '/' }, resolve).on('error', reject)),
      /ECONNREFUSED/,
    );
  });

  it('`unmask serve` binds 127.0.0.1 and prints a URL with a fresh random token', async () => {
    const child = spawn(process.execPath, ['bin/unmask.js', 'serve', '--port', '0', '--db', path.join(tmp, 'serve.db')], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out.split('\n')[0]!);
        });
        child.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
      });
      const match = /^Unmask is running at http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]{32})$/.exec(line);
      assert.ok(match, line);
      const res = await fetch(`http://127.0.0.1:${match[1]}/api/listRuns`, { method: 'POST', body: '{}' });
      assert.equal(res.status, 401);
      const ok = await fetch(`http://127.0.0.1:${match[1]}/api/listRuns`, { method: 'POST', body: '{}', headers: { 'X-Unmask-Token': match[2]! } });
      assert.equal(ok.status, 200);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
