// Disk faults while `unmask train` runs in a child process, on real file systems: a full tmpfs, and an ext4 that turns read-only.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { linkSubset } from '../main/data/index.js';
import { runUnmask, type CliResult } from './helpers/cli.js';
import { fakesDataset } from '../main/data/fixtures.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = fakesDataset;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-disk-'));
const dataset = path.join(tmp, 'faces');
const env: NodeJS.ProcessEnv = { ...process.env, UNMASK_ENGINE: 'wasm' };
const mounts: string[] = [];
const MiB = 2 ** 20;

function sh(command: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error?.message ?? ''}`.trim() };
}

/** Mounts `type` on a new folder `name` under tmp; returns the folder, or why it could not. */
function mountFs(name: string, args: string[]): { dir: string } | { refused: string } {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  const r = sh('mount', [...args, dir]);
  if (!r.ok) return { refused: `mount ${args.join(' ')} was refused: ${r.out.split('\n')[0] || 'no reason given'}` };
  mounts.push(dir);
  return { dir };
}

function unmount(dir: string): void {
  if (!sh('umount', [dir]).ok) sh('umount', ['-l', dir]);
  mounts.splice(mounts.indexOf(dir), 1);
}

function unmask(args: string[]): CliResult {
  return runUnmask(args, { timeout: 300_000, env });
}

const trainArgs = (db: string) => ['train', '-d', dataset, '-m', 'SimpleNet', '--lr', '0.0005', '-b', '4', '-e', '2', '-o', 'Adam', '--seed', '7', '--db', db];

/**
 * Trains two epochs in a child process; once epoch 1 is recorded (its progress line is printed after the
 * store commits it) the child is stopped, `fault()` runs, and the child continues into the fault.
 */
function trainIntoFault(db: string, fault: () => void): Promise<{ code: number | null; signal: string | null; stderr: string; faulted: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/unmask.js', ...trainArgs(db)], { cwd: root, env });
    let stderr = '';
    let faulted = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (faulted || !/epoch 1: train/.test(stderr)) return;
      faulted = true;
      child.kill('SIGSTOP');
      try {
        fault();
      } catch (error) {
        child.kill('SIGKILL');
        reject(error as Error);
      } finally {
        child.kill('SIGCONT');
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr, faulted }));
  });
}

/** The CLI's last stderr line, which must be its one-line JSON error, and no stack trace anywhere. */
function cliError(stderr: string): { code: string; message: string } {
  assert.doesNotMatch(stderr, /^\s+at /m, `a stack trace was printed:\n${stderr}`);
  const last = stderr.trim().split('\n').at(-1)!;
  const parsed = JSON.parse(last) as { error: { code: string; message: string } };
  assert.ok(parsed.error && typeof parsed.error.message === 'string', last);
  return parsed.error;
}

/** What the database holds, read without the store (no dead-run detection, no writes). */
function inspect(db: string) {
  const d = new Database(db, { readonly: true });
  try {
    return {
      integrity: d.pragma('integrity_check', { simple: true }),
      run: d.prepare('SELECT status, error FROM runs WHERE id = 1').get() as { status: string; error: string | null },
      epochs: d.prepare('SELECT epoch FROM epochs WHERE run_id = 1 ORDER BY epoch').pluck().all() as number[],
      checkpoints: d.prepare('SELECT kind, epoch, path FROM checkpoints WHERE run_id = 1').all() as { kind: string; epoch: number; path: string }[],
    };
  } finally {
    d.close();
  }
}

/** Every registered checkpoint is whole: its manifest is there and weights.bin holds every float it lists. */
function assertWholeCheckpoints(checkpoints: { path: string }[]): void {
  for (const c of checkpoints) {
    const manifest = JSON.parse(fs.readFileSync(path.join(c.path, 'checkpoint.json'), 'utf8')) as {
      weights: { shape: number[] }[];
      slots: { shape: number[] }[];
    };
    const floats = [...manifest.weights, ...manifest.slots].reduce((n, e) => n + e.shape.reduce((a, b) => a * b, 1), 0);
    assert.equal(fs.statSync(path.join(c.path, 'weights.bin')).size, floats * 4, c.path);
  }
}

let refused: string | null = null;

before(() => {
  linkSubset(source, dataset, { train: 6, val: 3, test: 3 });
  const probe = mountFs('probe', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs']);
  if ('refused' in probe) refused = probe.refused;
  else unmount(probe.dir);
});

after(() => {
  for (const dir of [...mounts]) unmount(dir);
  fs.rmSync(tmp, { recursive: true, force: true });
});

function skipIfRefused(t: TestContext, reason: string | null): boolean {
  if (reason === null) return false;
  console.log(`# disk-faults: skipped, ${reason}`);
  t.skip(reason);
  return true;
}

