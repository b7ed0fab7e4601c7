// Where the run database lives by default: UNMASK_DB, else the app's per-user data folder.
import os from 'node:os';
import path from 'node:path';

/**
 * The default run database file: `$UNMASK_DB` if set, else `unmask.db` in the app's user-data folder
 * (the folder Electron's app.getPath('userData') gives an app named Unmask):
 * Linux `$XDG_CONFIG_HOME/Unmask` or `~/.config/Unmask`, macOS `~/Library/Application Support/Unmask`,
 * Windows `%APPDATA%\Unmask`. The parameters exist for tests.
 */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = os.homedir()): string {
  const override = env['UNMASK_DB'];
  if (override) return path.resolve(override);
  return (platform === 'win32' ? path.win32 : path.posix).join(userDataDir(env, platform, home), 'unmask.db');
}

/**
 * The app's per-user data folder (Electron's app.getPath('userData') for an app named Unmask), whatever
 * UNMASK_DB says: downloaded model weights are cached under it.
 */
export function userDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = os.homedir()): string {
  const p = platform === 'win32' ? path.win32 : path.posix;
  let base: string;
  if (platform === 'win32') {
    base = env['APPDATA'] || p.join(home, 'AppData', 'Roaming');
  } else if (platform === 'darwin') {
    base = p.join(home, 'Library', 'Application Support');
  } else {
    const xdg = env['XDG_CONFIG_HOME'];
    base = xdg && p.isAbsolute(xdg) ? xdg : p.join(home, '.config'); // the XDG spec ignores relative values
  }
  return p.join(base, 'Unmask');
}
