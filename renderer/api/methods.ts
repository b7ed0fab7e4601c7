// The runtime list of API method names, checked against the contract so a method added there fails the typecheck here.
import type { ApiMethod } from '../../main/api/contract';

const METHOD_SET = {
  getInfo: true,
  getEngine: true,
  pickFolder: true,
  openDataset: true,
  listDatasets: true,
  listImages: true,
  getImage: true,
  startTraining: true,
  startSweep: true,
  listJobs: true,
  cancelJob: true,
  listRuns: true,
  getRun: true,
  analyseRun: true,
  compareRuns: true,
  rescoreRun: true,
  evaluateRun: true,
  listEvaluations: true,
  getEvaluation: true,
  crossDatasetMatrix: true,
  explainChoices: true,
  explainImage: true,
  renderChart: true,
  exportReport: true,
  getFleet: true,
  setQueue: true,
} as const satisfies Record<ApiMethod, true>;

/** Every method of `UnmaskApi` (the contract is type-only, so the names are listed once here). */
export const API_METHODS = Object.keys(METHOD_SET) as ApiMethod[];
