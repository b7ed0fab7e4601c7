// Electron entry point: one window on the bundled UI (app://unmask/), the API over IPC, workers in utility processes.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrowserWindow, Menu, app, dialog, ipcMain, protocol, utilityProcess } from 'electron';
import type { ApiEvent } from '../api/contract.js';
import { API_EVENT_CHANNEL } from '../api/methods.js';
import { createService, type UnmaskService } from '../service/service.js';
import { confirmClose, menuActions, pickFolder } from './actions.js';
import { forwardEvents, registerApiHandlers, windowSenderCheck } from './ipc.js';
import { menuTemplate } from './menu.js';
import { appPaths } from './paths.js';
import { APP_SCHEME, serveAppRequest } from './protocol.js';
import { createMainWindow, hardenContents } from './window.js';
import { createUtilityLauncher, workerEnv } from './workers.js';

// Before 'ready': the UI's scheme must be privileged (standard + secure: a real origin for 'self' and for storage),
// and the profile folder must be fixed. `<appData>/Unmask` whatever package.json's name says, so the database
// is the one the CLI's defaultDbPath() finds (main/store/paths.ts).
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
app.setName('Unmask');
app.setPath('userData', path.join(app.getPath('appData'), 'Unmask'));

const paths = appPaths({
  userData: app.getPath('userData'),
  mainDir: path.dirname(fileURLToPath(import.meta.url)),
  packaged: app.isPackaged,
  resourcesPath: process.resourcesPath,
  env: process.env,
});

let win: BrowserWindow | null = null;
let service: UnmaskService | null = null;
let quitting = false;

function sendEvent(event: ApiEvent): void {
  if (win && !win.isDestroyed()) win.webContents.send(API_EVENT_CHANNEL, event);
}

function openWindow(current: UnmaskService): BrowserWindow {
  const window = createMainWindow(paths.preload);
  let closeConfirmed = false;
  window.on('close', (event) => {
    if (closeConfirmed) return;
    event.preventDefault();
    void confirmClose(current, window).then((ok) => {
      if (!ok) return void (quitting = false);
      closeConfirmed = true;
      if (quitting) app.quit();
      else window.close();
    });
  });
  window.on('closed', () => {
    if (win === window) win = null;
  });
  return window;
}

/** Everything that needs 'ready': the scheme handler, hardening, the service, IPC, the menu and the window. */
function start(): void {
  protocol.handle(APP_SCHEME, (request) => serveAppRequest(paths.rendererDir, request.url, (file) => fs.promises.readFile(file)));
  hardenContents();
  const env = workerEnv(process.env, {
    UNMASK_DB: paths.dbPath,
    UNMASK_RESOURCES_DIR: paths.resourcesDir,
    UNMASK_WEIGHTS_DIR: paths.weightsDir,
  });
  const launch = createUtilityLauncher((modulePath, args, options) => utilityProcess.fork(modulePath, args, options), {
    scriptsDir: paths.workersDir,
    env,
  });
  const current = createService({
    dbPath: paths.dbPath,
    transport: 'ipc',
    launch,
    packaged: app.isPackaged,
    dataRoot: process.env['UNMASK_DATA_ROOT'] ?? null,
    pickFolder: (title) => pickFolder(win, title),
    // Else the queue kept in Settings, else none: jobs run here.
    ...(process.env['UNMASK_QUEUE']
      ? { queue: { url: process.env['UNMASK_QUEUE'], artifacts: process.env['UNMASK_ARTIFACTS'] ?? null, source: 'env' as const } }
      : {}),
  });
  service = current;
  registerApiHandlers(
    ipcMain,
    current.api,
    windowSenderCheck(() => (win && !win.isDestroyed() ? win.webContents.id : null)),
  );
  forwardEvents(current.onEvent, (_channel, event) => sendEvent(event));
  const actions = menuActions(current, () => win, sendEvent);
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(actions, { platform: process.platform, dev: !app.isPackaged })));
  win = openWindow(current);
  app.on('activate', () => {
    if (!win) win = openWindow(current);
  });
}

if (!app.requestSingleInstanceLock()) {
  // Another Unmask is running: it gets the focus (second-instance below) and this one leaves.
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  });
  app.on('before-quit', () => {
    quitting = true;
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => {
    // Stops the workers (a running training is marked interrupted and can be resumed) and closes the database.
    service?.close();
    service = null;
  });
  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      dialog.showErrorBox('Unmask could not start', error instanceof Error ? error.message : String(error));
      app.exit(1);
    });
}
