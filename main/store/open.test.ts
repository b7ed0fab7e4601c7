// Opening the run store: migrations, newer schemas, damaged and foreign files, read-only locations, WAL, default path.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { UnmaskError } from '../engine/errors.js';
import { MIGRATIONS, SCHEMA_VERSION, RunStore, defaultDbPath } from './index.js';
import { fileWriteError } from './disk-errors.js';
import { storeError } from './open.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-store-open-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let counter = 0;
function freshDir(): string {
  const dir = path.join(root, `d${++counter}`);
  fs.mkdirSync(dir);
  return dir;
}

const newRun = {
  model: 'SimpleNet',
  datasetPath: '/data/fakes',
  datasetFingerprint: 'fp',
  params: { lr: 0.001, batchSize: 8, epochs: 2, optimizer: 'SGD', seed: 1 },
  engine: 'cpu',
};
const isCode = (code: string, pattern?: RegExp) => (error: unknown) =>
  error instanceof UnmaskError && error.code === code && (!pattern || pattern.test(error.message));
const userVersion = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma('user_version', { simple: true });
  } finally {
    db.close();
  }
};
const tables = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all();
  } finally {
    db.close();
  }
};

describe('RunStore.open', () => {
  it('numbers its migrations 1..n in order', () => {
    assert.ok(MIGRATIONS.length >= 2);
    MIGRATIONS.forEach((m, i) => assert.equal(m.version, i + 1));
    assert.equal(SCHEMA_VERSION, MIGRATIONS.length);
  });

  it('creates folders and the schema from nothing, in WAL mode, and reopens without change', () => {
    const file = path.join(freshDir(), 'nested', 'deeper', 'unmask.db');
    const store = RunStore.open(file);
    const { id } = store.createRun(newRun);
    store.close();
    assert.equal(userVersion(file), SCHEMA_VERSION);
    assert.deepEqual(tables(file), [
      'checkpoints',
      'epochs',
      'evaluation_scores',
      'evaluations',
      'jobs',
      'own_scores_replaced',
      'runs',
      'score_sets',
      'scores',
      'settings',
    ]);
    const db = new Database(file);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();

    const again = RunStore.open(file);
    assert.equal(again.getRun(id).model, 'SimpleNet');
    assert.equal(again.listRuns().length, 1);
    again.close();
    assert.equal(userVersion(file), SCHEMA_VERSION);
  });

  it('migrates an older (v1) database on open, keeping its data', () => {
    const file = path.join(freshDir(), 'unmask.db');
    const db = new Database(file);
    db.exec(MIGRATIONS[0]!.up as string);
    db.pragma('user_version = 1');
    db.prepare(
      `INSERT INTO runs (model, dataset_path, dataset_fingerprint, params, engine, status, created_at, finished_at)
       VALUES ('Xception', '/d', 'fp1', '{"lr":0.01,"batchSize":4,"epochs":1,"optimizer":"Adam","seed":3}', 'wasm', 'completed',
               '2024-01-01T00:00:00.000Z', '2024-01-01T01:00:00.000Z')`,
    ).run();
    db.prepare('INSERT INTO epochs VALUES (1, 1, 0.7, 55, 0.6, 61.5, NULL, NULL, 30, 12.5)').run();
    db.prepare("INSERT INTO checkpoints VALUES (1, 'best', 1, '/ck/best')").run();
    db.close();
    assert.deepEqual(tables(file), ['checkpoints', 'epochs', 'runs']);

    const store = RunStore.open(file);
    assert.equal(userVersion(file), SCHEMA_VERSION);
    const [summary] = store.listRuns();
    assert.deepEqual(
      [summary?.model, summary?.status, summary?.params.optimizer, summary?.bestValAcc, summary?.seconds, summary?.testAuc],
      ['Xception', 'completed', 'Adam', 61.5, 30, null],
    );
    assert.deepEqual(store.getCheckpoints(1), [{ epoch: 1, kind: 'best', path: '/ck/best' }]);
    store.saveScores(1, 'test', [{ path: 'a', label: 1, logits: [0, 1], probs: [0.2, 0.8] }]); // v2's tables work
    assert.equal(store.getScores(1, 'test').length, 1);
    store.close();
  });

  it('refuses a database from newer code and leaves it untouched', () => {
    const file = path.join(freshDir(), 'unmask.db');
    const db = new Database(file);
    db.exec('CREATE TABLE future (x INTEGER)');
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const before = fs.readFileSync(file);
    assert.throws(() => RunStore.open(file), isCode('STORE_TOO_NEW', new RegExp(`version ${SCHEMA_VERSION + 1}.*Update Unmask`)));
    assert.deepEqual(fs.readFileSync(file), before);
    assert.equal(fs.existsSync(`${file}-wal`), false);
  });

  it("refuses another program's SQLite database", () => {
    const file = path.join(freshDir(), 'other.db');
    const db = new Database(file);
    db.exec('CREATE TABLE runs (whatever TEXT)');
    db.close();
    assert.throws(() => RunStore.open(file), isCode('BAD_ARGUMENT', /not an Unmask run database/));
  });

  it('refuses a file that is not SQLite, keeping the original and a .damaged copy', () => {
    const dir = freshDir();
    const file = path.join(dir, 'unmask.db');
    const garbage = Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919 + 13) % 256));
    fs.writeFileSync(file, garbage);
    assert.throws(() => RunStore.open(file), isCode('STORE_DAMAGED', /damaged.*A copy was saved as/));
    assert.deepEqual(fs.readFileSync(file), garbage);
    const copies = fs.readdirSync(dir).filter((name) => name.startsWith('unmask.db.damaged-'));
    assert.equal(copies.length, 1);
    assert.match(copies[0]!, /^unmask\.db\.damaged-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/);
    assert.deepEqual(fs.readFileSync(path.join(dir, copies[0]!)), garbage);
    // A second attempt in the same millisecond or later never overwrites the first copy.
    assert.throws(() => RunStore.open(file), isCode('STORE_DAMAGED'));
    assert.equal(fs.readdirSync(dir).filter((name) => name.startsWith('unmask.db.damaged-')).length, 2);
  });

  it('refuses a store whose pages are damaged (quick_check fails)', () => {
    const dir = freshDir();
    const file = path.join(dir, 'unmask.db');
    const store = RunStore.open(file);
    const { id } = store.createRun(newRun);
    const rows = Array.from({ length: 400 }, (_, i) => ({
      path: `/img/${i}.png`,
      label: (i % 2) as 0 | 1,
      logits: [0, 1] as [number, number],
      probs: [0.5, 0.5] as [number, number],
    }));
    store.saveScores(id, 'test', rows);
    store.close(); // checkpoints the WAL into the main file
    const fd = fs.openSync(file, 'r+');
    const pageSize = 4096;
    fs.writeSync(fd, Buffer.alloc(300, 0xab), 0, 300, fs.fstatSync(fd).size - 2 * pageSize + 40);
    fs.closeSync(fd);
    const damaged = fs.readFileSync(file);
    assert.throws(() => RunStore.open(file), isCode('STORE_DAMAGED'));
    assert.deepEqual(fs.readFileSync(file), damaged);
    assert.equal(fs.readdirSync(dir).filter((name) => name.startsWith('unmask.db.damaged-')).length, 1);
  });

  const asRoot = process.getuid?.() === 0;
  it('refuses a read-only folder with STORE_READONLY', { skip: asRoot && 'root ignores permissions' }, () => {
    const dir = freshDir();
    const file = path.join(dir, 'unmask.db');
    RunStore.open(file).close();
    fs.chmodSync(dir, 0o555);
    try {
      assert.throws(() => RunStore.open(file), isCode('STORE_READONLY', /cannot be written.*UNMASK_DB/));
      assert.throws(() => RunStore.open(path.join(dir, 'new.db')), isCode('STORE_READONLY'));
      assert.throws(() => RunStore.open(path.join(dir, 'sub', 'new.db')), isCode('STORE_READONLY'));
    } finally {
      fs.chmodSync(dir, 0o755);
    }
    fs.chmodSync(file, 0o444);
    try {
      assert.throws(() => RunStore.open(file), isCode('STORE_READONLY'));
    } finally {
      fs.chmodSync(file, 0o644);
    }
  });

  it('maps SQLite write refusals to STORE_READONLY and corruption to STORE_DAMAGED', () => {
    const file = path.join(freshDir(), 'unmask.db');
    RunStore.open(file).close();
    const db = new Database(file, { readonly: true });
    let thrown: unknown;
    try {
      db.prepare("INSERT INTO runs (model, dataset_path, dataset_fingerprint, params, engine, created_at) VALUES ('m','d','f','{}','e','t')").run();
    } catch (error) {
      thrown = error;
    } finally {
      db.close();
    }
    assert.ok(isCode('STORE_READONLY', /cannot be written/)(storeError(thrown, file)));
    assert.ok(isCode('STORE_DAMAGED')(storeError(new Database.SqliteError('database disk image is malformed', 'SQLITE_CORRUPT'), file)));
    assert.ok(isCode('STORE_READONLY')(storeError(Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' }), file)));
  });

  it('maps a full disk to DISK_FULL and asks the folder what an SQLite I/O error was', () => {
    const file = path.join(freshDir(), 'unmask.db');
    const errno = (code: string) => Object.assign(new Error(`${code}: failed`), { code });
    assert.ok(
      isCode(
        'DISK_FULL',
        /unmask\.db cannot be written: the disk is full/,
      )(storeError(new Database.SqliteError('database or disk is full', 'SQLITE_FULL'), file)),
    );
    assert.ok(isCode('DISK_FULL')(storeError(errno('ENOSPC'), file)));
    // The folder is writable and has space, so an IOERR is a plain I/O error (a read-only folder or a full
    // disk is told apart on real file systems in test/disk-faults.test.ts).
    assert.ok(isCode('IO_ERROR', /I\/O error .*SQLITE_IOERR_WRITE/)(storeError(new Database.SqliteError('disk I/O error', 'SQLITE_IOERR_WRITE'), file)));
    assert.deepEqual(fs.readdirSync(path.dirname(file)), [], 'the probe file is removed');
    assert.ok(isCode('IO_ERROR')(storeError(errno('EIO'), file)));
  });

  it('maps failed checkpoint writes to DISK_FULL, STORE_READONLY or IO_ERROR naming the path', () => {
    const errno = (code: string) => Object.assign(new Error(`${code}: failed`), { code });
    assert.ok(
      isCode(
        'DISK_FULL',
        /^Cannot write checkpoint \/r\/1\/last-epoch-0002: the disk is full \(ENOSPC\)/,
      )(fileWriteError(errno('ENOSPC'), '/r/1/last-epoch-0002', 'checkpoint')),
    );
    assert.ok(isCode('DISK_FULL', /EDQUOT/)(fileWriteError(errno('EDQUOT'), '/r', 'checkpoint')));
    assert.ok(isCode('STORE_READONLY', /\/r: its folder is read-only \(EROFS\)/)(fileWriteError(errno('EROFS'), '/r', 'checkpoint')));
    assert.ok(isCode('IO_ERROR', /EIO/)(fileWriteError(errno('EIO'), '/r', 'checkpoint')));
    assert.ok(isCode('INTERNAL', /\/r: ENAMETOOLONG/)(fileWriteError(errno('ENAMETOOLONG'), '/r', 'checkpoint')));
  });

  it('refuses a folder given as the database file', () => {
    assert.throws(() => RunStore.open(freshDir()), isCode('BAD_ARGUMENT', /is a folder/));
  });
});

describe('defaultDbPath', () => {
  it('prefers UNMASK_DB, then the per-platform user-data folder', () => {
    assert.equal(defaultDbPath({ UNMASK_DB: '/x/runs.db' }, 'linux', '/home/u'), '/x/runs.db');
    assert.equal(defaultDbPath({}, 'linux', '/home/u'), '/home/u/.config/Unmask/unmask.db');
    assert.equal(defaultDbPath({ XDG_CONFIG_HOME: '/cfg' }, 'linux', '/home/u'), '/cfg/Unmask/unmask.db');
    assert.equal(defaultDbPath({ XDG_CONFIG_HOME: 'relative' }, 'linux', '/home/u'), '/home/u/.config/Unmask/unmask.db');
    assert.equal(defaultDbPath({}, 'darwin', '/Users/u'), '/Users/u/Library/Application Support/Unmask/unmask.db');
    assert.equal(defaultDbPath({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u'), 'C:\\Users\\u\\AppData\\Roaming\\Unmask\\unmask.db');
    assert.equal(defaultDbPath({}, 'win32', 'C:\\Users\\u'), 'C:\\Users\\u\\AppData\\Roaming\\Unmask\\unmask.db');
    assert.ok(path.isAbsolute(defaultDbPath()));
  });
});
