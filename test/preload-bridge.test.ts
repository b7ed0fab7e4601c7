// The built preload, run in a vm with a fake `electron`: window.unmask is exactly the API methods plus onEvent.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { API_METHOD_NAMES } from '../main/api/methods.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Recorded {
  exposed: [string, Record<string, unknown>][];
  invoked: [string, unknown[]][];
  listeners: Map<string, Set<(...args: unknown[]) => void>>;
  required: string[];
}

/** Bundles preload/index.ts exactly as `npm run build` does, into a temporary file, and runs it. */
async function loadPreload(): Promise<{ rec: Recorded; ipcRenderer: object; source: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-preload-'));
  const outfile = path.join(dir, 'index.cjs');
  try {
    const { buildPreload } = (await import(pathToFileURL(path.join(root, 'scripts/build-app.mjs')).href)) as {
      buildPreload(outfile: string): Promise<void>;
    };
    await buildPreload(outfile);
    const source = fs.readFileSync(outfile, 'utf8');
    const rec: Recorded = { exposed: [], invoked: [], listeners: new Map(), required: [] };
    const ipcRenderer = {
      invoke: (channel: string, ...args: unknown[]) => {
        rec.invoked.push([channel, args]);
        return Promise.resolve({ ok: true, value: channel });
      },
      on: (channel: string, l: (...args: unknown[]) => void) => {
        if (!rec.listeners.has(channel)) rec.listeners.set(channel, new Set());
        rec.listeners.get(channel)!.add(l);
      },
      removeListener: (channel: string, l: (...args: unknown[]) => void) => rec.listeners.get(channel)?.delete(l),
      send: () => assert.fail('the preload must not use send'),
    };
    const electron = { contextBridge: { exposeInMainWorld: (key: string, api: Record<string, unknown>) => rec.exposed.push([key, api]) }, ipcRenderer };
    const require = (id: string) => {
      rec.required.push(id);
      if (id !== 'electron') throw new Error(`a sandboxed preload cannot require '${id}'`);
      return electron;
    };
    const module = { exports: {} };
    // A sandboxed preload gets a CommonJS wrapper with a restricted require; nothing of Node's is in scope.
    const run = vm.runInNewContext(`(function (require, module, exports) {${source}\n})`, {}, { filename: 'index.cjs' }) as (
      r: typeof require,
      m: typeof module,
      e: object,
    ) => void;
    run(require, module, module.exports);
    return { rec, ipcRenderer, source };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('the preload exposes window.unmask with exactly the API methods and onEvent, and no ipcRenderer', async () => {
  const { rec, ipcRenderer, source } = await loadPreload();
  assert.deepEqual(rec.required, ['electron']);
  assert.doesNotMatch(source, /zod/, 'zod must not be bundled into the preload');
  assert.equal(rec.exposed.length, 1);
  const [key, bridge] = rec.exposed[0]!;
  assert.equal(key, 'unmask');
  assert.deepEqual(Object.keys(bridge).sort(), [...API_METHOD_NAMES, 'onEvent'].sort());
  for (const [name, value] of Object.entries(bridge)) {
    assert.equal(typeof value, 'function', name);
    assert.notEqual(value, ipcRenderer);
    for (const fn of Object.values(ipcRenderer)) assert.notEqual(value, fn, `${name} is an ipcRenderer function`);
  }
});

test('each bridge function invokes unmask:<method> with one params argument and returns the envelope', async () => {
  const { rec } = await loadPreload();
  const bridge = rec.exposed[0]![1] as Record<string, (params?: unknown) => Promise<unknown>>;
  for (const method of API_METHOD_NAMES) {
    assert.deepEqual(await bridge[method]!({ probe: method }), { ok: true, value: `unmask:${method}` });
  }
  await bridge['listRuns']!();
  assert.deepEqual(
    rec.invoked.map(([channel]) => channel),
    [...API_METHOD_NAMES.map((m) => `unmask:${m}`), 'unmask:listRuns'],
  );
  API_METHOD_NAMES.forEach((method, i) => assert.deepEqual(rec.invoked[i]![1], [{ probe: method }]));
  assert.deepEqual(rec.invoked.at(-1)![1], [undefined]);
});

test('onEvent subscribes to unmask:event, hides the IPC event object, and unsubscribes', async () => {
  const { rec } = await loadPreload();
  const bridge = rec.exposed[0]![1] as { onEvent(l: (...args: unknown[]) => void): () => void };
  const got: unknown[][] = [];
  const stop = bridge.onEvent((...args) => got.push(args));
  assert.deepEqual([...rec.listeners.keys()], ['unmask:event']);
  const ipcEvent = { sender: { send: () => {} } };
  rec.listeners.get('unmask:event')!.forEach((l) => l(ipcEvent, { type: 'runs-changed' }));
  assert.deepEqual(got, [[{ type: 'runs-changed' }]]);
  assert.equal(typeof stop, 'function');
  stop();
  assert.equal(rec.listeners.get('unmask:event')!.size, 0);
});
