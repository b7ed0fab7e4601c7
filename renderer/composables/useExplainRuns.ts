// The run(s) an explanation is made under and the layer chosen for the first: choosing a run fetches its choices (layers
// and default layer) and moves the layer to that default when the chosen one is not one of the run's own.
import { ref } from 'vue';
import { useExplainChoices } from './useExplainChoices';

export function useExplainRuns() {
  const runId = ref<number | null>(null);
  const secondRunId = ref<number | null>(null);
  /** The layer chosen for the first run; it is only ever sent when it is one of that run's layers. */
  const layer = ref('');
  /** Each run's layers and default layer (fetched once per run), and the first run's for the layer menu. */
  const { choices, choicesFor } = useExplainChoices(runId);

  async function setRun(id: number | null): Promise<void> {
    runId.value = id;
    if (id === null) return;
    const next = await choicesFor(id);
    if (runId.value !== id || !next) return;
    if (!next.layers.includes(layer.value)) layer.value = next.defaultLayer;
  }

  return { runId, secondRunId, layer, choices, choicesFor, setRun };
}
