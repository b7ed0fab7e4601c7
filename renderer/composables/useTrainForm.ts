// The new-run form of the training screen: its fields (filled from the server's and the model's defaults), the rules
// that keep them consistent as the user edits, and the form as a training request.
import { computed, reactive, watch } from 'vue';
import type { RecipeOptions, RecommendedRecipe, TrainDefaults, TrainRequest } from '../../main/api/contract';
import { useAppStore } from '../stores/app';

/** The server's defaults ('' and 0 until they load) plus what only a form has: the datasets, the frozen-backbone switch and the recipe. */
export interface TrainForm extends Omit<TrainDefaults, 'model' | 'optimizer' | 'featureViews'> {
  model: TrainDefaults['model'] | '';
  optimizer: TrainDefaults['optimizer'] | '';
  /** The opened datasets to train on (one or several, trained on together). */
  dataset: string[];
  freezeBackbone: boolean;
  /** Recipe options beyond the baseline recipe; an unset field keeps the baseline's behaviour. */
  recipe: RecipeOptions;
}

/** The recipe as sent: empty fields dropped (unfreezing blocks replaces the frozen-backbone switch: see `request`). */
function recipeRequest(recipe: RecipeOptions): RecipeOptions {
  // A cleared number input gives '' (v-model.number), which means "not set".
  const set = (v: unknown) => v !== undefined && v !== '' && v !== null && !(typeof v === 'number' && Number.isNaN(v));
  const entries = Object.entries(recipe).filter(([, v]) => set(v));
  return Object.fromEntries(entries) as RecipeOptions;
}

export function useTrainForm() {
  const app = useAppStore();
  const form = reactive<TrainForm>({ dataset: [], model: '', optimizer: '', lr: 0, batchSize: 0, epochs: 0, seed: 0, freezeBackbone: true, recipe: {} });
  const modelInfo = computed(() => app.info?.models.find((m) => m.name === form.model) ?? null);

  /** Fills the form's blanks from the server's defaults (once AppInfo has loaded). */
  function applyDefaults(): void {
    const d = app.info?.defaults;
    if (!d || form.model) return;
    Object.assign(form, { model: d.model, optimizer: d.optimizer, lr: d.lr, batchSize: d.batchSize, epochs: d.epochs, seed: d.seed });
  }

  // A model's own learning rate and epochs replace the form's when the model changes (the user can still edit
  // them), and the recipe goes back to the baseline: its options depend on the model.
  watch(modelInfo, (model, previous) => {
    if (model && previous && model.name !== previous.name) Object.assign(form, model.trainDefaults, { recipe: {} });
  });

  // A closed-form (ridge) head is solved in one epoch on every view at once: the server refuses other counts, and batches to balance.
  watch(
    () => form.recipe.headFit,
    (fit) => {
      if (fit !== 'ridge') return;
      form.epochs = 1;
      form.recipe.balancedBatches = undefined;
    },
  );

  /** Fills the form with the model's recommended settings (optimizer, rate, epochs and recipe). */
  function applyRecommended(recommended: RecommendedRecipe): void {
    Object.assign(form, { optimizer: recommended.optimizer, lr: recommended.lr, epochs: recommended.epochs, recipe: { ...recommended.recipe } });
    if (recommended.recipe.unfreezeBlocks != null) form.freezeBackbone = recommended.recipe.unfreezeBlocks !== 'all';
  }

  /** The form as a request. */
  function request(): TrainRequest {
    return {
      // One folder is sent as itself, as before; several as the list.
      dataset: form.dataset.length === 1 ? form.dataset[0]! : [...form.dataset],
      model: form.model || undefined,
      optimizer: form.optimizer || undefined,
      lr: Number(form.lr),
      batchSize: Number(form.batchSize),
      epochs: Number(form.epochs),
      seed: Number(form.seed),
      ...(modelInfo.value?.pretrained && form.recipe.unfreezeBlocks == null ? { freezeBackbone: form.freezeBackbone } : {}),
      ...recipeRequest(form.recipe),
    };
  }

  return { form, modelInfo, applyDefaults, applyRecommended, request };
}
