// What the File and Help menus do: native dialogs around the same API calls the UI makes.
import { app, dialog, type BrowserWindow } from 'electron';
import type { ApiEvent, ExportReportResult, RunRow } from '../api/contract.js';
import { dispatch } from '../api/dispatch.js';
import type { UnmaskService } from '../service/service.js';
import type { MenuActions } from './menu.js';

/** exportReport accepts at most this many runs; the menu exports the most recent completed ones. */
const MAX_REPORT_RUNS = 50;

/** A native folder picker; null when cancelled. */
export async function pickFolder(win: BrowserWindow | null, title: string, create = false): Promise<string | null> {
  const properties: ('openDirectory' | 'createDirectory')[] = create ? ['openDirectory', 'createDirectory'] : ['openDirectory'];
  const options = { title, properties };
  const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}

async function message(win: BrowserWindow | null, type: 'info' | 'error', text: string, detail?: string): Promise<void> {
  const options = { type, title: 'Unmask', message: text, detail };
  if (win) await dialog.showMessageBox(win, options);
  else await dialog.showMessageBox(options);
}

/** The menu's actions for the window `win()` (null once it is closed); `send` delivers an event to the UI. */
export function menuActions(service: UnmaskService, win: () => BrowserWindow | null, send: (event: ApiEvent) => void): MenuActions {
  const report = (error: unknown) => void message(win(), 'error', 'Something went wrong', String(error));

  async function openDataset(): Promise<void> {
    const folder = await pickFolder(win(), 'Open a dataset folder');
    if (!folder) return;
    const result = await dispatch(service.api, 'openDataset', { path: folder });
    if (result.ok) send({ type: 'dataset-opened', dataset: result.value as Extract<ApiEvent, { type: 'dataset-opened' }>['dataset'] });
    else await message(win(), 'error', `Could not open ${folder}`, result.error.message);
  }

  async function exportReport(): Promise<void> {
    const runs = ((await service.api.listRuns()) as RunRow[]).filter((r) => r.status === 'completed');
    if (runs.length === 0) return message(win(), 'info', 'No completed run to report on yet', 'Train a model first; the report covers every completed run.');
    const out = await pickFolder(win(), 'Choose the folder to write the report into', true);
    if (!out) return;
    const runIds = runs
      .map((r) => r.id)
      .sort((a, b) => b - a)
      .slice(0, MAX_REPORT_RUNS);
    const result = await dispatch(service.api, 'exportReport', { runIds, out });
    if (!result.ok) return message(win(), 'error', 'The report could not be written', result.error.message);
    const { files, skipped } = result.value as ExportReportResult;
    const notes = skipped.map((s) => `Skipped ${s.figures.join(', ')}: ${s.reason}`).join('\n');
    await message(win(), 'info', `Wrote ${files.length} files for ${runIds.length} runs to ${out}`, notes || undefined);
  }

  return {
    openDataset: () => openDataset().catch(report),
    exportReport: () => exportReport().catch(report),
    about: () =>
      void message(
        win(),
        'info',
        `Unmask ${app.getVersion()}`,
        `Train, compare and explain real-vs-fake face detectors.\nElectron ${process.versions.electron}, Node ${process.versions.node}, Chromium ${process.versions.chrome}`,
      ),
  };
}

/** Asks before closing while training runs (closing stops it; the run can be resumed later). True: go ahead. */
export async function confirmClose(service: UnmaskService, win: BrowserWindow): Promise<boolean> {
  const active = (await service.api.listJobs()).filter((j) => j.state === 'running' || j.state === 'queued');
  if (active.length === 0) return true;
  const { response } = await dialog.showMessageBox(win, {
    type: 'question',
    title: 'Unmask',
    message: `${active.length} training job${active.length > 1 ? 's are' : ' is'} still running or queued`,
    detail: 'Quitting stops them; an interrupted run can be resumed from its last checkpoint.',
    buttons: ['Quit', 'Keep Running'],
    defaultId: 1,
    cancelId: 1,
  });
  return response === 0;
}
