// The datasets known to the app (the scan summaries of the folders opened, now or in earlier sessions) and the current one.
import { computed, ref, type Ref } from 'vue';
import type { DatasetSummary } from '../../main/api/contract';
import { api } from '../api';
import { useAppStore } from '../stores/app';

/** `currentPath` is the current dataset's folder: `current` is its summary once known. */
export function useDatasetList(currentPath: Ref<string | null>) {
  const app = useAppStore();
  const datasets = ref<DatasetSummary[]>([]);
  const current = computed(() => datasets.value.find((d) => d.path === currentPath.value) ?? null);

  /** Adds a summary, replacing an older one of the same folder (it was scanned again). */
  function remember(summary: DatasetSummary): void {
    datasets.value = [...datasets.value.filter((d) => d.path !== summary.path), summary];
  }

  async function refreshList(): Promise<void> {
    const list = await app.attempt(() => api().listDatasets());
    if (list) for (const d of list) remember(d);
  }

  return { datasets, current, remember, refreshList };
}
