// Evaluations: scoring a run on a folder, the stored evaluations, the cross-dataset matrix, and the one opened from it.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { AnalysisResult, EvaluationDetail, MatrixCell } from '../../main/api/contract';
import { api } from '../api';
import { useEvaluateForm } from '../composables/useEvaluateForm';
import { useEvaluationList } from '../composables/useEvaluationList';
import { useLatestRequest } from '../composables/useLatestRequest';
import { useRunsStore } from './runs';

export const useEvaluationsStore = defineStore('evaluations', () => {
  const runs = useRunsStore();
  /** The stored evaluations and the cross-dataset matrix. */
  const { evaluations, matrix, loading, refresh } = useEvaluationList();
  /** What a matrix cell or a row opened: an evaluation, or a run's own test scores. */
  const detail = ref<EvaluationDetail | AnalysisResult | null>(null);
  const detailLoading = ref(false);
  // Cells and rows can be opened faster than they load: the one opened last is the one shown.
  const requests = useLatestRequest();
  /** The evaluate form. */
  const { runId, folder, split, checkpoint, cropFaces, evaluating, submit } = useEvaluateForm();

  async function open(task: () => Promise<EvaluationDetail | AnalysisResult>): Promise<void> {
    const answer = await requests.load(detailLoading, task);
    if (answer.current && answer.value) detail.value = answer.value;
  }

  const openEvaluation = (evaluationId: number) => open(() => api().getEvaluation({ evaluationId }));

  /** A matrix cell: its evaluation, or the run's own test scores for the diagonal cells. */
  function openCell(cell: MatrixCell): Promise<void> {
    if (cell.evaluationId !== null) return openEvaluation(cell.evaluationId);
    return open(() => api().analyseRun({ runId: cell.runId, split: 'test' }));
  }

  /** Opens the folder (it must be readable as a dataset), scores the chosen run on it and opens the evaluation made. */
  async function evaluate(): Promise<void> {
    const row = await submit();
    if (!row) return;
    await Promise.all([refresh(), runs.refresh()]);
    await openEvaluation(row.id);
  }

  return {
    evaluations,
    matrix,
    loading,
    detail,
    detailLoading,
    runId,
    folder,
    split,
    checkpoint,
    cropFaces,
    evaluating,
    refresh,
    openEvaluation,
    openCell,
    evaluate,
  };
});
