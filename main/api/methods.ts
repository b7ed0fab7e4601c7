// The runtime list of API method names and IPC channel names, free of zod and Node so the sandboxed preload can bundle it.
import { API_CHANNEL_PREFIX, type ApiMethod } from './contract.js';

/** Every method of `UnmaskApi`, in the contract's order; a method added there and not here fails the typecheck. */
export const API_METHOD_NAMES = [
  'getInfo',
  'getEngine',
  'pickFolder',
  'openDataset',
  'listDatasets',
  'listImages',
  'getImage',
  'startTraining',
  'startSweep',
  'listJobs',
  'cancelJob',
  'listRuns',
  'getRun',
  'analyseRun',
  'compareRuns',
  'rescoreRun',
  'evaluateRun',
  'listEvaluations',
  'getEvaluation',
  'crossDatasetMatrix',
  'explainChoices',
  'explainImage',
  'renderChart',
  'exportReport',
  'getFleet',
  'setQueue',
] as const satisfies readonly ApiMethod[];

/** Compile-time check that the list is complete: `never` unless every ApiMethod is named above. */
type Missing = Exclude<ApiMethod, (typeof API_METHOD_NAMES)[number]>;
const complete: [Missing] extends [never] ? true : Missing = true;
void complete;

/** The IPC channel of one API method: `unmask:<method>`. */
export function apiChannel(method: ApiMethod): string {
  return `${API_CHANNEL_PREFIX}${method}`;
}

/** The one main → renderer channel: every ApiEvent travels on it. Not a method name, so it cannot collide. */
export const API_EVENT_CHANNEL = `${API_CHANNEL_PREFIX}event`;
