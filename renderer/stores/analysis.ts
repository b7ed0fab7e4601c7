// Analysis of one run: metrics, ROC/DET/confusion/histogram charts and the worst mistakes of a split.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { AnalysisResult, SplitName } from '../../main/api/contract';
import { api } from '../api';
import { useAppStore } from './app';

export const useAnalysisStore = defineStore('analysis', () => {
  const app = useAppStore();
  const runId = ref<number | null>(null);
  const split = ref<SplitName>('test');
  const result = ref<AnalysisResult | null>(null);
  const loading = ref(false);
  let request = 0;

  /** Analyses `runId` on `split` (scoring it first on the main side when it has no saved scores). */
  async function analyse(id = runId.value, on = split.value): Promise<void> {
    if (id === null) return;
    runId.value = id;
    split.value = on;
    const mine = ++request;
    loading.value = true;
    const next = await app.attempt(() => api().analyseRun({ runId: id, split: on }));
    if (mine !== request) return;
    loading.value = false;
    result.value = next ?? null;
  }

  return { runId, split, result, loading, analyse };
});
