// Where a tfjs-node(-gpu) package's addon and libtensorflow are on disk, in a checkout or unpacked beside an asar.
import fs from 'node:fs';
import path from 'node:path';

/**
 * The real on-disk path of `file`: inside a packaged Electron app, `…/resources/app.asar/node_modules/x` is a
 * virtual path, and what electron-builder's asarUnpack took out of the archive lies at the same place under
 * `app.asar.unpacked`. dlopen() and the addon's `$ORIGIN` RUNPATH only work there. Other paths are returned as given.
 */
export function unpackedPath(file: string): string {
  const parts = file.split(/([\\/])/);
  const at = parts.lastIndexOf('app.asar');
  if (at < 0) return file;
  parts[at] = 'app.asar.unpacked';
  return parts.join('');
}

export interface NativeEngineFiles {
  /** The package folder, on disk (unpacked when it came from an asar). */
  packageDir: string;
  /** lib/napi-v<N>/tfjs_binding.node, or null when the addon was never built. */
  addon: string | null;
  /** The libtensorflow the addon's RUNPATH ($ORIGIN/../../deps/lib) leads to, or null when it is missing. */
  libtensorflow: string | null;
}

/** The addon and libtensorflow of a tfjs-node(-gpu) package whose package.json `require.resolve` found. */
export function nativeEngineFiles(packageJson: string): NativeEngineFiles {
  const packageDir = unpackedPath(path.dirname(packageJson));
  const libDir = path.join(packageDir, 'lib');
  const napi = fs.existsSync(libDir)
    ? fs
        .readdirSync(libDir)
        .sort()
        .find((d) => fs.existsSync(path.join(libDir, d, 'tfjs_binding.node')))
    : undefined;
  const addon = napi ? path.join(libDir, napi, 'tfjs_binding.node') : null;
  // binding.gyp links with -Wl,-rpath,$ORIGIN/../../deps/lib (Linux): libtensorflow_cc.so.2 from a wheel
  // (setup:native-engine, setup:gpu-engine), libtensorflow.so.2 from Google's tarball.
  const names =
    process.platform === 'win32'
      ? ['tensorflow.dll']
      : process.platform === 'darwin'
        ? ['libtensorflow.2.dylib']
        : ['libtensorflow_cc.so.2', 'libtensorflow.so.2'];
  const deps = addon ? path.resolve(path.dirname(addon), '../../deps/lib') : null;
  const lib = deps ? names.map((n) => path.join(deps, n)).find((f) => fs.existsSync(f)) : undefined;
  return { packageDir, addon, libtensorflow: lib ?? null };
}
