// The one reader of where a run's images are: its folder, or its folders when it trained on several together.
// Pure (no imports), so run lists, the figures and the app read it without the image code; scanRunDataset
// (scan-many.ts) scans the folders again.

/** What of a run record names its images: the store's dataset column (its first folder) and its params. */
export interface RunDatasetRef {
  datasetPath: string;
  params: { seed: number; [key: string]: unknown };
}

/**
 * Every folder a run was trained on, in the order it was given: `params.datasets` when it trained on several
 * folders together (the store's dataset column holds the first), else its one folder.
 */
export function runFolders(run: Pick<RunDatasetRef, 'datasetPath' | 'params'>): string[] {
  const listed = run.params.datasets;
  return Array.isArray(listed) && listed.length > 1 && listed.every((f) => typeof f === 'string') ? (listed as string[]) : [run.datasetPath];
}

/** The last segment of a folder path (POSIX or Windows). */
const baseName = (folder: string): string =>
  folder
    .split(/[\\/]+/)
    .filter(Boolean)
    .pop() ?? folder;

/** Folders as one name: their base names joined with " + " ("fakes_dataset + synthetic_dataset"). */
export function foldersName(folders: readonly string[]): string {
  return folders.map(baseName).join(' + ');
}

/** Folders as one path-like text: joined with " + " (one folder is itself). */
export const foldersText = (folders: readonly string[]): string => folders.join(' + ');
