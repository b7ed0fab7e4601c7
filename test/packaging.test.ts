// electron-builder.yml read by electron-builder's own file matchers: the packaged app carries the native engine's
// addon and libtensorflow, unpacked from the asar side by side, and none of the gpu engine's gigabytes.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { unpackedPath } from '../main/engine/native-paths.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

type Filter = (file: string, stat: { isDirectory(): boolean }) => boolean;
interface Matcher {
  createFilter(): Filter;
}
// app-builder-lib is what `electron-builder` runs; these are the functions its platform packager calls.
const fileMatcher = require('app-builder-lib/out/fileMatcher.js') as {
  getNodeModuleFileMatcher(appDir: string, dest: string, expand: (s: string) => string, platformOptions: object, packager: object): Matcher;
  getFileMatchers(config: object, name: 'asarUnpack', dest: string, options: object): Matcher[] | null;
};
const yaml = require('js-yaml') as { load(text: string): Record<string, unknown> };
const config = yaml.load(fs.readFileSync(path.join(root, 'electron-builder.yml'), 'utf8'));

const expand = (s: string) => s;
const copied = fileMatcher.getNodeModuleFileMatcher(root, '/app', expand, {}, { config, debugLogger: { isEnabled: false } }).createFilter();
const unpacked = fileMatcher
  .getFileMatchers(config, 'asarUnpack', '/app', {
    macroExpander: expand,
    customBuildOptions: {},
    globalOutDir: path.join(root, 'release'),
    defaultSrc: root,
  })![0]!
  .createFilter();
const file = { isDirectory: () => false };
const at = (rel: string) => path.join(root, rel);

describe('electron-builder.yml', () => {
  const node = 'node_modules/@tensorflow/tfjs-node';
  const gpu = 'node_modules/@tensorflow/tfjs-node-gpu';

  it('carries the native engine: the addon and the libraries its RUNPATH ($ORIGIN/../../deps/lib) names, both unpacked', () => {
    for (const rel of [
      `${node}/lib/napi-v8/tfjs_binding.node`,
      `${node}/deps/lib/libtensorflow_cc.so.2`,
      `${node}/deps/lib/libtensorflow_framework.so.2`,
      `${node}/dist/index.js`,
    ]) {
      assert.ok(copied(at(rel), file), `${rel} should be packaged`);
      assert.ok(unpacked(at(rel), file), `${rel} should be unpacked from the asar`);
    }
    // The same relative layout on both sides of the asar, so the RUNPATH holds: lib/napi-v8/../../deps/lib.
    const addon = unpackedPath(`/opt/Unmask/resources/app.asar/${node}/lib/napi-v8/tfjs_binding.node`);
    assert.equal(path.posix.resolve(path.posix.dirname(addon), '../../deps/lib'), `/opt/Unmask/resources/app.asar.unpacked/${node}/deps/lib`);
  });

  it('leaves out what only building needs: the link-time .so symlinks, C headers, build folders', () => {
    for (const rel of [
      `${node}/deps/lib/libtensorflow.so`,
      `${node}/deps/lib/libtensorflow_framework.so`,
      `${node}/deps/include/tensorflow/c/c_api.h`,
      `${node}/build-tmp-napi-v8/Makefile`,
    ]) {
      assert.equal(copied(at(rel), file), false, `${rel} should not be packaged`);
    }
  });

  it('does not carry the gpu engine (~3.6 GB): its JavaScript stays, so the app reports it as not built', () => {
    for (const rel of [`${gpu}/deps/lib/libtensorflow_cc.so.2`, `${gpu}/deps/nvidia/cudnn/lib/libcudnn.so.8`, `${gpu}/lib/napi-v8/tfjs_binding.node`]) {
      assert.equal(copied(at(rel), file), false, `${rel} should not be packaged`);
    }
    assert.ok(copied(at(`${gpu}/dist/index.js`), file));
    assert.ok(copied(at(`${gpu}/package.json`), file));
  });
});
