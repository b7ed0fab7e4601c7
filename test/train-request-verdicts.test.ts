// One training-request schema: the CLI (`unmask train --dry-run`) and the HTTP API (startTraining) accept and refuse
// exactly the same requests, with the same reason.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TrainRequest } from '../main/api/contract.js';
import { linkSubset } from '../main/data/index.js';
import { fakesDataset, syntheticDataset } from '../main/data/fixtures.js';
import { createHttpServer } from '../main/server/http.js';
import { createService, type UnmaskService } from '../main/service/service.js';
import { launchNodeWorker } from '../main/worker/launch.js';
import { runUnmask } from './helpers/cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-verdicts-'));
const dataset = path.join(tmp, 'faces');
const other = path.join(tmp, 'synthetic');
const token = 'verdict-token-0123456789abcdefXYZ';
let service: UnmaskService;
let server: http.Server;
let port = 0;

interface Verdict {
  accepted: boolean;
  code?: string;
  message?: string;
}

function post(method: string, params: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: `/api/${method}`,
        method: 'POST',
        agent: false,
        headers: { 'X-Unmask-Token': token, 'Content-Type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(params));
  });
}

async function viaHttp(params: TrainRequest): Promise<Verdict> {
  const reply = await post('startTraining', params);
  const body = JSON.parse(reply.body) as { id?: number; code?: string; message?: string };
  if (reply.status === 200) {
    await service.api.cancelJob({ jobId: body.id! });
    return { accepted: true };
  }
  return { accepted: false, code: body.code, message: body.message };
}

/** The request as `unmask train` flags: --kebab-case=VALUE, booleans as --flag / --no-flag. */
function flagsOf(params: TrainRequest): string[] {
  return Object.entries(params).flatMap(([key, value]) => {
    const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    if (typeof value === 'boolean') return [value ? flag : flag.replace('--', '--no-')];
    if (Array.isArray(value)) return value.map((v) => `${flag}=${String(v)}`);
    return [`${flag}=${String(value)}`];
  });
}

function viaCli(params: TrainRequest): Verdict {
  const r = runUnmask(['train', ...flagsOf(params), '--dry-run', '--db', path.join(tmp, 'cli.db')]);
  if (r.code === 0) return { accepted: true };
  const { error } = JSON.parse(r.stderr.trim().split('\n').at(-1)!) as { error: { code: string; message: string } };
  return { accepted: false, code: error.code, message: error.message };
}

before(async () => {
  linkSubset(fakesDataset, dataset, { train: 2, val: 1, test: 1 });
  linkSubset(syntheticDataset, other, { train: 2, val: 1, test: 1 });
  service = createService({ dbPath: path.join(tmp, 'api.db'), transport: 'http', launch: launchNodeWorker });
  server = createHttpServer({ service, token, staticDir: null });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
  await service.api.openDataset({ path: dataset });
  await service.api.openDataset({ path: other });
});

after(async () => {
  server.close();
  server.closeAllConnections();
  await service.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const cases: [string, Omit<TrainRequest, 'dataset'>, 'accept' | RegExp][] = [
  ['the defaults', {}, 'accept'],
  ['the largest lr and batch size', { model: 'SimpleNet', lr: 10, batchSize: 4096, epochs: 1 }, 'accept'],
  ['a ridge head (one epoch)', { model: 'XceptionStats', headFit: 'ridge', selectBy: 'auc' }, 'accept'],
  ['the deepfake augmentation in balanced batches', { augment: 'deepfake', balancedBatches: true }, 'accept'],
  ['an unknown augmentation', { augment: 'mixup' as never }, /unknown augmentation "mixup"; choose one of crop-flip, deepfake/],
  ['balanced batches for a ridge head', { model: 'XceptionStats', headFit: 'ridge', balancedBatches: true }, /no batches to balance/],
  ['lr above the limit', { lr: 50 }, /lr must be a number in \(0, 10\], got 50/],
  ['lr zero', { lr: 0 }, /lr must be/],
  ['a fractional batch size', { batchSize: 2.5 }, /batch size must be a whole number in \[1, 4096\], got 2\.5/],
  ['a batch size above the limit', { batchSize: 5000 }, /batch size must be/],
  ['zero epochs', { epochs: 0 }, /epochs must be/],
  ['a negative seed', { seed: -1 }, /seed must be/],
  ['an unknown model', { model: 'Nope' as never }, /unknown model "Nope"; choose one of SimpleNet,/],
  ['an unknown optimizer', { optimizer: 'Lion' as never }, /unknown optimizer "Lion"; choose one of Adam, AdamW, SGD/],
  ['weight decay with Adam', { optimizer: 'Adam', weightDecay: 0.1 }, /Adam has no weight decay here/],
  ['a ridge head on SimpleNet', { model: 'SimpleNet', headFit: 'ridge' }, /SimpleNet's head is not one/],
  ['unfreezing more blocks than the model has', { model: 'MobileNetBased', unfreezeBlocks: 40 }, /unfreeze 1 to/],
];

/** Requests that differ in their dataset: one folder (-d once) or several (-d repeated; the API's list). */
const datasetCases: [string, () => TrainRequest, 'accept' | RegExp][] = [
  ['two folders trained on together', () => ({ dataset: [dataset, other], epochs: 1 }), 'accept'],
  ['a list of one folder', () => ({ dataset: [dataset] }), 'accept'],
  ['a folder listed twice', () => ({ dataset: [dataset, other, dataset] }), new RegExp(`dataset folders must be distinct: "${dataset}" is listed twice`)],
];

describe('the CLI and the HTTP API give every training request the same verdict', () => {
  for (const [name, fields, expected] of [...cases.map(([n, f, e]) => [n, () => ({ dataset, ...f }), e] as const), ...datasetCases]) {
    it(name, async () => {
      const request = fields();
      const [cli, api] = [viaCli(request), await viaHttp(request)];
      if (expected === 'accept') {
        assert.deepEqual(cli, { accepted: true }, `CLI refused: ${cli.message}`);
        assert.deepEqual(api, { accepted: true }, `API refused: ${api.message}`);
        return;
      }
      assert.equal(cli.accepted, false, 'the CLI accepted it');
      assert.equal(api.accepted, false, 'the API accepted it');
      assert.equal(cli.code, 'BAD_ARGUMENT');
      assert.equal(api.code, 'BAD_ARGUMENT');
      assert.match(cli.message!, expected);
      // The API names the method and field first; the reason is the CLI's, word for word.
      assert.ok(api.message!.endsWith(cli.message!), `API: ${api.message}\nCLI: ${cli.message}`);
    });
  }
});
