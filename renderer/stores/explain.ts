// Explanations: the chosen image, run(s), method and layer, and the overlay results (one run or two side by side).
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { useExplainImage } from '../composables/useExplainImage';
import { useExplainMethod } from '../composables/useExplainMethod';
import { useExplainPanels } from '../composables/useExplainPanels';
import { useExplainRuns } from '../composables/useExplainRuns';
import { useRunsStore } from './runs';

export type { ExplainPanel } from '../composables/useExplainPanels';

export const useExplainStore = defineStore('explain', () => {
  const runs = useRunsStore();
  const { method, methodInfo, ensureMethod } = useExplainMethod();
  /** Explain the image's largest face (raw photos); a run trained on face crops always does. */
  const cropFaces = ref(false);
  const { runId, secondRunId, layer, choices, choicesFor, setRun } = useExplainRuns();
  const { image, filePreview, imageLabel, choosePath, chooseFile } = useExplainImage();
  const { panels, explainUnder } = useExplainPanels({ choicesFor, layer, cropFaces });

  /** Defaults the method, and the run to the newest completed one, so clicking an image anywhere can explain at once. */
  function ensureRun(): void {
    ensureMethod();
    if (runId.value === null && runs.completed[0]) void setRun(runs.completed[0].id);
  }

  /** Chooses a dataset image and explains it straight away when a run is chosen. */
  async function pickPath(path: string, forRun?: number): Promise<void> {
    choosePath(path);
    if (forRun !== undefined && forRun !== runId.value) await setRun(forRun);
    ensureRun();
    if (runId.value !== null) await explain();
  }

  async function pickFile(file: File): Promise<void> {
    if (!(await chooseFile(file))) return;
    if (runId.value !== null) await explain();
  }

  /** Explains the image under the run (and the second run, if any) with the chosen method, each run with its own layer. */
  async function explain(): Promise<void> {
    const img = image.value;
    const first = runId.value;
    if (!img || first === null) return;
    const ids = secondRunId.value !== null && secondRunId.value !== first ? [first, secondRunId.value] : [first];
    await explainUnder(img, ids, method.value, methodInfo.value?.kind === 'cam');
  }

  return {
    runId,
    secondRunId,
    method,
    cropFaces,
    layer,
    image,
    filePreview,
    choices,
    panels,
    methodInfo,
    imageLabel,
    ensureRun,
    setRun,
    pickPath,
    pickFile,
    explain,
  };
});
