// The paged image listing behind the thumbnail grid: the split/label filters, the total, and the pages loaded on demand
// as the grid scrolls. A dataset can hold far more images than a listing should carry at once, so the grid asks only
// for the range it shows and pages arrive (and are cached) PAGE images at a time.
import { ref, shallowReactive, type Ref } from 'vue';
import type { ClassName, ImageEntry, SplitName } from '../../main/api/contract';
import { api } from '../api';
import { useAppStore } from '../stores/app';

const PAGE = 120;

/** The listing of `dataset` (the current dataset's path; nothing is listed while it is null). */
export function useImagePages(dataset: Ref<string | null>) {
  const app = useAppStore();
  const split = ref<SplitName | ''>('');
  const label = ref<ClassName | ''>('');
  /** Images matching the filters (null until the first page arrives). */
  const total = ref<number | null>(null);
  const pages = shallowReactive(new Map<number, ImageEntry[]>());
  const pending = new Set<number>();
  // Bumped on every reset: a page that arrives for an older dataset or older filters is dropped.
  let generation = 0;

  function setFilters(nextSplit: SplitName | '', nextLabel: ClassName | ''): void {
    split.value = nextSplit;
    label.value = nextLabel;
    resetImages();
  }

  /** Forgets every page (the dataset or the filters changed) and loads the first one again. */
  function resetImages(): void {
    generation++;
    pages.clear();
    pending.clear();
    total.value = null;
    if (dataset.value) void loadPage(0);
  }

  async function loadPage(page: number): Promise<void> {
    const path = dataset.value;
    if (!path || pages.has(page) || pending.has(page)) return;
    const gen = generation;
    pending.add(page);
    const result = await app.attempt(() =>
      api().listImages({
        dataset: path,
        offset: page * PAGE,
        limit: PAGE,
        ...(split.value ? { split: split.value } : {}),
        ...(label.value ? { label: label.value } : {}),
      }),
    );
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

  return { split, label, total, setFilters, resetImages, ensureRange, imageAt };
}
