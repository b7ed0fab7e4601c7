// How a pretrained model's backbone is trained: the frozen-by-default rule, and what a run records of it.
import { modelEntry } from '../models/registry.js';
import type { TrainParams } from '../store/index.js';
import type { TrainRequest } from './request.js';

/** Frozen by default where full fine-tuning is slow: a pretrained backbone on any CPU engine (all but gpu). */
export function resolveFreeze(request: TrainRequest, engine: string): { freeze: boolean; why: string } {
  if (!request.pretrained) return { freeze: false, why: modelEntry(request.model).pretrained ? 'from scratch (--no-pretrained)' : 'from scratch' };
  if (request.freezeBackbone != null) {
    return request.freezeBackbone
      ? { freeze: true, why: 'frozen ImageNet backbone (--freeze-backbone): the head trains on cached features' }
      : { freeze: false, why: 'full fine-tuning of the ImageNet backbone (--no-freeze-backbone)' };
  }
  if (modelEntry(request.model).frozenOnly)
    return { freeze: true, why: 'frozen ImageNet backbone (the only way this model trains): the head trains on cached features' };
  const cpu = engine !== 'gpu';
  return cpu
    ? {
        freeze: true,
        why: `frozen ImageNet backbone (default on the ${engine} engine; --no-freeze-backbone fine-tunes everything): the head trains on cached features`,
      }
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