describe('the disk fills up while a checkpoint is written', () => {
  it('fails the run with DISK_FULL naming the checkpoint, keeps epoch 1 whole, and resumes once space is freed', async (t) => {
    if (skipIfRefused(t, refused)) return;
    // Two SimpleNet checkpoints (~194 MiB each, Adam slots included) fit; the test then fills it to 16 MiB short.
    const mounted = mountFs('full', ['-t', 'tmpfs', '-o', 'size=640m', 'tmpfs']);
    if (skipIfRefused(t, 'refused' in mounted ? mounted.refused : null) || !('dir' in mounted)) return;
    const db = path.join(mounted.dir, 'unmask.db');
    const filler = path.join(mounted.dir, 'filler');

    const r = await trainIntoFault(db, () => {
      const { bavail, bsize } = fs.statfsSync(mounted.dir);
      const size = bavail * bsize - 16 * MiB;
      assert.ok(size > 0, `only ${bavail * bsize} bytes free after epoch 1`);
      const fill = sh('fallocate', ['-l', String(size), filler]);
      assert.ok(fill.ok, fill.out);
    });
    assert.ok(r.faulted, `epoch 1 never finished:\n${r.stderr}`);
    assert.equal(r.signal, null, r.stderr);
    assert.equal(r.code, 1, r.stderr);
    const error = cliError(r.stderr);
    assert.equal(error.code, 'DISK_FULL', error.message);
    assert.match(error.message, /disk is full \(ENOSPC\)/);
    assert.ok(error.message.includes(path.join(mounted.dir, 'runs', '1', 'last-epoch-0002')), error.message);

    const state = inspect(db);
    assert.equal(state.integrity, 'ok');
    assert.equal(state.run.status, 'failed');
    assert.equal(state.run.error, error.message);
    assert.deepEqual(state.epochs, [1]);
    assert.ok(state.checkpoints.length > 0 && state.checkpoints.every((c) => c.epoch === 1), JSON.stringify(state.checkpoints));
    assertWholeCheckpoints(state.checkpoints);
    // The partial epoch-2 checkpoint was removed, not left beside the good ones.
    assert.deepEqual(fs.readdirSync(path.join(mounted.dir, 'runs', '1')).sort(), state.checkpoints.map((c) => path.basename(c.path)).sort());

    fs.rmSync(filler);
    const resumed = unmask(['resume', '1', '--db', db]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(inspect(db).epochs, [1, 2]);
    assert.equal(inspect(db).run.status, 'completed');
  });
});

describe('the disk holding the database fills up completely', () => {
  it('reports DISK_FULL naming the database, rolls the epoch back whole, and the run shows as interrupted', async (t) => {
    if (skipIfRefused(t, refused)) return;
    const mounted = mountFs('dbfull', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs']);
    if (skipIfRefused(t, 'refused' in mounted ? mounted.refused : null) || !('dir' in mounted)) return;
    // Checkpoints go to the ordinary disk, so the first write refused is the database's (SQLITE_FULL).
    const runsDir = path.join(tmp, 'dbfull-runs');
    fs.mkdirSync(runsDir);
    fs.symlinkSync(runsDir, path.join(mounted.dir, 'runs'));
    const db = path.join(mounted.dir, 'unmask.db');
    const filler = path.join(mounted.dir, 'filler');

    const r = await trainIntoFault(db, () => {
      const { bavail, bsize } = fs.statfsSync(mounted.dir);
      const fill = sh('fallocate', ['-l', String(bavail * bsize), filler]);
      assert.ok(fill.ok, fill.out);
    });
    assert.ok(r.faulted, `epoch 1 never finished:\n${r.stderr}`);
    assert.equal(r.signal, null, r.stderr);
    assert.equal(r.code, 1, r.stderr);
    const error = cliError(r.stderr);
    assert.equal(error.code, 'DISK_FULL', error.message);
    assert.ok(error.message.startsWith(`Run database ${db} cannot be written: the disk is full`), error.message);
    assert.match(error.message, /could not be marked failed either \(the same fault\); it will show as interrupted/);

    fs.rmSync(filler);
    const state = inspect(db);
    assert.equal(state.integrity, 'ok');
    assert.deepEqual(state.epochs, [1]);
    assert.ok(
      state.checkpoints.every((c) => c.epoch === 1),
      'epoch 2 and its checkpoint were rolled back together',
    );
    assertWholeCheckpoints(state.checkpoints);
    assert.equal(state.run.status, 'running');
    const listed = JSON.parse(unmask(['runs', '--json', '--db', db]).stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    assert.deepEqual([listed.status, listed.epochsDone], ['interrupted', 1]);
  });
});

describe("the database's file system turns read-only mid-training", () => {
  it('reports STORE_READONLY, loses nothing recorded, and the run shows as interrupted once the disk is back', async (t) => {
    if (skipIfRefused(t, refused)) return;
    const tools = ['mkfs.ext4', 'e2fsck'].filter((tool) => !sh('sh', ['-c', `command -v ${tool}`]).ok);
    if (skipIfRefused(t, tools.length ? `${tools.join(', ')} not installed` : null)) return;
    const image = path.join(tmp, 'ro.img');
    fs.writeFileSync(image, '');
    fs.truncateSync(image, 64 * MiB);
    const mkfs = sh('mkfs.ext4', ['-q', '-F', image]);
    assert.ok(mkfs.ok, mkfs.out);
    // errors=remount-ro: the kernel turns the file system read-only on an error, with the database open (a
    // plain `mount -o remount,ro` is refused while any file is open for writing).
    const mounted = mountFs('ro', ['-o', 'loop,errors=remount-ro', image]);
    if (skipIfRefused(t, 'refused' in mounted ? mounted.refused : null) || !('dir' in mounted)) return;
    const device = path.basename(sh('findmnt', ['-no', 'SOURCE', mounted.dir]).out);
    const trigger = `/sys/fs/ext4/${device}/trigger_fs_error`;
    if (skipIfRefused(t, fs.existsSync(trigger) ? null : `${trigger} does not exist`)) return;
    // Checkpoints (~390 MiB) go to the ordinary disk, so the first write the fault refuses is the database's.
    const runsDir = path.join(tmp, 'ro-runs');
    fs.mkdirSync(path.join(mounted.dir, 'db'));
    fs.mkdirSync(runsDir);
    fs.symlinkSync(runsDir, path.join(mounted.dir, 'db', 'runs'));
    const db = path.join(mounted.dir, 'db', 'unmask.db');

    const r = await trainIntoFault(db, () => fs.writeFileSync(trigger, 'disk-faults test'));
    assert.ok(r.faulted, `epoch 1 never finished:\n${r.stderr}`);
    assert.equal(r.signal, null, r.stderr);
    assert.equal(r.code, 1, r.stderr);
    const error = cliError(r.stderr);
    assert.equal(error.code, 'STORE_READONLY', error.message);
    assert.ok(error.message.includes(db), error.message);
    assert.match(error.message, /its folder became read-only/);
    assert.match(error.message, /could not be marked failed either \(the same fault\); it will show as interrupted/);

    // The disk comes back: check and remount it read-write.
    unmount(mounted.dir);
    const fsck = spawnSync('e2fsck', ['-fy', image], { encoding: 'utf8' });
    assert.ok((fsck.status ?? 8) < 4, `e2fsck: ${fsck.stdout}${fsck.stderr}`); // 0-3: clean or corrected
    const again = mountFs('ro', ['-o', 'loop', image]);
    assert.ok('dir' in again, 'refused' in again ? again.refused : '');

    const state = inspect(db);
    assert.equal(state.integrity, 'ok');
    assert.deepEqual(state.epochs, [1]);
    assert.ok(state.checkpoints.every((c) => c.epoch === 1));
    assertWholeCheckpoints(state.checkpoints);
    // Marking it failed needed a write the disk refused; the next open finds its process gone.
    assert.equal(state.run.status, 'running');
    const listed = JSON.parse(unmask(['runs', '--json', '--db', db]).stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    assert.equal(listed.status, 'interrupted');
    assert.match(String(listed.error), /run database could not be written/);
    assert.equal(listed.epochsDone, 1);
    const resumed = unmask(['resume', '1', '--db', db]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(inspect(db).epochs, [1, 2]);
  });
});
