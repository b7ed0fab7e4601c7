// The evaluate form of the evaluations screen: the run, the folder to score it on and how, and submitting it. Kept apart
// from the stored evaluations and the matrix, which only need the row the submission made.
import { ref } from 'vue';
import type { CheckpointKind, EvaluationRow, EvaluationSplit } from '../../main/api/contract';
import { api } from '../api';
import { useAppStore } from '../stores/app';

export function useEvaluateForm() {
  const app = useAppStore();
  const runId = ref<number | null>(null);
  const folder = ref('');
  /** '' = the default: every image of a folder the run was not trained on, its test split on its own. */
  const split = ref<EvaluationSplit | ''>('');
  const checkpoint = ref<CheckpointKind>('best');
  /** Score each image's largest face (raw photos). */
  const cropFaces = ref(false);
  const evaluating = ref(false);

  /**
   * Opens the folder (it must be readable as a dataset) and scores the chosen run on it; undefined when the form is
   * incomplete or a step failed (the banner says why).
   */
  async function submit(): Promise<EvaluationRow | undefined> {
    const path = folder.value.trim();
    if (runId.value === null || !path) return undefined;
    evaluating.value = true;
    const id = runId.value;
    const row = await app.attempt(async () => {
      const dataset = await api().openDataset({ path });
      return api().evaluateRun({
        runId: id,
        dataset: dataset.path,
        checkpoint: checkpoint.value,
        ...(split.value ? { split: split.value } : {}),
        ...(cropFaces.value ? { cropFaces: true } : {}),
      });
    });
    evaluating.value = false;
    return row;
  }

  return { runId, folder, split, checkpoint, cropFaces, evaluating, submit };
}
