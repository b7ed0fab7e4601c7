// Datasets: open/pick folders, their scan summaries, and the paged image listing behind the thumbnail grid.
import { defineStore } from 'pinia';
import { computed, ref, shallowReactive } from 'vue';
import type { ClassName, DatasetSummary, ImageEntry, SplitName } from '../../main/api/contract';
import { api } from '../api';
import { useAppStore } from './app';

const PAGE = 120;

export const useDatasetsStore = defineStore('datasets', () => {
  const app = useAppStore();
  const datasets = ref<DatasetSummary[]>([]);
  const currentPath = ref<string | null>(null);
  const pathInput = ref('');
  const opening = ref(false);
  const split = ref<SplitName | ''>('');
  const label = ref<ClassName | ''>('');
  /** Images matching the filters (null until the first page arrives). */
  const total = ref<number | null>(null);
  const pages = shallowReactive(new Map<number, ImageEntry[]>());
  const pending = new Set<number>();
  let generation = 0;

  const current = computed(() => datasets.value.find((d) => d.path === currentPath.value) ?? null);

  function remember(summary: DatasetSummary): void {
    datasets.value = [...datasets.value.filter((d) => d.path !== summary.path), summary];
  }

  async function refreshList(): Promise<void> {
    const list = await app.attempt(() => api().listDatasets());
    if (list) for (const d of list) remember(d);
  }

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

  function setFilters(nextSplit: SplitName | '', nextLabel: ClassName | ''): void {
    split.value = nextSplit;
    label.value = nextLabel;
    resetImages();
  }

  function resetImages(): void {
    generation++;
    pages.clear();
    pending.clear();
    total.value = null;
    if (currentPath.value) void loadPage(0);
  }

  async function loadPage(page: number): Promise<void> {
    const dataset = currentPath.value;
    if (!dataset || pages.has(page) || pending.has(page)) return;
    const gen = generation;
    pending.add(page);
    const result = await app.attempt(() => api().listImages({
      dataset,
      offset: page * PAGE,
      limit: PAGE,
      ...(split.value ? { split: split.value } : {}),
      ...(label.value ? { label: label.value } : {}),
    }));
    if (gen !== generation) return;
    pending.delete(page);
    if (!result) return;
    total.value = result.total;
    pages.set(page, result.items);
  }

  /** Makes sure images [first, last) are loaded or loading (the grid calls this with its visible range). */
  function ensureRange(first: number, last: number): void {
    for (let p = Math.floor(first / PAGE); p <= Math.floor(Math.max(first, last - 1) / PAGE); p++) void loadPage(p);
  }

  function imageAt(index: number): ImageEntry | undefined {
    return pages.get(Math.floor(index / PAGE))?.[index % PAGE];
  }

  return {
    received,
    datasets, currentPath, current, pathInput, opening, split, label, total,
    refreshList, open, pick, select, setFilters, ensureRange, imageAt,
  };
});
