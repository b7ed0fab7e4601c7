// Evaluations: scoring a run on a folder, the stored evaluations, the cross-dataset matrix, and the one opened from it.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { AnalysisResult, CheckpointKind, EvaluationDetail, EvaluationRow, EvaluationSplit, MatrixCell, MatrixResult } from '../../main/api/contract';
import { api } from '../api';
import { useAppStore } from './app';
import { useRunsStore } from './runs';

export const useEvaluationsStore = defineStore('evaluations', () => {
  const app = useAppStore();
  const runs = useRunsStore();
  const evaluations = ref<EvaluationRow[]>([]);
  const matrix = ref<MatrixResult | null>(null);
  const loading = ref(false);
  /** What a matrix cell or a row opened: an evaluation, or a run's own test scores. */
  const detail = ref<EvaluationDetail | AnalysisResult | null>(null);
  const detailLoading = ref(false);
  /** The evaluate form. */
  const runId = ref<number | null>(null);
  const folder = ref('');
  /** '' = the default: every image of a folder the run was not trained on, its test split on its own. */
  const split = ref<EvaluationSplit | ''>('');
  const checkpoint = ref<CheckpointKind>('best');
  /** Score each image's largest face (raw photos). */
  const cropFaces = ref(false);
  const evaluating = ref(false);
  let request = 0;

  async function refresh(): Promise<void> {
    loading.value = true;
    const [list, next] = await Promise.all([app.attempt(() => api().listEvaluations({})), app.attempt(() => api().crossDatasetMatrix({}))]);
    loading.value = false;
    if (list) evaluations.value = list;
    if (next) matrix.value = next;
  }

  async function open(task: () => Promise<EvaluationDetail | AnalysisResult>): Promise<void> {
    const mine = ++request;
    detailLoading.value = true;
    const next = await app.attempt(task);
    if (mine !== request) return;
    detailLoading.value = false;
    if (next) detail.value = next;
  }

  const openEvaluation = (evaluationId: number) => open(() => api().getEvaluation({ evaluationId }));

  /** A matrix cell: its evaluation, or the run's own test scores for the diagonal cells. */
  function openCell(cell: MatrixCell): Promise<void> {
    if (cell.evaluationId !== null) return openEvaluation(cell.evaluationId);
    return open(() => api().analyseRun({ runId: cell.runId, split: 'test' }));
  }

  /** Opens the folder (it must be readable as a dataset) and scores the chosen run on it. */
  async function evaluate(): Promise<void> {
    const path = folder.value.trim();
    if (runId.value === null || !path) return;
    evaluating.value = true;
    const id = runId.value;
    const row = await app.attempt(async () => {
      const dataset = await api().openDataset({ path });
      return api().evaluateRun({ runId: id, dataset: dataset.path, checkpoint: checkpoint.value, ...(split.value ? { split: split.value } : {}), ...(cropFaces.value ? { cropFaces: true } : {}) });
    });
    evaluating.value = false;
    if (!row) return;
    await Promise.all([refresh(), runs.refresh()]);
    await openEvaluation(row.id);
  }

  return {
    evaluations, matrix, loading, detail, detailLoading, runId, folder, split, checkpoint, cropFaces, evaluating,
    refresh, openEvaluation, openCell, evaluate,
  };
});
