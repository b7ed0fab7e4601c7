// Recorded runs: the table, row selection, comparing the selected runs, and re-scoring a run's own split.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { RunRow, SplitName } from '../../main/api/contract';
import { api } from '../api';
import { useRunComparison } from '../composables/useRunComparison';
import { useAppStore } from './app';

export const useRunsStore = defineStore('runs', () => {
  const app = useAppStore();
  const runs = ref<RunRow[]>([]);
  const loading = ref(false);
  const loaded = ref(false);
  const selected = ref<number[]>([]);
  const { compareSplit, comparison, comparing, compare } = useRunComparison(app, selected);
  /** Runs whose own scores are being scored again. */
  const rescoring = ref<number[]>([]);

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

  /** Scores a run's own split again (its best checkpoint on its own dataset), e.g. where an older version replaced it. */
  async function rescore(id: number, split: SplitName): Promise<void> {
    rescoring.value = [...rescoring.value, id];
    const row = await app.attempt(() => api().rescoreRun({ runId: id, split }));
    rescoring.value = rescoring.value.filter((x) => x !== id);
    if (row) runs.value = runs.value.map((r) => (r.id === id ? row : r));
  }

  return {
    runs,
    loading,
    loaded,
    selected,
    compareSplit,
    comparison,
    comparing,
    rescoring,
    completed,
    byId,
    refresh,
    toggle,
    clearSelection,
    compare,
    rescore,
  };
});
