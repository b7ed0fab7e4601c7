// One shard of a frozen-backbone run's feature extraction: the cache files its images' views need, so that workers
// build a large dataset's cache together before the run trains its head on it.
import { performance } from 'node:perf_hooks';
import { datasetsFromScan, FaceCropper, type FaceDataset, scanDataset } from '../data/index.js';
import { UnmaskError } from '../engine/errors.js';
import { initEngine } from '../engine/select.js';
import { modelEntry } from '../models/registry.js';
import { selfBlendViews, trainingViews, type ViewName } from '../train/feature-cache.js';
import { backboneBatch, type FeatureProgress } from '../train/features.js';
import { cachedTrunk } from '../train/frozen.js';
import { TRAIN_DEFAULTS } from '../train/request-schema.js';
import { splitModel } from '../train/model-split.js';
import { cutForUnfreeze } from '../train/recipe.js';
import type { TrainRequest } from '../train/request.js';
import { queuedFolder } from './requests.js';

export interface ShardOptions {
  /** A checked request (absolute dataset path) of a pretrained model trained on a frozen trunk. */
  request: TrainRequest;
  shard: { index: number; count: number };
  /** The feature cache root the run will read (`feature-cache/` of the artifact root). */
  cacheRoot: string;
  signal?: AbortSignal;
  onProgress?: (p: FeatureProgress) => void;
}

export interface ShardResult {
  /** Views pushed through the backbone, and views already in the cache. */
  computed: number;
  cached: number;
  seconds: number;
}

/** Every `count`-th image from `index` on: the shards of a split are disjoint and together hold all of it. */
function shardOf(dataset: FaceDataset, index: number, count: number): FaceDataset {
  return dataset.filter((_, i) => i % count === index);
}

/**
 * Writes the cache files that `prepareFrozen` (main/train/frozen.ts) reads for the shard's images: the same
 * trunk (the pretrained weights up to the run's cut), the same views per split — `featureViews` augmented
 * views of each training image (and as many self-blended pseudo-fakes of each real one with `selfBlend`), the
 * plain image (and its mirror with `ttaFlip`) for val and test. Files are keyed by image content and view, so
 * shards never collide and the run finds every view cached. Throws BAD_ARGUMENT for a run that has no frozen trunk.
 */
export async function extractFeatureShard(options: ShardOptions): Promise<ShardResult> {
  const started = performance.now();
  const { request, shard } = options;
  const entry = modelEntry(request.model);
  if (!entry.pretrained || request.freezeBackbone !== true || request.unfreezeBlocks === 'all') {
    throw new UnmaskError('BAD_ARGUMENT', `feature shards are for a pretrained model on a frozen trunk; ${request.model} here is trained whole`);
  }
  await initEngine();
  const sets = datasetsFromScan(await scanDataset(queuedFolder(request.dataset), { seed: request.seed }), {
    faceCropper: request.cropFaces ? new FaceCropper() : undefined,
  });
  const model = entry.create({ seed: request.seed });
  try {
    await entry.pretrained.load(model, { weights: request.weights });
    const cutLayer = cutForUnfreeze(entry, request.model, typeof request.unfreezeBlocks === 'number' ? request.unfreezeBlocks : 0);
    const trunk = cachedTrunk(
      model,
      splitModel(model, cutLayer),
      cutLayer,
      options.cacheRoot,
      backboneBatch(request.batchSize),
      options.signal,
      options.onProgress,
      {
        selfBlend: request.selfBlend != null,
      },
    );
    const views = request.featureViews ?? TRAIN_DEFAULTS.featureViews;
    const evalViews: ViewName[] = request.ttaFlip ? ['plain', 'flip'] : ['plain'];
    const reals = sets.train.filter((s) => s.label === 0, 'train-self-blend');
    const parts: [string, FaceDataset, ViewName[]][] = [
      ['train', sets.train, trainingViews(views, request.trainViews, request.augment)],
      ...(request.selfBlend ? [['train (self-blended)', reals, selfBlendViews(views)] as [string, FaceDataset, ViewName[]]] : []),
      ['val', sets.val, evalViews],
      ['test', sets.test, evalViews],
    ];
    let computed = 0;
    let cached = 0;
    for (const [name, dataset, partViews] of parts) {
      const mine = shardOf(dataset, shard.index, shard.count);
      if (mine.length === 0) continue;
      const result = await trunk.run(name, mine, partViews);
      computed += result.computed;
      cached += result.cached;
    }
    return { computed, cached, seconds: (performance.now() - started) / 1000 };
  } finally {
    model.dispose();
  }
}
