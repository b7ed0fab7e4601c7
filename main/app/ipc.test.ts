// The Electron shell's testable parts: IPC registration and sender checks, the app:// scheme, the utility launcher.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { ApiEvent, UnmaskApi } from '../api/contract.js';
import { API_METHOD_NAMES } from '../api/methods.js';
import { API_METHODS, paramSchemas } from '../api/schemas.js';
import { forwardEvents, registerApiHandlers, windowSenderCheck, type InvokeEventLike } from './ipc.js';
import { appPaths } from './paths.js';
import { resolveAppFile, serveAppRequest } from './protocol.js';
import { createUtilityLauncher, type UtilityChild } from './workers.js';

type Handler = (event: InvokeEventLike, ...args: unknown[]) => unknown;

function fakeIpc() {
  const handlers = new Map<string, Handler>();
  return {
    handlers,
    handle(channel: string, listener: Handler) {
      assert.ok(!handlers.has(channel), `${channel} registered twice`);
      handlers.set(channel, listener);
    },
    removeHandler: (channel: string) => void handlers.delete(channel),
  };
}

/** Every method answers with its name and params, so a test sees what reached the service. */
const echoApi = Object.fromEntries(API_METHOD_NAMES.map((m) => [m, async (params: unknown) => ({ method: m, params })])) as unknown as UnmaskApi;

const WINDOW_ID = 7;
const ours: InvokeEventLike = { sender: { id: WINDOW_ID }, senderFrame: { url: 'app://unmask/index.html', parent: null } };
const trusted = windowSenderCheck(() => WINDOW_ID);

test('the method list matches the schemas (same names, same order)', () => {
  assert.deepEqual([...API_METHOD_NAMES], Object.keys(paramSchemas));
  assert.deepEqual(API_METHODS, Object.keys(paramSchemas));
});

test('registers exactly one unmask:<method> handler per API method, and removes them all', () => {
  const ipc = fakeIpc();
  const dispose = registerApiHandlers(ipc, echoApi, trusted);
  assert.deepEqual([...ipc.handlers.keys()].sort(), API_METHOD_NAMES.map((m) => `unmask:${m}`).sort());
  dispose();
  assert.equal(ipc.handlers.size, 0);
});

test('a call from our window reaches the service with validated params', async () => {
  const ipc = fakeIpc();
  registerApiHandlers(ipc, echoApi, trusted);
  assert.deepEqual(await ipc.handlers.get('unmask:getRun')!(ours, { runId: 3 }), { ok: true, value: { method: 'getRun', params: { runId: 3 } } });
  assert.deepEqual(await ipc.handlers.get('unmask:listRuns')!(ours, undefined), { ok: true, value: { method: 'listRuns', params: undefined } });
});

test('foreign senders are refused with FORBIDDEN before the service is called', async () => {
  let called = false;
  const api = { ...echoApi, listRuns: async () => ((called = true), []) } as UnmaskApi;
  const ipc = fakeIpc();
  registerApiHandlers(ipc, api, trusted);
  const foreign: InvokeEventLike[] = [
    { sender: { id: 99 }, senderFrame: { url: 'app://unmask/index.html', parent: null } }, // another webContents
    { sender: { id: WINDOW_ID }, senderFrame: { url: 'https://evil.example/', parent: null } }, // navigated away
    { sender: { id: WINDOW_ID }, senderFrame: { url: 'file:///etc/passwd', parent: null } },
    { sender: { id: WINDOW_ID }, senderFrame: { url: 'app://unmask/index.html', parent: {} } }, // a subframe
    { sender: { id: WINDOW_ID }, senderFrame: null }, // frame already gone
  ];
  for (const event of foreign) {
    const result = (await ipc.handlers.get('unmask:listRuns')!(event, undefined)) as { ok: boolean; error?: { code: string } };
    assert.equal(result.ok, false);
    assert.equal(result.error?.code, 'FORBIDDEN');
  }
  assert.equal(called, false);
  const closed = windowSenderCheck(() => null);
  assert.equal(closed(ours), false, 'no window: nobody is trusted');
});

test('malformed payloads come back as BAD_ARGUMENT envelopes, never as throws', async () => {
  const ipc = fakeIpc();
  registerApiHandlers(ipc, echoApi, trusted);
  const cases: [string, unknown[]][] = [
    ['getRun', [{ runId: 'three' }]],
    ['getRun', [{ runId: 3, extra: true }]],
    ['openDataset', [{ path: 'a\0b' }]],
    ['listRuns', [{ unexpected: 1 }]],
    ['compareRuns', [{ runIds: [] }]],
    ['getRun', [{ runId: 3 }, 'second argument']],
  ];
  for (const [method, args] of cases) {
    const result = (await ipc.handlers.get(`unmask:${method}`)!(ours, ...args)) as { ok: boolean; error?: { code: string; message: string } };
    assert.equal(result.ok, false, `${method} ${JSON.stringify(args)}`);
    assert.equal(result.error?.code, 'BAD_ARGUMENT');
    assert.match(result.error!.message, new RegExp(`^${method}: `));
  }
});

