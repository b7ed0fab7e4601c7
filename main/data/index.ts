// Public entry of the data module: dataset scanning, decoding, transforms, datasets and batch loaders.
export * from './types.js';
export { scanDataset, type ScanOptions } from './scan.js';
export { mergeScans, scanDatasets, scanFolders, scanRunDataset } from './scan-many.js';
export { foldersName, foldersText, runFolders, type RunDatasetRef } from './run-folders.js';
export { stableSplit, DEFAULT_RATIOS, type SplitRatios } from './layout.js';
export { decodeImage, type DecodeOptions } from './decode.js';
export { MEAN, STD, CROP_PADDING, normalise, augmentNormalise, drawAugment, transformImage, type AugmentParams } from './transforms.js';
export { mulberry32, rngFrom, mixSeed, permutation, type Rng } from './rng.js';
export { FaceCropper, faceCropBox, FACE_MARGIN, type CropBox } from './face-crop.js';
export { FaceDataset, datasetsFromScan, type DatasetItem, type DatasetOptions } from './dataset.js';
export { createLoader, type Batch, type Loader, type LoaderOptions } from './loader.js';
export { batchToTensors, type BatchTensors } from './tensors.js';
export { fingerprintDataset, fingerprintSamples, type DigestCache } from './fingerprint.js';
export { imageFiles, type ImageFileEntry } from './image-files.js';
export { linkSubset } from './subset.js';
