// Each run's explanation choices (its layers and default layer), fetched once per run and shared by every caller: the
// layer menu, and each panel of an explanation, ask for the same run's choices at about the same time.
import { computed, ref, type Ref } from 'vue';
import type { ExplainChoices } from '../../main/api/contract';
import { api } from '../api';
import { useAppStore } from '../stores/app';

/** The choices of any run, and of `runId` (the first run of the explain screen). */
export function useExplainChoices(runId: Ref<number | null>) {
  const app = useAppStore();
  const choicesByRun = ref(new Map<number, ExplainChoices>());
  /** Fetches in flight, so that callers asking at once share one. */
  const loadingChoices = new Map<number, Promise<ExplainChoices | undefined>>();

  /** The first run's choices (null while they load): the layer menu shows these. */
  const choices = computed(() => (runId.value === null ? null : (choicesByRun.value.get(runId.value) ?? null)));

  /** A run's choices, from the cache or fetched (undefined when the fetch failed: the banner says why). */
  function choicesFor(id: number): Promise<ExplainChoices | undefined> {
    const known = choicesByRun.value.get(id);
    if (known) return Promise.resolve(known);
    let loading = loadingChoices.get(id);
    if (!loading) {
      loading = app
        .attempt(() => api().explainChoices({ runId: id }))
        .then((c) => {
          loadingChoices.delete(id);
          if (c) choicesByRun.value = new Map(choicesByRun.value).set(id, c);
          return c;
        });
      loadingChoices.set(id, loading);
    }
    return loading;
  }

  return { choices, choicesFor };
}
