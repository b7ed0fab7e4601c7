// The metric records' plain types, shared by the analysis code and the API contract (which the renderer type-imports).

/** Binary confusion matrix counts, positive = fake (label 1). */
export interface Confusion {
  tn: number;
  fp: number;
  fn: number;
  tp: number;
}

/** Accuracy within each class: real = TN / (TN + FP) (specificity), fake = TP / (TP + FN) (recall); null if the class is absent. */
export interface PerClassAccuracy {
  real: number | null;
  fake: number | null;
}

/** Everything a results table shows for one detector on one split (DeepfakeBench reports acc/auc/eer/ap). */
export interface MetricSummary {
  /** Number of samples. */
  n: number;
  /** Positives (fake) and negatives (real). */
  positives: number;
  negatives: number;
  /** ROC AUC (metrics.ts: rocAuc). */
  auc: number;
  /** Average precision (averagePrecision). */
  ap: number;
  /** Equal error rate and its threshold (eer). */
  eer: number;
  eerThreshold: number;
  /** The decision threshold used for the fields below: predict fake when score >= threshold. */
  threshold: number;
  accuracy: number;
  confusion: Confusion;
  perClass: PerClassAccuracy;
}
