// The one BrowserWindow and the app-wide hardening: no new windows, no navigation away, no permissions, no webviews.
import { BrowserWindow, app, session, shell, type WebContents } from 'electron';
import { APP_INDEX_URL, isAppUrl } from './protocol.js';

/** Opens https links (paper citations) in the system browser; every window.open is denied. */
function denyWindowOpen(contents: WebContents): void {
  contents.setWindowOpenHandler(({ url }) => {
    if (new URL(url).protocol === 'https:') void shell.openExternal(url);
    return { action: 'deny' };
  });
}

/**
 * Applies to every webContents the app ever creates: navigation and redirects must stay on app://unmask/,
 * <webview> cannot attach, and window.open is denied. Call once, before the first window.
 */
export function hardenContents(): void {
  app.on('web-contents-created', (_event, contents) => {
    const stayHome = (event: { preventDefault(): void }, url: string) => {
      if (!isAppUrl(url)) event.preventDefault();
    };
    contents.on('will-navigate', stayHome);
    contents.on('will-frame-navigate', (event) => stayHome(event, event.url));
    contents.on('will-redirect', stayHome);
    contents.on('will-attach-webview', (event) => event.preventDefault());
    denyWindowOpen(contents);
  });
  // The UI needs no camera, notifications, geolocation…; only the sanitized clipboard write of "copy" buttons.
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, permission, callback, details) =>
    callback(permission === 'clipboard-sanitized-write' && isAppUrl(details.requestingUrl)),
  );
  ses.setPermissionCheckHandler((_contents, permission, origin) => permission === 'clipboard-sanitized-write' && isAppUrl(origin));
}

/** The main window: sandboxed, context-isolated renderer with only the preload's bridge; loads app://unmask/index.html. */
export function createMainWindow(preload: string): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 960,
    minHeight: 640,
    title: 'Unmask',
    show: false,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(APP_INDEX_URL);
  return win;
}
