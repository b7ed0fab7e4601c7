// The fleet: where jobs run (this machine, or a Redis queue), the workers seen and the queue's depth, kept fresh while shown.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { FleetInfo } from '../../main/api/contract';
import { api } from '../api';
import { useAppStore } from './app';

const REFRESH_MS = 3000;

export const useFleetStore = defineStore('fleet', () => {
  const app = useAppStore();
  const fleet = ref<FleetInfo | null>(null);
  const loading = ref(false);
  const saving = ref(false);
  /** The settings form: a queue URL ('' = this machine) and the artifact folder ('' = the default). */
  const url = ref('');
  const artifacts = ref('');
  let timer: ReturnType<typeof setInterval> | null = null;

  async function refresh(): Promise<void> {
    loading.value = true;
    const next = await app.attempt(() => api().getFleet());
    loading.value = false;
    if (next) fleet.value = next;
  }

  /** Refreshes now and every few seconds until `stop` (the screen is hidden). */
  function watch(): void {
    void refresh();
    timer ??= setInterval(() => void refresh(), REFRESH_MS);
  }

  function stop(): void {
    if (timer) clearInterval(timer);
    timer = null;
  }

  /** Sends new jobs to the queue in the form (checked by connecting to it), or back to this machine. */
  async function apply(toQueue: boolean): Promise<void> {
    saving.value = true;
    const settings = await app.attempt(() =>
      api().setQueue({ url: toQueue ? url.value.trim() : null, artifacts: toQueue && artifacts.value.trim() ? artifacts.value.trim() : null }),
    );
    saving.value = false;
    if (!settings) return;
    url.value = '';
    await Promise.all([app.loadInfo(), refresh()]);
  }

  return { fleet, loading, saving, url, artifacts, refresh, watch, stop, apply };
});
