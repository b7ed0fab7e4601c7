// Analysis of one run: its own scores of a split (metrics, charts, worst mistakes) or one of its evaluations, and the list of those.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { AnalysisResult, EvaluationDetail, EvaluationRow, SplitName } from '../../main/api/contract';
import { api } from '../api';
import { useAppStore } from './app';
import { useRunsStore } from './runs';

export const useAnalysisStore = defineStore('analysis', () => {
  const app = useAppStore();
  const runs = useRunsStore();
  const runId = ref<number | null>(null);
  const split = ref<SplitName>('test');
  /** The run's own split analysed, or (evaluationId set) one of its evaluations. */
  const result = ref<AnalysisResult | EvaluationDetail | null>(null);
  const evaluationId = ref<number | null>(null);
  /** The run's evaluations: scorings of other folders, splits or checkpoints. */
  const evaluations = ref<EvaluationRow[]>([]);
  const loading = ref(false);
  let request = 0;

  /** Own scores of the split that an older version replaced with another scoring: shown missing, never analysed. */
  const missing = computed(() => {
    const run = runId.value === null ? undefined : runs.byId.get(runId.value);
    return run?.missingOwnScores.find((m) => m.split === split.value) ?? null;
  });

  async function loadEvaluations(id: number): Promise<void> {
    const list = await app.attempt(() => api().listEvaluations({ runId: id }));
    if (runId.value === id) evaluations.value = list ?? [];
  }

  /** Analyses `id`'s own scores of `on` (scored first on the main side when it has none; not when they are missing). */
  async function analyse(id = runId.value, on = split.value): Promise<void> {
    if (id === null) return;
    if (id !== runId.value) evaluations.value = [];
    runId.value = id;
    split.value = on;
    evaluationId.value = null;
    const mine = ++request;
    void loadEvaluations(id);
    if (missing.value) {
      result.value = null;
      return;
    }
    loading.value = true;
    const next = await app.attempt(() => api().analyseRun({ runId: id, split: on }));
    if (mine !== request) return;
    loading.value = false;
    result.value = next ?? null;
  }

  /** Shows one of the run's evaluations instead of its own scores. */
  async function showEvaluation(id: number): Promise<void> {
    const mine = ++request;
    evaluationId.value = id;
    loading.value = true;
    const next = await app.attempt(() => api().getEvaluation({ evaluationId: id }));
    if (mine !== request) return;
    loading.value = false;
    if (!next) return;
    if (next.runId !== runId.value) {
      runId.value = next.runId;
      void loadEvaluations(next.runId);
    }
    result.value = next;
  }

  /** Scores the run's own split again (where it is missing), then analyses it. */
  async function rescore(): Promise<void> {
    if (runId.value === null) return;
    loading.value = true;
    await runs.rescore(runId.value, split.value);
    loading.value = false;
    await analyse();
  }

  /** Opens the most recently finished completed run when none is chosen yet, so the screen never opens empty. */
  function ensureRun(): void {
    if (runId.value !== null || loading.value) return;
    const latest = [...runs.completed].sort((a, b) => (b.finishedAt ?? '').localeCompare(a.finishedAt ?? '') || b.id - a.id)[0];
    if (latest) void analyse(latest.id, split.value);
  }

  return { runId, split, result, evaluationId, evaluations, loading, missing, analyse, showEvaluation, rescore, ensureRun };
});
