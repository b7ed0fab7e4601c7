// Queue URLs (redis://, rediss:// with a password) and the shared roots' path checks, without a Redis.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { connectionOptions, parseQueueUrl } from './connection.js';
import { failureReason, parseFailureReason, parseWorkerName, workerName } from './names.js';
import { SharedRoot } from './roots.js';

describe('parseQueueUrl', () => {
  it('reads host, port, database, user, password and TLS, and never shows the password', () => {
    const a = parseQueueUrl('rediss://unmask:s3cr%40t@redis.lab:6380/2');
    assert.deepEqual([a.host, a.port, a.db, a.tls, a.username, a.password], ['redis.lab', 6380, 2, true, 'unmask', 's3cr@t']);
    assert.equal(a.shown, 'rediss://unmask:***@redis.lab:6380/2');
    assert.ok(!a.shown.includes('s3cr'));
    const b = parseQueueUrl('redis://127.0.0.1');
    assert.deepEqual([b.port, b.db, b.tls, b.password], [6379, 0, false, undefined]);
    const options = connectionOptions(a, true);
    assert.deepEqual(options.tls, { servername: 'redis.lab' });
    assert.equal(options.maxRetriesPerRequest, null);
    assert.equal(connectionOptions(b, false).enableOfflineQueue, false);
  });

  it('refuses other schemes, a missing host, a bad database and query strings, without echoing a password', () => {
    for (const url of ['http://h:1', 'redis://', 'redis://h/x', 'redis://h?tls=1', 'nonsense']) {
      assert.throws(() => parseQueueUrl(url), { code: 'BAD_ARGUMENT' }, url);
    }
    assert.throws(
      () => parseQueueUrl('memcached://u:hunter2@h'),
      (e: Error) => !e.message.includes('hunter2'),
    );
  });
});

describe('names', () => {
  it('a worker is host:pid:engine, and a failure crosses as CODE: message', () => {
    assert.deepEqual(parseWorkerName(workerName('wasm')), { host: os.hostname().replace(/[^\w.:@-]/g, '-'), pid: process.pid, engine: 'wasm' });
    assert.equal(workerName('gpu', 'gpu box 1'), 'gpu-box-1');
    assert.deepEqual(parseFailureReason(failureReason({ code: 'FORBIDDEN', message: 'x: y' })), { code: 'FORBIDDEN', message: 'x: y' });
    assert.deepEqual(parseFailureReason('job stalled more than allowable limit'), { code: 'INTERNAL', message: 'job stalled more than allowable limit' });
  });
});

describe('SharedRoot', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-roots-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const root = path.join(tmp, 'root');
  fs.mkdirSync(path.join(root, 'faces'), { recursive: true });
  fs.mkdirSync(path.join(tmp, 'outside'));
  fs.symlinkSync(path.join(tmp, 'outside'), path.join(root, 'escape'));

  it('maps paths to and from relative POSIX paths', () => {
    const shared = new SharedRoot(root, 'data root');
    assert.equal(shared.relative(path.join(root, 'faces', 'a.jpg')), 'faces/a.jpg');
    assert.equal(shared.resolve('faces'), path.join(root, 'faces'));
    assert.equal(shared.resolve('faces/new/file'), path.join(root, 'faces', 'new', 'file'));
  });

  it('refuses whatever leads outside: .., absolute paths, NUL bytes, symlinks out, foreign absolute paths', () => {
    const shared = new SharedRoot(root, 'data root');
    for (const rel of ['../outside', 'faces/../../outside', '/etc/passwd', 'C:\\\\x', 'a\0b', 'escape', 'escape/file']) {
      assert.throws(() => shared.resolve(rel), { code: 'FORBIDDEN' }, rel);
    }
    assert.throws(() => shared.relative(path.join(tmp, 'outside', 'x')), { code: 'FORBIDDEN' });
    assert.throws(() => shared.relative(`${root}-sibling/x`), { code: 'FORBIDDEN' });
  });
});
