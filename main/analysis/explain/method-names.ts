// The explanation methods' names, apart from their implementations (methods.ts) so that the CLI's help and the
// request schema name them without loading tfjs. methods.ts has one entry per name, checked by type.

export const EXPLAIN_METHODS = ['saliency', 'smoothgrad', 'gradcam', 'gradcam++', 'xgradcam'] as const;
export type ExplainMethod = (typeof EXPLAIN_METHODS)[number];

/** What the Explain screen starts with: Grad-CAM, the explanation the course assignment asks for. */
export const DEFAULT_EXPLAIN_METHOD: ExplainMethod = 'gradcam';

export function isExplainMethod(name: string): name is ExplainMethod {
  return (EXPLAIN_METHODS as readonly string[]).includes(name);
}
