// The explanation method: the chosen name, what AppInfo says of it (its kind: CAM methods take a layer), and falling
// back to AppInfo's default method while the chosen one is not one it lists.
import { computed, ref } from 'vue';
import { useAppStore } from '../stores/app';

export function useExplainMethod() {
  const app = useAppStore();
  /** '' until AppInfo names the default method. */
  const method = ref('');
  const methodInfo = computed(() => app.info?.explainMethods.find((m) => m.name === method.value) ?? null);

  /** Chooses AppInfo's default method when the chosen one is not among its methods (nothing before AppInfo has loaded). */
  function ensureMethod(): void {
    const methods = app.info?.explainMethods ?? [];
    if (methods.length > 0 && !methods.some((m) => m.name === method.value)) method.value = app.info!.defaultExplainMethod;
  }

  return { method, methodInfo, ensureMethod };
}
