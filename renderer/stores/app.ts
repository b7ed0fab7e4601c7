// App-wide state: the server's AppInfo and engine, the current screen, and the error banner every store reports into.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { AppInfo, EngineStatus } from '../../main/api/contract';
import { api, toApiError } from '../api';

export const VIEWS = ['datasets', 'train', 'runs', 'analysis', 'evaluations', 'explain', 'export', 'fleet'] as const;
export type ViewName = (typeof VIEWS)[number];

export interface Notice {
  id: number;
  code: string;
  message: string;
}

function viewFromHash(): ViewName {
  const name = window.location.hash.replace(/^#\/?/, '');
  return (VIEWS as readonly string[]).includes(name) ? (name as ViewName) : 'datasets';
}

export const useAppStore = defineStore('app', () => {
  const info = ref<AppInfo | null>(null);
  const infoLoading = ref(false);
  /** The workers' engine; null until the analysis worker has started (seconds) or when it could not say. */
  const engine = ref<EngineStatus | null>(null);
  const view = ref<ViewName>(viewFromHash());
  const notices = ref<Notice[]>([]);
  let nextNotice = 1;

  /** Shows an error in the banner (the same code and message twice shows once). */
  function report(error: unknown): void {
    const e = toApiError(error);
    if (notices.value.some((n) => n.code === e.code && n.message === e.message)) return;
    notices.value = [...notices.value.slice(-4), { id: nextNotice++, code: e.code, message: e.message }];
  }

  function dismiss(id: number): void {
    notices.value = notices.value.filter((n) => n.id !== id);
  }

  /** Runs an API task; an error goes to the banner and the result is undefined. */
  async function attempt<T>(task: () => Promise<T>): Promise<T | undefined> {
    try {
      return await task();
    } catch (error) {
      report(error);
      return undefined;
    }
  }

  function go(name: ViewName): void {
    view.value = name;
    if (window.location.hash !== `#/${name}`) window.history.replaceState(window.history.state, '', `#/${name}`);
  }

  async function loadInfo(): Promise<void> {
    infoLoading.value = true;
    info.value = (await attempt(() => api().getInfo())) ?? info.value;
    infoLoading.value = false;
  }

  async function loadEngine(): Promise<void> {
    engine.value = (await attempt(() => api().getEngine())) ?? engine.value;
  }

  return { info, infoLoading, engine, view, notices, report, dismiss, attempt, go, loadInfo, loadEngine };
});
