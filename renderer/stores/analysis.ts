// Analysis of one run: its own scores of a split (metrics, charts, worst mistakes) or one of its evaluations, and the list of those.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { AnalysisResult, EvaluationDetail, RunRow, SplitName } from '../../main/api/contract';
import { api } from '../api';
import { useLatestRequest } from '../composables/useLatestRequest';
import { useRunEvaluations } from '../composables/useRunEvaluations';
import { useRunsStore } from './runs';

/** The completed run that finished last (the highest id among equals), or undefined when none has. */
function latestFinished(completed: readonly RunRow[]): RunRow | undefined {
  return [...completed].sort((a, b) => (b.finishedAt ?? '').localeCompare(a.finishedAt ?? '') || b.id - a.id)[0];
}

export const useAnalysisStore = defineStore('analysis', () => {
  const runs = useRunsStore();
  const runId = ref<number | null>(null);
  const split = ref<SplitName>('test');
  /** The run's own split analysed, or (evaluationId set) one of its evaluations. */
  const result = ref<AnalysisResult | EvaluationDetail | null>(null);
  const evaluationId = ref<number | null>(null);
  const loading = ref(false);
  const requests = useLatestRequest();
  /** The run's evaluations (scorings of other folders, splits or checkpoints), and showing one of them. */
  const { evaluations, loadEvaluations, showEvaluation } = useRunEvaluations({ runId, result, evaluationId, loading, requests });

  /** Own scores of the split that an older version replaced with another scoring: shown missing, never analysed. */
  const missing = computed(() => {
    const run = runId.value === null ? undefined : runs.byId.get(runId.value);
    return run?.missingOwnScores.find((m) => m.split === split.value) ?? null;
  });

  /** Analyses `id`'s own scores of `on` (scored first on the main side when it has none; not when they are missing). */
  async function analyse(id = runId.value, on = split.value): Promise<void> {
    if (id === null) return;
    if (id !== runId.value) evaluations.value = [];
    runId.value = id;
    split.value = on;
    evaluationId.value = null;
    const ticket = requests.begin();
    void loadEvaluations(id);
    if (missing.value) {
      result.value = null;
      return;
    }
    const answer = await requests.load(loading, () => api().analyseRun({ runId: id, split: on }), ticket);
    if (answer.current) result.value = answer.value ?? null;
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
    const latest = latestFinished(runs.completed);
    if (latest) void analyse(latest.id, split.value);
  }

  return { runId, split, result, evaluationId, evaluations, loading, missing, analyse, showEvaluation, rescore, ensureRun };
});
