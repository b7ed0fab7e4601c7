// The packaged app's engine lookup: app.asar → app.asar.unpacked, and a real addon loading from such a layout.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { engineStatus } from './advice.js';
import { nativeEngineFiles, unpackedPath } from './native-paths.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const checkout = nativeEngineFiles(path.join(root, 'node_modules/@tensorflow/tfjs-node/package.json'));

describe('unpackedPath', () => {
  it('maps a path inside app.asar to the same place under app.asar.unpacked', () => {
    assert.equal(
      unpackedPath('/opt/Unmask/resources/app.asar/node_modules/@tensorflow/tfjs-node'),
      '/opt/Unmask/resources/app.asar.unpacked/node_modules/@tensorflow/tfjs-node',
    );
    assert.equal(
      unpackedPath('C:\\Program Files\\Unmask\\resources\\app.asar\\node_modules\\x'),
      'C:\\Program Files\\Unmask\\resources\\app.asar.unpacked\\node_modules\\x',
    );
  });

  it('leaves other paths as they are (a checkout, an already unpacked path, a folder merely named like one)', () => {
    for (const p of ['/work/unmask/node_modules/@tensorflow/tfjs-node', '/r/app.asar.unpacked/node_modules/x', '/r/my-app.asar/x'])
      assert.equal(unpackedPath(p), p);
  });
});

describe('nativeEngineFiles', () => {
  it('a package without a built addon has neither addon nor libtensorflow', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-pkg-'));
    try {
      assert.deepEqual(nativeEngineFiles(path.join(dir, 'package.json')), { packageDir: dir, addon: null, libtensorflow: null });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it(
    'a packaged layout (resources/app.asar.unpacked) is found from the asar path, and the addon loads its libtensorflow there through its relative RUNPATH, no LD_LIBRARY_PATH',
    { skip: process.platform !== 'linux' ? 'Linux only' : !checkout.libtensorflow && 'native engine not set up (npm run setup:native-engine)' },
    () => {
      const resources = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-resources-'));
      try {
        const asarPkg = path.join(resources, 'app.asar/node_modules/@tensorflow/tfjs-node');
        const unpackedPkg = path.join(resources, 'app.asar.unpacked/node_modules/@tensorflow/tfjs-node');
        // What electron-builder's asarUnpack leaves on disk; hard links, so that no gigabyte is copied.
        const addonRel = path.relative(checkout.packageDir, checkout.addon!);
        const libDir = path.dirname(checkout.libtensorflow!);
        const files = [
          addonRel,
          ...fs
            .readdirSync(libDir)
            .filter((f) => /\.so\.\d+$/.test(f))
            .map((f) => path.join('deps/lib', f)),
        ];
        for (const rel of files) {
          fs.mkdirSync(path.dirname(path.join(unpackedPkg, rel)), { recursive: true });
          fs.linkSync(path.join(checkout.packageDir, rel), path.join(unpackedPkg, rel));
        }
        const found = nativeEngineFiles(path.join(asarPkg, 'package.json'));
        assert.equal(found.packageDir, unpackedPkg);
        assert.equal(found.addon, path.join(unpackedPkg, addonRel));
        assert.equal(found.libtensorflow, path.join(unpackedPkg, 'deps/lib', path.basename(checkout.libtensorflow!)));

        const env: NodeJS.ProcessEnv = { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' };
        delete env['LD_LIBRARY_PATH'];
        const script = `process.dlopen({ exports: {} }, ${JSON.stringify(found.addon)});
          const maps = require('fs').readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/)[5]).filter((p) => p && /libtensorflow/.test(p));
          console.log(JSON.stringify([...new Set(maps)]));`;
        const r = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8', timeout: 120_000 });
        assert.equal(r.status, 0, r.stderr);
        const loaded = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as string[];
        assert.ok(loaded.length >= 2, `libtensorflow and its framework library: ${loaded}`);
        for (const lib of loaded) assert.ok(lib.startsWith(path.join(unpackedPkg, 'deps/lib') + path.sep), `${lib} should come from the unpacked package`);
      } finally {
        fs.rmSync(resources, { recursive: true, force: true });
      }
    },
  );
});

describe('engineStatus', () => {
  const info = {
    engine: 'native' as const,
    tfjsVersion: '4.22.0',
    backend: 'tensorflow',
    threads: 2,
    simd: true,
    skipped: [{ engine: 'gpu' as const, reason: 'no CUDA device is visible: no NVIDIA driver device (/dev/nvidiactl) on this machine' }],
  };

  it('says what the skipped gpu engine would need, in a checkout and in the packaged app', () => {
    const dev = engineStatus(info, { packaged: false });
    assert.equal(dev.engine, 'native');
    assert.equal(dev.device, null);
    assert.deepEqual(
      dev.faster.map((f) => f.engine),
      ['gpu'],
    );
    assert.match(dev.faster[0]!.needs, /NVIDIA GPU and its driver/);
    assert.match(engineStatus(info, { packaged: true }).faster[0]!.needs, /source checkout.*setup:gpu-engine/);
  });

  it('a wasm app whose native engine was not built is told how to get it', () => {
    const wasm = {
      ...info,
      engine: 'wasm' as const,
      backend: 'wasm',
      skipped: [...info.skipped, { engine: 'native' as const, reason: '@tensorflow/tfjs-node has no native addon built' }],
    };
    assert.match(engineStatus(wasm, { packaged: false }).faster[1]!.needs, /npm run setup:native-engine/);
    assert.match(engineStatus(wasm, { packaged: true }).faster[1]!.needs, /packaged after `npm run setup:native-engine`/);
  });
});
