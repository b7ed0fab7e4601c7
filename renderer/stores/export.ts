// Exports: one chart as an SVG/PNG download (or a table as CSV), and the whole report of several runs written to a folder.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ChartOption, ExportReportResult, FigureFormat, SplitName } from '../../main/api/contract';
import { api } from '../api';
import { useAppStore } from './app';

/** Saves bytes as a file through a temporary blob: link (works in the browser and in Electron). */
function download(base64: string, mime: string, fileName: string): void {
  saveBlob(new Blob([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], { type: mime }), fileName);
}

function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const useExportStore = defineStore('export', () => {
  const app = useAppStore();
  /** `${fileName}.${format}` of each download in progress. */
  const rendering = ref<string[]>([]);
  const runIds = ref<number[]>([]);
  const out = ref('');
  const split = ref<SplitName>('test');
  const formats = ref<FigureFormat[]>(['svg', 'png']);
  const writing = ref(false);
  const report = ref<ExportReportResult | null>(null);

  /**
   * Renders `option` on the main side (legends and labels included) at `size` (default the figures' 900 × 560)
   * and downloads it as `fileName.format`.
   */
  async function downloadChart(option: ChartOption, format: FigureFormat, fileName: string, size?: { width: number; height: number }): Promise<void> {
    const name = `${fileName}.${format}`;
    rendering.value = [...rendering.value, name];
    const image = await app.attempt(() => api().renderChart({ option, format, ...(size ?? {}) }));
    rendering.value = rendering.value.filter((n) => n !== name);
    if (image) download(image.base64, image.mime, name);
  }

  /** Downloads text (a CSV table) as `fileName`. */
  function downloadText(text: string, mime: string, fileName: string): void {
    saveBlob(new Blob([text], { type: mime }), fileName);
  }

  function toggleRun(id: number): void {
    runIds.value = runIds.value.includes(id) ? runIds.value.filter((x) => x !== id) : [...runIds.value, id];
  }

  async function exportReport(): Promise<void> {
    if (runIds.value.length === 0 || !out.value.trim() || formats.value.length === 0) return;
    writing.value = true;
    report.value =
      (await app.attempt(() =>
        api().exportReport({
          runIds: [...runIds.value].sort((a, b) => a - b),
          out: out.value.trim(),
          split: split.value,
          formats: formats.value,
        }),
      )) ?? null;
    writing.value = false;
  }

  return { rendering, runIds, out, split, formats, writing, report, downloadChart, downloadText, toggleRun, exportReport };
});
