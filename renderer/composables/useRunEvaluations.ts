// The evaluations of the run the analysis screen shows (its scorings of other folders, splits or checkpoints): listing
// them, and showing one in place of the run's own scores. Kept apart from the own-scores side of the analysis store,
// with which it shares the shown result and the request sequence.
import { ref, type Ref } from 'vue';
import type { AnalysisResult, EvaluationDetail, EvaluationRow } from '../../main/api/contract';
import { api } from '../api';
import { useAppStore } from '../stores/app';
import type { LatestRequest } from './useLatestRequest';

/** What the analysis screen shows, shared with the store that owns it. */
export interface ShownAnalysis {
  runId: Ref<number | null>;
  /** The run's own split analysed, or (evaluationId set) one of its evaluations. */
  result: Ref<AnalysisResult | EvaluationDetail | null>;
  evaluationId: Ref<number | null>;
  loading: Ref<boolean>;
  /** One sequence for own scores and evaluations: whichever the user asked for last is the one shown. */
  requests: LatestRequest;
}

export function useRunEvaluations({ runId, result, evaluationId, loading, requests }: ShownAnalysis) {
  const app = useAppStore();
  const evaluations = ref<EvaluationRow[]>([]);

  /** Lists `id`'s evaluations; a list that arrives once another run is shown is dropped. */
  async function loadEvaluations(id: number): Promise<void> {
    const list = await app.attempt(() => api().listEvaluations({ runId: id }));
    if (runId.value === id) evaluations.value = list ?? [];
  }

  /** Shows one of the run's evaluations instead of its own scores (following it to its run when that is another). */
  async function showEvaluation(id: number): Promise<void> {
    const ticket = requests.begin();
    evaluationId.value = id;
    const answer = await requests.load(loading, () => api().getEvaluation({ evaluationId: id }), ticket);
    if (!answer.current || !answer.value) return;
    const next = answer.value;
    if (next.runId !== runId.value) {
      runId.value = next.runId;
      void loadEvaluations(next.runId);
    }
    result.value = next;
  }

  return { evaluations, loadEvaluations, showEvaluation };
}
