// The model registry's names, apart from its factories so that the request schema and the API contract (which the
// renderer type-imports) can name models without loading tfjs. registry.ts has one entry per name, checked by type.

export const MODEL_NAMES = ['SimpleNet', 'Xception', 'XceptionBased', 'XceptionRegions', 'XceptionParts', 'XceptionStats', 'MobileNetBased', 'Bonus'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export function isModelName(name: string): name is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(name);
}
