// How a pretrained model's backbone is trained: request checks, the frozen-by-default rule, and what a run records.
import path from 'node:path';
import { modelEntry, type ModelName } from '../models/registry.js';
import type { TrainParams } from '../store/index.js';
import { DEFAULT_FEATURE_VIEWS } from './frozen.js';
import type { TrainRequest } from './session.js';

/** The pretrained-backbone fields of a request, checked against what the model offers. */
export function pretrainedOptions(
  model: ModelName,
  r: Partial<TrainRequest>,
  bad: (message: string) => never,
  positive: (name: string, v: number | undefined, fallback: number, integer: boolean) => number,
): Partial<TrainRequest> {
  if (!modelEntry(model).pretrained) {
    if (r.freezeBackbone === true) bad(`${model} has no pretrained backbone to freeze`);
    if (r.weights != null) bad(`${model} takes no pretrained weights (--weights)`);
    return {};
  }
  const pretrained = r.pretrained ?? true;
  const frozenOnly = modelEntry(model).frozenOnly;
  if (frozenOnly && (r.freezeBackbone === false || !pretrained)) bad(`${model} trains with its ImageNet backbone frozen: ${frozenOnly}`);
  if (r.freezeBackbone === true && !pretrained) bad('--freeze-backbone needs the pretrained backbone (drop --no-pretrained)');
  if (r.weights != null && !pretrained) bad('--weights and --no-pretrained contradict each other');
  return {
    pretrained,
    ...(r.weights != null ? { weights: path.resolve(r.weights) } : {}),
    ...(r.freezeBackbone != null ? { freezeBackbone: r.freezeBackbone } : {}),
    featureViews: positive('feature views', r.featureViews, DEFAULT_FEATURE_VIEWS, true),
  };
}

/** Frozen by default where full fine-tuning is slow: a pretrained backbone on any CPU engine (all but gpu). */
export function resolveFreeze(request: TrainRequest, engine: string): { freeze: boolean; why: string } {
  if (!request.pretrained) return { freeze: false, why: modelEntry(request.model).pretrained ? 'from scratch (--no-pretrained)' : 'from scratch' };
  if (request.freezeBackbone != null) {
    return request.freezeBackbone
      ? { freeze: true, why: 'frozen ImageNet backbone (--freeze-backbone): the head trains on cached features' }
      : { freeze: false, why: 'full fine-tuning of the ImageNet backbone (--no-freeze-backbone)' };
  }
  if (modelEntry(request.model).frozenOnly) return { freeze: true, why: 'frozen ImageNet backbone (the only way this model trains): the head trains on cached features' };
  const cpu = engine !== 'gpu';
  return cpu
    ? { freeze: true, why: `frozen ImageNet backbone (default on the ${engine} engine; --no-freeze-backbone fine-tunes everything): the head trains on cached features` }
    : { freeze: false, why: `full fine-tuning of the ImageNet backbone (default on the ${engine} engine)` };
}

/** Keys added to a pretrained model's run params (`resume` reads them back). */
export function backboneParams(request: TrainRequest, source: string): Partial<TrainParams> {
  return {
    pretrained: request.pretrained,
    pretrainedSource: request.pretrained ? (request.weights ?? source) : null,
    freezeBackbone: request.freezeBackbone,
    ...(request.weights ? { weights: request.weights } : {}),
    ...(request.freezeBackbone ? { featureViews: request.featureViews } : {}),
  };
}

/** The start line of a resumed run: it trains as recorded when it started. */
export function resumedMode(request: TrainRequest): string | undefined {
  if (!modelEntry(request.model).pretrained) return undefined;
  if (request.freezeBackbone) return 'frozen ImageNet backbone, as the run started: the head trains on cached features';
  return `${request.pretrained ? 'full fine-tuning of the ImageNet backbone' : 'from scratch'}, as the run started`;
}
