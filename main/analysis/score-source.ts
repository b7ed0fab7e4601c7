// Where a shown number comes from (dataset, split, checkpoint), in the words every table, chart and report uses.
import path from 'node:path';

export interface ScoreOrigin {
  /** 'own': the run's own scores (its best checkpoint on its own dataset's split); else an evaluation. */
  kind: 'own' | 'evaluation';
  datasetPath: string;
  /** The name shown (default: the folder's base name); a run trained on several folders shows them all (" + "). */
  datasetName?: string;
  /** A split of the folder, or 'all' its images. */
  split: string;
  /** null when not recorded (scores moved from an older database). */
  checkpoint: 'best' | 'last' | null;
  /** null when not recorded (scored before Unmask recorded it). */
  checkpointEpoch: number | null;
  /** How the images were prepared ('crop-faces': each image's largest face); absent or 'none': as they are. */
  preprocess?: string;
}

/** "synthetic_dataset · own test split · best checkpoint (epoch 3)", "fakes_dataset · all images · last checkpoint (epoch 5)". */
export function scoreOriginLabel(origin: ScoreOrigin): string {
  const images = origin.split === 'all' ? 'all images' : `${origin.kind === 'own' ? 'own ' : ''}${origin.split} split`;
  const weights =
    origin.checkpoint === null
      ? 'checkpoint not recorded'
      : `${origin.checkpoint} checkpoint${origin.checkpointEpoch === null ? '' : ` (epoch ${origin.checkpointEpoch})`}`;
  return `${origin.datasetName ?? path.basename(origin.datasetPath)} · ${images}${origin.preprocess === 'crop-faces' ? ' (face crops)' : ''} · ${weights}`;
}