test('service events are forwarded on unmask:event', () => {
  const listeners = new Set<(e: ApiEvent) => void>();
  const sent: [string, ApiEvent][] = [];
  const stop = forwardEvents(
    (l) => (listeners.add(l), () => listeners.delete(l)),
    (channel, event) => sent.push([channel, event]),
  );
  listeners.forEach((l) => l({ type: 'runs-changed' }));
  stop();
  assert.equal(listeners.size, 0);
  assert.deepEqual(sent, [['unmask:event', { type: 'runs-changed' }]]);
});

test('app:// resolves inside the renderer folder only', async () => {
  const root = path.resolve('/srv/ui');
  assert.equal(resolveAppFile(root, 'app://unmask/'), path.join(root, 'index.html'));
  assert.equal(resolveAppFile(root, 'app://unmask/assets/index-1.js?x=1'), path.join(root, 'assets', 'index-1.js'));
  // The URL parser already folds literal and %2e dot segments: they stay inside the root.
  assert.equal(resolveAppFile(root, 'app://unmask/../secret'), path.join(root, 'secret'));
  assert.equal(resolveAppFile(root, 'app://unmask/%2e%2e/secret'), path.join(root, 'secret'));
  for (const url of [
    'app://unmask/..%2fsecret',
    'app://unmask/..%2f..%2fetc/passwd',
    'app://other/index.html',
    'file:///srv/ui/index.html',
    'app://unmask/a%00b',
  ]) {
    assert.equal(resolveAppFile(root, url), null, url);
  }
  const ok = await serveAppRequest(root, 'app://unmask/index.html', async () => new Uint8Array([60, 104]));
  assert.equal(ok.status, 200);
  assert.match(ok.headers.get('content-type')!, /^text\/html/);
  assert.match(ok.headers.get('content-security-policy')!, /script-src 'self'/);
  const missing = await serveAppRequest(root, 'app://unmask/nope.js', async () => Promise.reject(new Error('ENOENT')));
  assert.equal(missing.status, 404);
});

test('workers run as utility processes on the bundled scripts, with the app environment', () => {
  const forks: {
    modulePath: string;
    env: Record<string, string>;
    child: UtilityChild & { posted: unknown[]; emit(e: string, v: unknown): void; killed: number };
  }[] = [];
  const launch = createUtilityLauncher(
    (modulePath, _args, options) => {
      const listeners: Record<string, ((v: never) => void)[]> = {};
      const child = {
        posted: [] as unknown[],
        killed: 0,
        postMessage(m: unknown) {
          this.posted.push(m);
        },
        on(event: string, listener: (v: never) => void) {
          (listeners[event] ??= []).push(listener);
          return this;
        },
        emit(event: string, value: unknown) {
          listeners[event]?.forEach((l) => l(value as never));
        },
        kill() {
          this.killed++;
          return true;
        },
      };
      forks.push({ modulePath, env: options.env, child });
      return child;
    },
    { scriptsDir: '/app/out/main', env: { UNMASK_DB: '/data/unmask.db' } },
  );
  const worker = launch('analysis');
  assert.equal(forks[0]!.modulePath, path.join('/app/out/main', 'analysis-worker.js'));
  assert.equal(forks[0]!.env['UNMASK_DB'], '/data/unmask.db');
  const received: unknown[] = [];
  const exits: unknown[] = [];
  worker.onMessage((m) => received.push(m));
  worker.onExit((code, signal) => exits.push([code, signal]));
  worker.send({ id: 1 });
  forks[0]!.child.emit('message', { id: 1, ok: true });
  forks[0]!.child.emit('exit', 3);
  worker.send({ id: 2 });
  worker.kill();
  assert.deepEqual(forks[0]!.child.posted, [{ id: 1 }], 'nothing is posted to an exited worker');
  assert.deepEqual(received, [{ id: 1, ok: true }]);
  assert.deepEqual(exits, [[3, null]]);
  assert.equal(forks[0]!.child.killed, 0);
});

test('app paths: the database in userData unless UNMASK_DB, resources beside the asar when packaged', () => {
  const base = { userData: '/home/u/.config/Unmask', mainDir: '/repo/out/main', resourcesPath: '/opt/Unmask/resources' };
  const dev = appPaths({ ...base, packaged: false, env: {} });
  assert.equal(dev.dbPath, path.join('/home/u/.config/Unmask', 'unmask.db'));
  assert.equal(dev.resourcesDir, path.resolve('/repo/resources'));
  assert.equal(dev.preload, path.resolve('/repo/out/preload/index.cjs'));
  assert.equal(dev.rendererDir, path.resolve('/repo/out/renderer'));
  const packaged = appPaths({ ...base, packaged: true, env: { UNMASK_DB: '/tmp/x.db' } });
  assert.equal(packaged.dbPath, path.resolve('/tmp/x.db'));
  assert.equal(packaged.resourcesDir, '/opt/Unmask/resources');
  assert.equal(packaged.weightsDir, path.join('/home/u/.config/Unmask', 'weights'));
});
