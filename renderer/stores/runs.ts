// Recorded runs: the table, row selection, and comparing the selected runs.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { CompareResult, RunRow, SplitName } from '../../main/api/contract';
import { api } from '../api';
import { useAppStore } from './app';

export const useRunsStore = defineStore('runs', () => {
  const app = useAppStore();
  const runs = ref<RunRow[]>([]);
  const loading = ref(false);
  const loaded = ref(false);
  const selected = ref<number[]>([]);
  const compareSplit = ref<SplitName>('test');
  const comparison = ref<CompareResult | null>(null);
  const comparing = ref(false);

  const completed = computed(() => runs.value.filter((r) => r.status === 'completed'));
  const byId = computed(() => new Map(runs.value.map((r) => [r.id, r])));

  async function refresh(): Promise<void> {
    loading.value = true;
    const list = await app.attempt(() => api().listRuns());
    loading.value = false;
    if (!list) return;
    runs.value = [...list].sort((a, b) => b.id - a.id);
    loaded.value = true;
    const ids = new Set(list.map((r) => r.id));
    selected.value = selected.value.filter((id) => ids.has(id));
  }

  function toggle(id: number): void {
    selected.value = selected.value.includes(id) ? selected.value.filter((x) => x !== id) : [...selected.value, id];
  }

  function clearSelection(): void {
    selected.value = [];
  }

  /** Compares the selected runs (two or more) on `compareSplit`. */
  async function compare(): Promise<void> {
    if (selected.value.length < 2) return;
    comparing.value = true;
    const runIds = [...selected.value].sort((a, b) => a - b);
    comparison.value = (await app.attempt(() => api().compareRuns({ runIds, split: compareSplit.value }))) ?? comparison.value;
    comparing.value = false;
  }

  return { runs, loading, loaded, selected, compareSplit, comparison, comparing, completed, byId, refresh, toggle, clearSelection, compare };
});
