// Datasets: open/pick folders, their scan summaries, and the paged image listing behind the thumbnail grid.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { DatasetSummary } from '../../main/api/contract';
import { api } from '../api';
import { useDatasetList } from '../composables/useDatasetList';
import { useImagePages } from '../composables/useImagePages';
import { useAppStore } from './app';

export const useDatasetsStore = defineStore('datasets', () => {
  const app = useAppStore();
  const currentPath = ref<string | null>(null);
  const pathInput = ref('');
  const opening = ref(false);
  const { datasets, current, remember, refreshList } = useDatasetList(currentPath);
  /** The current dataset's images: filters, total and pages (see useImagePages). */
  const { split, label, total, setFilters, resetImages, ensureRange, imageAt } = useImagePages(currentPath);

  /** Scans a folder (it becomes the current dataset and its images are listed). */
  async function open(path = pathInput.value.trim()): Promise<DatasetSummary | undefined> {
    if (!path) return undefined;
    opening.value = true;
    const summary = await app.attempt(() => api().openDataset({ path }));
    opening.value = false;
    if (!summary) return undefined;
    remember(summary);
    pathInput.value = summary.path;
    select(summary.path);
    return summary;
  }

  /** A dataset opened from the app menu (main side): show it as if opened here. */
  function received(summary: DatasetSummary): void {
    remember(summary);
    pathInput.value = summary.path;
    select(summary.path);
    app.go('datasets');
  }

  async function pick(): Promise<void> {
    const path = await app.attempt(() => api().pickFolder({ title: 'Open a dataset folder' }));
    if (path) await open(path);
  }

  function select(path: string): void {
    currentPath.value = path;
    resetImages();
  }

  return {
    received,
    datasets,
    currentPath,
    current,
    pathInput,
    opening,
    split,
    label,
    total,
    refreshList,
    open,
    pick,
    select,
    setFilters,
    ensureRange,
    imageAt,
  };
});
