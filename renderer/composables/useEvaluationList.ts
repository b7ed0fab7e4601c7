// The stored evaluations and the cross-dataset matrix made from them, refreshed together: a new evaluation changes both.
import { ref } from 'vue';
import type { EvaluationRow, MatrixResult } from '../../main/api/contract';
import { api } from '../api';
import { useAppStore } from '../stores/app';

export function useEvaluationList() {
  const app = useAppStore();
  const evaluations = ref<EvaluationRow[]>([]);
  const matrix = ref<MatrixResult | null>(null);
  const loading = ref(false);

  async function refresh(): Promise<void> {
    loading.value = true;
    const [list, next] = await Promise.all([app.attempt(() => api().listEvaluations({})), app.attempt(() => api().crossDatasetMatrix({}))]);
    loading.value = false;
    if (list) evaluations.value = list;
    if (next) matrix.value = next;
  }

  return { evaluations, matrix, loading, refresh };
}
