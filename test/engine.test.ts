// Engine selection through the real CLI in child processes: order, forced engines, errors, and parity.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cudaHiddenReason } from '../main/engine/cuda.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function run(args: string[], engine?: string, extraEnv: NodeJS.ProcessEnv = {}): { code: number; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', ...extraEnv };
  for (const [key, value] of Object.entries(extraEnv)) if (value === undefined) delete env[key];
  if (engine == null) delete env.UNMASK_ENGINE;
  else env.UNMASK_ENGINE = engine;
  const r = spawnSync(process.execPath, args, { cwd: root, env, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const unmask = (args: string[], engine?: string, extraEnv?: NodeJS.ProcessEnv) => run(['bin/unmask.js', ...args], engine, extraEnv);
const lastJson = (text: string): Record<string, unknown> => JSON.parse(text.trim().split('\n').at(-1)!) as Record<string, unknown>;

function addonBuilt(pkg: string): boolean {
  const lib = path.join(root, 'node_modules', pkg, 'lib');
  return fs.existsSync(lib) && fs.readdirSync(lib).some((d) => fs.existsSync(path.join(lib, d, 'tfjs_binding.node')));
}
const nativeBuilt = addonBuilt('@tensorflow/tfjs-node');
const gpuBuilt = addonBuilt('@tensorflow/tfjs-node-gpu');
/** Why no CUDA device can be visible here (no NVIDIA driver device, CUDA_VISIBLE_DEVICES=-1), or undefined. */
const noCuda = cudaHiddenReason();
const gpuNotSetUp = !gpuBuilt && 'gpu engine not set up (npm run setup:gpu-engine)';

describe('unmask engine', () => {
  it('UNMASK_ENGINE=wasm: multithreaded SIMD wasm, one JSON line', () => {
    const r = unmask(['engine'], 'wasm');
    assert.equal(r.code, 0, r.stderr);
    const info = lastJson(r.stdout);
    assert.equal(info.engine, 'wasm');
    assert.equal(info.backend, 'wasm');
    assert.equal(info.simd, true);
    assert.ok((info.threads as number) >= 2, `threads ${info.threads}`);
    assert.equal(info.tfjsVersion, '4.22.0');
  });

  it('UNMASK_ENGINE=cpu: the pure-JS backend', () => {
    const info = lastJson(unmask(['engine'], 'cpu').stdout);
    assert.deepEqual([info.engine, info.backend, info.threads], ['cpu', 'cpu', 1]);
  });

  it('a requested engine that cannot load is an ENGINE_UNAVAILABLE error, not a silent switch', { skip: gpuBuilt && 'tfjs-node-gpu is built here' }, () => {
    const r = unmask(['engine'], 'gpu');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const error = lastJson(r.stderr).error as { code: string; message: string };
    assert.equal(error.code, 'ENGINE_UNAVAILABLE');
    assert.match(error.message, /'gpu'.*tfjs-node-gpu/);
  });

  it('an unknown UNMASK_ENGINE is a usage error (exit 2)', () => {
    const r = unmask(['engine'], 'tpu');
    assert.equal(r.code, 2);
    assert.equal((lastJson(r.stderr).error as { code: string }).code, 'BAD_ARGUMENT');
  });

  it('auto picks the first engine that loads (gpu, native, wasm) and says why each better one was skipped', () => {
    const info = lastJson(unmask(['engine']).stdout);
    const skipped = info.skipped as { engine: string; reason: string }[];
    const expected = nativeBuilt ? 'native' : 'wasm';
    if (noCuda) {
      assert.equal(info.engine, expected);
      const order = ['gpu', 'native', 'wasm'];
      assert.deepEqual(
        skipped.map((s) => s.engine),
        order.slice(0, order.indexOf(expected)),
      );
      for (const s of skipped) assert.ok(s.reason.length > 10, `reason for ${s.engine}: ${s.reason}`);
      assert.match(skipped[0]!.reason, /^no CUDA device is visible: /);
    }
  });

  it(
    'UNMASK_ENGINE=gpu without a CUDA device: the built gpu addon loads, and TensorFlow finding no device refuses it',
    { skip: gpuNotSetUp || (!noCuda && 'this machine may have a CUDA device') },
    () => {
      const r = unmask(['engine'], 'gpu');
      assert.equal(r.code, 1, r.stdout);
      assert.equal(r.stdout, '');
      const error = lastJson(r.stderr).error as { code: string; message: string };
      assert.equal(error.code, 'ENGINE_UNAVAILABLE');
      // "to TensorFlow": said only once the addon and libtensorflow loaded and the backend initialised.
      assert.equal(error.message, `engine 'gpu' was requested but cannot load: no CUDA device is visible to TensorFlow: ${noCuda}`);
    },
  );

  it(
    'auto selection without a CUDA device does not load tfjs-node-gpu (whose libtensorflow the native addon would bind to)',
    { skip: gpuNotSetUp || (!noCuda && 'this machine may have a CUDA device') || (!nativeBuilt && 'native engine not set up (npm run setup:native-engine)') },
    () => {
      const r = unmask(['engine']);
      assert.equal(lastJson(r.stdout).engine, 'native');
      assert.doesNotMatch(r.stderr, /already registered|cuda_dnn/);
    },
  );

  it('with a CUDA device, the gpu engine loads and names the GPU', { skip: gpuNotSetUp || (noCuda && `no CUDA device here: ${noCuda}`) }, () => {
    const r = unmask(['engine'], 'gpu');
    assert.equal(r.code, 0, r.stderr);
    const info = lastJson(r.stdout);
    assert.deepEqual([info.engine, info.backend], ['gpu', 'tensorflow']);
    assert.match(info.device as string, /\S/);
  });

  it(
    'the native engine trains SimpleNet to the same losses as the wasm engine',
    { skip: !nativeBuilt && 'native engine not set up (npm run setup:native-engine)' },
    () => {
      const script = ['--import', 'tsx', 'test/fixtures/simplenet-losses.ts'];
      const wasm = lastJson(run(script, 'wasm').stdout);
      const native = lastJson(run(script, 'native').stdout);
      assert.equal(native.engine, 'native');
      const [a, b] = [wasm.losses as number[], native.losses as number[]];
      a.forEach((loss, i) => assert.ok(Math.abs(loss - b[i]!) <= 2e-3 * Math.max(1, Math.abs(loss)), `step ${i}: wasm ${loss} vs native ${b[i]}`));
      assert.ok(Math.abs(a[1]! - a[0]!) > 1e-3, `the weights should move between steps: ${a}`);
    },
  );

  it(
    "the native engine pools host memory in TensorFlow's BFC allocator unless TF_CPU_ALLOCATOR_USE_BFC says otherwise",
    { skip: !nativeBuilt && 'native engine not set up (npm run setup:native-engine)' },
    () => {
      const pooled = lastJson(unmask(['engine'], 'native', { TF_CPU_ALLOCATOR_USE_BFC: undefined }).stdout);
      assert.deepEqual([pooled.engine, pooled.allocator], ['native', 'bfc']);
      const own = lastJson(unmask(['engine'], 'native', { TF_CPU_ALLOCATOR_USE_BFC: 'false' }).stdout);
      assert.deepEqual([own.engine, own.allocator], ['native', 'malloc']);
      const wasm = lastJson(unmask(['engine'], 'wasm').stdout);
      assert.equal(wasm.allocator, undefined);
    },
  );

  it(
    "the native engine runs oneDNN's CPU kernels on any x86 CPU unless TF_ENABLE_ONEDNN_OPTS=0, as TensorFlow itself reports",
    { skip: !nativeBuilt && 'native engine not set up (npm run setup:native-engine)' },
    () => {
      // TensorFlow logs this line at start-up only when its oneDNN kernels are on (INFO level, hence level 0).
      const banner = /oneDNN custom operations are on/;
      const on = unmask(['engine'], 'native', { TF_ENABLE_ONEDNN_OPTS: undefined, TF_CPP_MIN_LOG_LEVEL: '0' });
      assert.equal(lastJson(on.stdout).onednn, true);
      assert.match(on.stderr, banner);
      const off = unmask(['engine'], 'native', { TF_ENABLE_ONEDNN_OPTS: '0', TF_CPP_MIN_LOG_LEVEL: '0' });
      assert.equal(lastJson(off.stdout).onednn, false);
      assert.doesNotMatch(off.stderr, banner);
    },
  );
});

describe('unmask params', () => {
  for (const [name, count] of [
    ['SimpleNet', 16_901_762],
    ['Xception', 22_855_952],
    ['XceptionBased', 23_128_786],
  ] as const) {
    it(`-m ${name} prints ${count} as a bare integer`, () => {
      const r = unmask(['params', '-m', name], 'wasm');
      assert.equal(r.stdout, `${count}\n`);
    });
  }

  it('an unknown model lists the registry', () => {
    const r = unmask(['params', '-m', 'Nope'], 'wasm');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /SimpleNet, Xception, XceptionBased/);
  });
});
