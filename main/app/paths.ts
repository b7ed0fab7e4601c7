// Where the packaged or development app finds its pieces and keeps its data (pure: main.ts passes Electron's paths in).
import path from 'node:path';

export interface AppPathInputs {
  /** app.getPath('userData'), set to `<appData>/Unmask` so the CLI's defaultDbPath() names the same database. */
  userData: string;
  /** Folder of the bundled main.js (out/main). */
  mainDir: string;
  /** app.isPackaged. */
  packaged: boolean;
  /** process.resourcesPath (the packaged app's resources folder, where extraResources go). */
  resourcesPath: string;
  env: NodeJS.ProcessEnv;
}

export interface AppPaths {
  dbPath: string;
  /** Holds models/ (UNMASK_RESOURCES_DIR for the workers). */
  resourcesDir: string;
  /** Downloaded pretrained weights (UNMASK_WEIGHTS_DIR for the workers). */
  weightsDir: string;
  rendererDir: string;
  preload: string;
  /** Folder of the bundled worker scripts. */
  workersDir: string;
}

/** UNMASK_DB and UNMASK_WEIGHTS_DIR win, as in the CLI; everything else sits beside the bundled main.js. */
export function appPaths({ userData, mainDir, packaged, resourcesPath, env }: AppPathInputs): AppPaths {
  const out = path.resolve(mainDir, '..');
  return {
    dbPath: env['UNMASK_DB'] ? path.resolve(env['UNMASK_DB']) : path.join(userData, 'unmask.db'),
    // Packaged: electron-builder's extraResources put resources/models at <resourcesPath>/models, outside the asar.
    resourcesDir: env['UNMASK_RESOURCES_DIR'] ?? (packaged ? resourcesPath : path.resolve(out, '..', 'resources')),
    weightsDir: env['UNMASK_WEIGHTS_DIR'] ?? path.join(userData, 'weights'),
    rendererDir: path.join(out, 'renderer'),
    preload: path.join(out, 'preload', 'index.cjs'),
    workersDir: mainDir,
  };
}
