// The image to explain: a dataset image (by path) or a dropped/chosen file (sent as base64, previewed from memory).
import { computed, ref } from 'vue';
import type { ImageSource } from '../../main/api/contract';
import { useAppStore } from '../stores/app';

/** Reads a dropped or chosen file as base64 (without the data: prefix). */
function readBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(reader.error ?? new Error(`Cannot read ${file.name}`));
    reader.readAsDataURL(file);
  });
}

export function useExplainImage() {
  const app = useAppStore();
  const image = ref<ImageSource | null>(null);
  /** Preview of a dropped file (dataset images preview through the thumbnail cache). */
  const filePreview = ref<string | null>(null);
  const imageLabel = computed(() => {
    const img = image.value;
    if (!img) return '';
    return 'path' in img ? img.path : (img.name ?? 'dropped image');
  });

  function choosePath(path: string): void {
    image.value = { path };
    filePreview.value = null;
  }

  /** Reads the file and chooses it; false (the image unchanged) when it could not be read: the banner says why. */
  async function chooseFile(file: File): Promise<boolean> {
    const base64 = await app.attempt(() => readBase64(file));
    if (base64 === undefined) return false;
    image.value = { base64, name: file.name };
    filePreview.value = `data:${file.type || 'image/png'};base64,${base64}`;
    return true;
  }

  return { image, filePreview, imageLabel, choosePath, chooseFile };
}
