// The native application menu, as a template (Menu.buildFromTemplate turns it into the menu in main.ts).
import type { MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  openDataset(): void;
  exportReport(): void;
  about(): void;
}

export interface MenuOptions {
  platform: NodeJS.Platform;
  /** Unpackaged app: reload and developer tools are offered. */
  dev: boolean;
}

/** File (open dataset, export report, quit), Edit (clipboard roles), View, Window on macOS, Help (about). */
export function menuTemplate(actions: MenuActions, { platform, dev }: MenuOptions): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  const file: MenuItemConstructorOptions = {
    label: '&File',
    submenu: [
      { label: 'Open Dataset Folder…', accelerator: 'CmdOrCtrl+O', click: () => actions.openDataset() },
      { label: 'Export Report…', accelerator: 'CmdOrCtrl+E', click: () => actions.exportReport() },
      { type: 'separator' },
      mac ? { role: 'close' } : { role: 'quit' },
    ],
  };
  const view: MenuItemConstructorOptions = {
    label: '&View',
    submenu: [
      ...(dev ? ([{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, { type: 'separator' }] as MenuItemConstructorOptions[]) : []),
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };
  const help: MenuItemConstructorOptions = {
    role: 'help',
    submenu: [{ label: 'About Unmask', click: () => actions.about() }],
  };
  return [
    ...(mac ? [{ role: 'appMenu' } as MenuItemConstructorOptions] : []),
    file,
    // The Edit roles are what make copy and paste shortcuts work in text fields on macOS.
    { role: 'editMenu' },
    view,
    ...(mac ? [{ role: 'windowMenu' } as MenuItemConstructorOptions] : []),
    help,
  ];
}
