// The training CLI end to end in child processes: train, list, export, refuse, and survive a SIGKILL.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { linkSubset } from '../main/data/index.js';
import { runUnmask, type CliResult } from './helpers/cli.js';
import { fakesDataset } from '../main/data/fixtures.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = fakesDataset;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-cli-'));
const dataset = path.join(tmp, 'faces');
const env: NodeJS.ProcessEnv = { ...process.env, UNMASK_ENGINE: 'wasm' };

function unmask(args: string[]): CliResult {
  return runUnmask(args, { timeout: 300_000, env });
}

const lastJson = (text: string): Record<string, unknown> => JSON.parse(text.trim().split('\n').at(-1)!) as Record<string, unknown>;
const trainArgs = (db: string, epochs: number) => [
  'train',
  '-d',
  dataset,
  '-m',
  'SimpleNet',
  '--lr',
  '0.0005',
  '-b',
  '4',
  '-e',
  String(epochs),
  '-o',
  'Adam',
  '--seed',
  '7',
  '--db',
  db,
];

before(() => linkSubset(source, dataset, { train: 6, val: 3, test: 3 }));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('unmask train / runs / export-log', () => {
  const db = path.join(tmp, 'a', 'unmask.db');

  it('trains with the seed flags and prints one JSON line', () => {
    const r = unmask(trainArgs(db, 2));
    assert.equal(r.code, 0, r.stderr);
    const out = lastJson(r.stdout);
    assert.equal(out.run, 1);
    assert.equal(out.epochs, 2);
    assert.equal(out.engine, 'wasm');
    assert.ok(typeof out.bestValAcc === 'number' && typeof out.testAccAtBestVal === 'number');
    assert.match(r.stderr, /real\/fake train 6\/6, val 3\/3, test 3\/3; fake:real 1\.000/);
    assert.match(r.stderr, /epoch 2: train /);
  });

  it('lists the run and exports its log in the seed shape', () => {
    const runs = unmask(['runs', '--json', '--db', db]);
    const run = lastJson(runs.stdout);
    assert.deepEqual([run.id, run.status, run.epochsDone, run.model], [1, 'completed', 2, 'SimpleNet']);
    const log = JSON.parse(unmask(['export-log', '1', '--db', db]).stdout) as Record<string, unknown>;
    for (const key of ['train_loss', 'train_acc', 'val_loss', 'val_acc', 'test_loss', 'test_acc']) assert.equal((log[key] as number[]).length, 2, key);
    assert.deepEqual(log.params, { lr: 0.0005, batchSize: 4, epochs: 2, optimizer: 'Adam', seed: 7 });
    assert.match(unmask(['runs', '--db', db]).stdout, /^run +model +dataset/);
  });

  it('refuses to resume a finished run and names a missing dataset', () => {
    const resumed = unmask(['resume', '1', '--db', db]);
    assert.equal(resumed.code, 2);
    assert.match(resumed.stderr, /already has all 2 epochs/);
    const missing = unmask(['train', '-d', path.join(tmp, 'nope'), '--db', db]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /NOT_FOUND.*nope/);
  });
});

describe('a run killed with SIGKILL mid-training', () => {
  it('shows as interrupted, keeps an intact database, and resumes to the uninterrupted metrics', async () => {
    const whole = path.join(tmp, 'whole', 'unmask.db');
    const wholeRun = unmask(trainArgs(whole, 3));
    assert.equal(wholeRun.code, 0, wholeRun.stderr);

    const killed = path.join(tmp, 'killed', 'unmask.db');
    await new Promise<void>((resolve) => {
      const child = spawn(process.execPath, ['bin/unmask.js', ...trainArgs(killed, 3)], { cwd: root, env });
      let err = '';
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        // Epoch 1 is recorded; kill while epoch 2 trains.
        if (/epoch 1: train/.test(err)) setTimeout(() => child.kill('SIGKILL'), 300);
      });
      child.on('close', () => resolve());
    });
    const listed = lastJson(unmask(['runs', '--json', '--db', killed]).stdout);
    assert.equal(listed.status, 'interrupted');
    assert.equal(listed.epochsDone, 1);
    const check = new Database(killed, { readonly: true });
    assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
    check.close();

    const resumed = unmask(['resume', '1', '--db', killed]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const a = JSON.parse(unmask(['export-log', '1', '--db', whole]).stdout) as Record<string, number[]>;
    const b = JSON.parse(unmask(['export-log', '1', '--db', killed]).stdout) as Record<string, number[]>;
    // Same seed, same data order and augmentations, deterministic kernels: equal to float32 rounding.
    for (const key of ['train_loss', 'train_acc', 'val_loss', 'val_acc', 'test_loss', 'test_acc']) {
      a[key]!.forEach((v, i) => assert.ok(Math.abs(v - b[key]![i]!) <= 1e-5 * Math.max(1, Math.abs(v)), `${key}[${i}] ${v} vs ${b[key]![i]}`));
    }
  });
});
