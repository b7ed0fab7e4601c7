// The sweep form of the training screen: the models, learning rates and seeds to combine, the grid they make and the
// sweep request. The rest of a sweep's settings come from the new-run form, which it shares.
import { computed, reactive } from 'vue';
import type { SweepRequest, TrainRequest } from '../../main/api/contract';
import type { TrainForm } from './useTrainForm';

/** A comma-separated list of numbers; null when one is not a number, [] when empty. */
function numbers(text: string): number[] | null {
  const items = text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map(Number);
  return items.every((n) => Number.isFinite(n)) ? items : null;
}

/** `form` is the new-run form and `request` gives it as a request: the base every run of the sweep starts from. */
export function useSweepForm(form: TrainForm, request: () => TrainRequest) {
  const sweep = reactive({ models: [] as string[], lrs: '', seeds: '' });

  /** The sweep the forms ask for, and how many runs it makes (0 when a list is malformed). */
  const sweepGrid = computed(() => {
    const lrs = numbers(sweep.lrs);
    const seeds = numbers(sweep.seeds);
    const models = sweep.models.length ? sweep.models : form.model ? [form.model] : [];
    const runs = lrs && seeds ? models.length * Math.max(1, lrs.length) * Math.max(1, seeds.length) : 0;
    return { models, lrs: lrs ?? [], seeds: seeds ?? [], runs };
  });

  /** The forms as a sweep request: the new-run form's settings, with the listed values replacing the form's. */
  function sweepRequest(): SweepRequest {
    const { models, lrs, seeds } = sweepGrid.value;
    const { model: _model, ...base }: Partial<TrainRequest> & Pick<TrainRequest, 'dataset'> = request();
    // Listed values replace the form's; several models without rates each take their own default rate.
    if (lrs.length || models.length > 1) delete base.lr;
    if (seeds.length) delete base.seed;
    return { base, grid: { model: models, ...(lrs.length ? { lr: lrs } : {}), ...(seeds.length ? { seed: seeds } : {}) } };
  }

  return { sweep, sweepGrid, sweepRequest };
}
