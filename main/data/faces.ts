// Face detection and 68-point landmarks with @vladmandic/face-api (SSD MobileNet v1 + landmark net, weights in the package).
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UnmaskError } from '../engine/errors.js';

const require = createRequire(import.meta.url);

/** One detected face, in the pixel coordinates of the image it was found in (x right, y down, pixel centres at +0.5). */
export interface Face {
  box: { x: number; y: number; width: number; height: number };
  /** Detector confidence in [0, 1]. */
  score: number;
  /** The iBUG 68 landmarks as [x0, y0, x1, y1, …] (136 numbers): jaw 0–16, brows 17–26, nose 27–35, eyes 36–47, mouth 48–67. */
  landmarks: number[];
}

/** Detects every face of an RGB image (bytes [height, width, 3] HWC), largest first. */
export interface FaceDetector {
  /** What detects and what finds landmarks, as recorded with cached results (bump when either changes). */
  readonly version: string;
  detect(rgb: Uint8Array, width: number, height: number): Promise<Face[]>;
}

/** Faces below this SSD confidence are not faces (face-api's default is 0.5; 0.4 keeps profile and dim faces). */
export const MIN_FACE_SCORE = 0.4;

/**
 * What detects and what finds landmarks (the package's version, read without loading its models), as recorded
 * with cached faces and in the feature-cache key of a detector that reads face-part boxes.
 */
export function faceDetectorVersion(): string {
  let version: string;
  try {
    version = (require('@vladmandic/face-api/package.json') as { version: string }).version;
  } catch (error) {
    throw new UnmaskError(
      'ENGINE_UNAVAILABLE',
      `the face detector (@vladmandic/face-api) is not installed: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  return `face-api-${version}:ssd_mobilenetv1@${MIN_FACE_SCORE}:landmark68`;
}

interface FaceApiPoint {
  x: number;
  y: number;
}
interface FaceApiResult {
  detection: { score: number; box: { x: number; y: number; width: number; height: number } };
  landmarks: { positions: FaceApiPoint[] };
}
interface FaceApi {
  nets: { ssdMobilenetv1: { loadFromDisk(dir: string): Promise<void> }; faceLandmark68Net: { loadFromDisk(dir: string): Promise<void> } };
  SsdMobilenetv1Options: new (o: { minConfidence: number; maxResults?: number }) => unknown;
  detectAllFaces(input: tf.Tensor3D, options: unknown): { withFaceLandmarks(): Promise<FaceApiResult[]> };
}

let loading: Promise<FaceDetector> | null = null;

/**
 * The face detector, loaded once per process from the package's own `model/` folder (no network). face-api's
 * wasm build is used whatever the engine: it only imports `@tensorflow/tfjs`, so it runs on the backend
 * Unmask selected (native, wasm or cpu). The engine must be initialised first.
 */
export function loadFaceDetector(): Promise<FaceDetector> {
  loading ??= (async () => {
    let api: FaceApi;
    let dir: string;
    try {
      api = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
      dir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
      await api.nets.ssdMobilenetv1.loadFromDisk(dir);
      await api.nets.faceLandmark68Net.loadFromDisk(dir);
    } catch (error) {
      loading = null;
      throw new UnmaskError(
        'ENGINE_UNAVAILABLE',
        `the face detector (@vladmandic/face-api) could not be loaded: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    const options = new api.SsdMobilenetv1Options({ minConfidence: MIN_FACE_SCORE, maxResults: 20 });
    return {
      version: faceDetectorVersion(),
      async detect(rgb: Uint8Array, width: number, height: number): Promise<Face[]> {
        if (rgb.length !== width * height * 3)
          throw new UnmaskError('BAD_ARGUMENT', `expected ${width * height * 3} RGB bytes for ${width}×${height}, got ${rgb.length}`);
        const input = tf.tensor3d(rgb, [height, width, 3], 'int32');
        try {
          const found = await api.detectAllFaces(input, options).withFaceLandmarks();
          return found
            .map((r) => ({
              box: { x: r.detection.box.x, y: r.detection.box.y, width: r.detection.box.width, height: r.detection.box.height },
              score: r.detection.score,
              landmarks: r.landmarks.positions.flatMap((p) => [p.x, p.y]),
            }))
            .sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
        } finally {
          input.dispose();
        }
      },
    };
  })();
  return loading;
}

/** The largest face (faces come largest first), or null. */
export function largestFace(faces: readonly Face[]): Face | null {
  return faces[0] ?? null;
}
