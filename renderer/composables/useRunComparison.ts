// Comparing the selected runs side by side on one split (the Runs screen's comparison panel).
import { ref, type Ref } from 'vue';
import type { CompareResult, SplitName } from '../../main/api/contract';
import { api } from '../api';
import type { useAppStore } from '../stores/app';

export function useRunComparison(app: ReturnType<typeof useAppStore>, selected: Ref<number[]>) {
  const compareSplit = ref<SplitName>('test');
  const comparison = ref<CompareResult | null>(null);
  const comparing = ref(false);

  /** Compares the selected runs (two or more) on `compareSplit`; a failed call keeps the last comparison. */
  async function compare(): Promise<void> {
    if (selected.value.length < 2) return;
    comparing.value = true;
    const runIds = [...selected.value].sort((a, b) => a - b);
    comparison.value = (await app.attempt(() => api().compareRuns({ runIds, split: compareSplit.value }))) ?? comparison.value;
    comparing.value = false;
  }

  return { compareSplit, comparison, comparing, compare };
}
