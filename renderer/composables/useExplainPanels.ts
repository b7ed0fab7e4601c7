// The explanation panels (one per run, two side by side when comparing) and the pass that fills them. A pass that a
// newer one overtook (another image, run or method chosen meanwhile) stops, so its results never land in the new panels.
import { ref, type Ref } from 'vue';
import type { ExplainChoices, ExplainResult, ImageSource } from '../../main/api/contract';
import { api } from '../api';
import { useAppStore } from '../stores/app';
import { useLatestRequest } from './useLatestRequest';

export interface ExplainPanel {
  runId: number;
  result: ExplainResult | null;
  loading: boolean;
}

/** What the panels need from the explain store; read when each run's turn comes, as the store holds them then. */
export interface PanelSettings {
  choicesFor: (runId: number) => Promise<ExplainChoices | undefined>;
  /** The layer chosen for the first run. */
  layer: Ref<string>;
  cropFaces: Ref<boolean>;
}

/**
 * The layer to send for a run with choices `own`: the chosen layer where it is one of that run's own layers (a run of the same
 * model as the first), else that run's default. Never a layer of another run, however fast the run changes.
 */
function layerFor(own: ExplainChoices, chosen: string): string {
  return own.layers.includes(chosen) ? chosen : own.defaultLayer;
}

export function useExplainPanels({ choicesFor, layer, cropFaces }: PanelSettings) {
  const app = useAppStore();
  const panels = ref<ExplainPanel[]>([]);
  const requests = useLatestRequest();

  /** Explains `img` under each of `ids` with `method` (a CAM method with each run's own layer), one panel per run. */
  async function explainUnder(img: ImageSource, ids: number[], method: string, isCam: boolean): Promise<void> {
    const ticket = requests.begin();
    panels.value = ids.map((id) => ({ runId: id, result: null, loading: true }));
    // One after the other: both share the main side's engine, and the first result shows sooner.
    for (const [i, id] of ids.entries()) {
      const own = isCam ? await choicesFor(id) : undefined;
      if (!requests.isCurrent(ticket)) return;
      const withLayer = own ? { layer: layerFor(own, layer.value) } : {};
      const result =
        isCam && !own
          ? undefined
          : await app.attempt(() => api().explainImage({ runId: id, image: img, method, ...withLayer, ...(cropFaces.value ? { cropFaces: true } : {}) }));
      if (!requests.isCurrent(ticket)) return;
      panels.value = panels.value.map((p, j) => (j === i ? { ...p, result: result ?? null, loading: false } : p));
    }
  }

  return { panels, explainUnder };
}
