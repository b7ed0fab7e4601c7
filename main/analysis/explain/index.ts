// Public entry of the explain module: saliency, SmoothGrad and CAM methods, their registry, overlays and grids.
export { forward, inputGradients, layerGradients, featureMapLayers, resolveTargets, scoreGradient, type LayerGradients, type TargetSpec } from './graph.js';
export { computeCam, gradCam, gradCamPlusPlus, xGradCam, normaliseMaps, upsampleMaps, type CamOptions, type CamResult, type CamWeighting } from './cam.js';
export { saliency, smoothGrad, type SaliencyResult, type SmoothGradOptions } from './saliency.js';
export {
  EXPLAIN_METHODS,
  explain,
  explainMethods,
  isExplainMethod,
  type ExplainMethod,
  type ExplainMethodEntry,
  type ExplainOptions,
  type Explanation,
} from './methods.js';
export { colourise, denormalise, encodePng, jet, overlay, type OverlayOptions } from './visualise.js';
export { explainGrid, renderGrid, type GridImage, type GridOptions, type GridRow } from './grid.js';
