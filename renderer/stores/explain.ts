// Explanations: the chosen image, run(s), method and layer, and the overlay results (one run or two side by side).
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ExplainChoices, ExplainResult, ImageSource } from '../../main/api/contract';
import { api } from '../api';
import { useAppStore } from './app';
import { useRunsStore } from './runs';

export interface ExplainPanel {
  runId: number;
  result: ExplainResult | null;
  loading: boolean;
}

/** Reads a dropped or chosen file as base64 (without the data: prefix). */
function readBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(reader.error ?? new Error(`Cannot read ${file.name}`));
    reader.readAsDataURL(file);
  });
}

export const useExplainStore = defineStore('explain', () => {
  const app = useAppStore();
  const runs = useRunsStore();
  const runId = ref<number | null>(null);
  const secondRunId = ref<number | null>(null);
  /** '' until AppInfo names the default method. */
  const method = ref('');
  /** Explain the image's largest face (raw photos); a run trained on face crops always does. */
  const cropFaces = ref(false);
  /** The layer chosen for the first run; it is only ever sent when it is one of that run's layers. */
  const layer = ref('');
  const image = ref<ImageSource | null>(null);
  /** Preview of a dropped file (dataset images preview through the thumbnail cache). */
  const filePreview = ref<string | null>(null);
  /** Each run's layers and default layer, fetched once per run. */
  const choicesByRun = ref(new Map<number, ExplainChoices>());
  const loadingChoices = new Map<number, Promise<ExplainChoices | undefined>>();
  const panels = ref<ExplainPanel[]>([]);
  let request = 0;

  const methodInfo = computed(() => app.info?.explainMethods.find((m) => m.name === method.value) ?? null);
  /** The first run's choices (null while they load): the layer menu shows these. */
  const choices = computed(() => (runId.value === null ? null : (choicesByRun.value.get(runId.value) ?? null)));
  const imageLabel = computed(() => {
    const img = image.value;
    if (!img) return '';
    return 'path' in img ? img.path : (img.name ?? 'dropped image');
  });

  /** A run's choices, from the cache or fetched (undefined when the fetch failed: the banner says why). */
  function choicesFor(id: number): Promise<ExplainChoices | undefined> {
    const known = choicesByRun.value.get(id);
    if (known) return Promise.resolve(known);
    let loading = loadingChoices.get(id);
    if (!loading) {
      loading = app.attempt(() => api().explainChoices({ runId: id })).then((c) => {
        loadingChoices.delete(id);
        if (c) choicesByRun.value = new Map(choicesByRun.value).set(id, c);
        return c;
      });
      loadingChoices.set(id, loading);
    }
    return loading;
  }

  /** Defaults the run to the newest completed one, so clicking an image anywhere can explain at once. */
  function ensureRun(): void {
    const methods = app.info?.explainMethods ?? [];
    if (methods.length > 0 && !methods.some((m) => m.name === method.value)) method.value = app.info!.defaultExplainMethod;
    if (runId.value === null && runs.completed[0]) void setRun(runs.completed[0].id);
  }

  async function setRun(id: number | null): Promise<void> {
    runId.value = id;
    if (id === null) return;
    const next = await choicesFor(id);
    if (runId.value !== id || !next) return;
    if (!next.layers.includes(layer.value)) layer.value = next.defaultLayer;
  }

  /**
   * The layer to send for a run with choices `own`: the chosen layer where it is one of that run's own layers (a run of the same
   * model as the first), else that run's default. Never a layer of another run, however fast the run changes.
   */
  function layerFor(own: ExplainChoices): string {
    return own.layers.includes(layer.value) ? layer.value : own.defaultLayer;
  }

  /** Chooses a dataset image and explains it straight away when a run is chosen. */
  async function pickPath(path: string, forRun?: number): Promise<void> {
    image.value = { path };
    filePreview.value = null;
    if (forRun !== undefined && forRun !== runId.value) await setRun(forRun);
    ensureRun();
    if (runId.value !== null) await explain();
  }

  async function pickFile(file: File): Promise<void> {
    const base64 = await app.attempt(() => readBase64(file));
    if (base64 === undefined) return;
    image.value = { base64, name: file.name };
    filePreview.value = `data:${file.type || 'image/png'};base64,${base64}`;
    if (runId.value !== null) await explain();
  }

  /** Explains the image under the run (and the second run, if any) with the chosen method, each run with its own layer. */
  async function explain(): Promise<void> {
    const img = image.value;
    const first = runId.value;
    if (!img || first === null) return;
    const mine = ++request;
    const ids = secondRunId.value !== null && secondRunId.value !== first ? [first, secondRunId.value] : [first];
    const chosenMethod = method.value;
    const isCam = methodInfo.value?.kind === 'cam';
    panels.value = ids.map((id) => ({ runId: id, result: null, loading: true }));
    // One after the other: both share the main side's engine, and the first result shows sooner.
    for (const [i, id] of ids.entries()) {
      const own = isCam ? await choicesFor(id) : undefined;
      if (mine !== request) return;
      const withLayer = own ? { layer: layerFor(own) } : {};
      const result = isCam && !own ? undefined : await app.attempt(() => api().explainImage({ runId: id, image: img, method: chosenMethod, ...withLayer, ...(cropFaces.value ? { cropFaces: true } : {}) }));
      if (mine !== request) return;
      panels.value = panels.value.map((p, j) => (j === i ? { ...p, result: result ?? null, loading: false } : p));
    }
  }

  return {
    runId, secondRunId, method, cropFaces, layer, image, filePreview, choices, panels, methodInfo, imageLabel,
    ensureRun, setRun, pickPath, pickFile, explain,
  };
});
