// Training: the new-run form, the job list kept live from 'job' events, start and cancel; other events routed on.
import { defineStore } from 'pinia';
import { computed, reactive, ref, watch } from 'vue';
import type { ApiEvent, JobInfo, RecipeOptions, RecommendedRecipe, TrainDefaults, TrainRequest } from '../../main/api/contract';
import { api } from '../api';
import { useAppStore } from './app';
import { useDatasetsStore } from './datasets';
import { useRunsStore } from './runs';

/** The server's defaults ('' and 0 until they load) plus what only a form has: the dataset, the frozen-backbone switch and the recipe. */
export interface TrainForm extends Omit<TrainDefaults, 'model' | 'optimizer' | 'featureViews'> {
  model: TrainDefaults['model'] | '';
  optimizer: TrainDefaults['optimizer'] | '';
  dataset: string;
  freezeBackbone: boolean;
  /** Recipe options beyond the baseline recipe; an unset field keeps the baseline's behaviour. */
  recipe: RecipeOptions;
}

const ACTIVE = new Set(['queued', 'running']);

export const useJobsStore = defineStore('jobs', () => {
  const app = useAppStore();
  const jobs = ref<JobInfo[]>([]);
  const starting = ref(false);
  const form = reactive<TrainForm>({ dataset: '', model: '', optimizer: '', lr: 0, batchSize: 0, epochs: 0, seed: 0, freezeBackbone: true, recipe: {} });
  /** The sweep form: the models, learning rates and seeds to combine (the rest of the form is shared). */
  const sweep = reactive({ models: [] as string[], lrs: '', seeds: '' });
  let unsubscribe: (() => void) | null = null;

  const active = computed(() => jobs.value.filter((j) => ACTIVE.has(j.state)));
  const finished = computed(() => jobs.value.filter((j) => !ACTIVE.has(j.state)));
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

  // A closed-form (ridge) head is solved in one epoch: the server refuses any other count.
  watch(
    () => form.recipe.headFit,
    (fit) => {
      if (fit === 'ridge') form.epochs = 1;
    },
  );

  /** Fills the form with the model's recommended settings (optimizer, rate, epochs and recipe). */
  function applyRecommended(recommended: RecommendedRecipe): void {
    Object.assign(form, { optimizer: recommended.optimizer, lr: recommended.lr, epochs: recommended.epochs, recipe: { ...recommended.recipe } });
    if (recommended.recipe.unfreezeBlocks != null) form.freezeBackbone = recommended.recipe.unfreezeBlocks !== 'all';
  }

  /** The recipe as sent: empty fields dropped; unfreezing blocks replaces the frozen-backbone switch. */
  function recipeRequest(): RecipeOptions {
    // A cleared number input gives '' (v-model.number), which means "not set".
    const set = (v: unknown) => v !== undefined && v !== '' && v !== null && !(typeof v === 'number' && Number.isNaN(v));
    const entries = Object.entries(form.recipe).filter(([, v]) => set(v));
    return Object.fromEntries(entries) as RecipeOptions;
  }

  /** A listJobs snapshot can be older than an event that overtook it: keep whichever has got further. */
  function staleAgainst(job: JobInfo): boolean {
    const known = jobs.value.find((j) => j.id === job.id);
    if (!known) return false;
    const rank = (j: JobInfo) => (j.state === 'queued' ? 0 : j.state === 'running' ? 1 : 2);
    if (rank(known) !== rank(job)) return rank(known) > rank(job);
    if (known.epochs.length !== job.epochs.length) return known.epochs.length > job.epochs.length;
    return known.progress.fraction > job.progress.fraction;
  }

  function upsert(job: JobInfo): void {
    const rest = jobs.value.filter((j) => j.id !== job.id);
    jobs.value = [...rest, job].sort((a, b) => b.id - a.id);
  }

  function onEvent(event: ApiEvent): void {
    if (event.type === 'job') upsert(event.job);
    else if (event.type === 'runs-changed') void useRunsStore().refresh();
    else if (event.type === 'dataset-opened') useDatasetsStore().received(event.dataset);
  }

  /** Loads the job list and subscribes to live events (idempotent). */
  async function connect(): Promise<void> {
    unsubscribe ??= api().onEvent(onEvent);
    const list = await app.attempt(() => api().listJobs());
    if (list) for (const job of list) if (!staleAgainst(job)) upsert(job);
  }

  function disconnect(): void {
    unsubscribe?.();
    unsubscribe = null;
  }

  /** A comma-separated list of numbers; null when one is not a number, [] when empty. */
  function numbers(text: string): number[] | null {
    const items = text.split(',').map((x) => x.trim()).filter(Boolean).map(Number);
    return items.every((n) => Number.isFinite(n)) ? items : null;
  }

  /** The sweep the forms ask for, and how many runs it makes (0 when a list is malformed). */
  const sweepGrid = computed(() => {
    const lrs = numbers(sweep.lrs);
    const seeds = numbers(sweep.seeds);
    const models = sweep.models.length ? sweep.models : form.model ? [form.model] : [];
    const runs = lrs && seeds ? models.length * Math.max(1, lrs.length) * Math.max(1, seeds.length) : 0;
    return { models, lrs: lrs ?? [], seeds: seeds ?? [], runs };
  });

  async function startSweep(): Promise<void> {
    const { models, lrs, seeds } = sweepGrid.value;
    const { model: _model, ...base }: Partial<TrainRequest> & { dataset: string } = request();
    // Listed values replace the form's; several models without rates each take their own default rate.
    if (lrs.length || models.length > 1) delete base.lr;
    if (seeds.length) delete base.seed;
    starting.value = true;
    const started = await app.attempt(() =>
      api().startSweep({ base, grid: { model: models, ...(lrs.length ? { lr: lrs } : {}), ...(seeds.length ? { seed: seeds } : {}) } }),
    );
    starting.value = false;
    for (const job of started?.jobs ?? []) upsert(job);
  }

  /** The form as a request. */
  function request(): TrainRequest {
    return {
      dataset: form.dataset,
      model: form.model || undefined,
      optimizer: form.optimizer || undefined,
      lr: Number(form.lr),
      batchSize: Number(form.batchSize),
      epochs: Number(form.epochs),
      seed: Number(form.seed),
      ...(modelInfo.value?.pretrained && form.recipe.unfreezeBlocks == null ? { freezeBackbone: form.freezeBackbone } : {}),
      ...recipeRequest(),
    };
  }

  async function start(): Promise<JobInfo | undefined> {
    const body = request();
    starting.value = true;
    const job = await app.attempt(() => api().startTraining(body));
    starting.value = false;
    if (job) upsert(job);
    return job;
  }

  async function cancel(jobId: number): Promise<void> {
    const job = await app.attempt(() => api().cancelJob({ jobId }));
    if (job) upsert(job);
  }

  return { jobs, form, sweep, sweepGrid, starting, active, finished, modelInfo, applyDefaults, applyRecommended, connect, disconnect, start, startSweep, cancel };
});
