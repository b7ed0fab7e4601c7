// Face crops for raw photos: the largest face, with a margin, before the usual 256 px resize.
import sharp from 'sharp';
import { UnmaskError } from '../engine/errors.js';
import { decodeImage } from './decode.js';
import { largestFace, loadFaceDetector, type Face, type FaceDetector } from './faces.js';
import { DEFAULT_MAX_PIXELS, IMAGE_SIZE } from './types.js';

/** The crop's side over the face box's longer side (FaceForensics++'s 1.3). */
export const FACE_MARGIN = 1.3;
/** Photos are searched for faces at most this many pixels on their longer side (the detector works at 512). */
const DETECT_SIZE = 1024;

/** A square crop in the photo's pixels (after EXIF rotation). */
export interface CropBox {
  left: number;
  top: number;
  side: number;
}

/**
 * The square of side FACE_MARGIN × the box's longer side around the face box's centre, moved inside the photo
 * (and shrunk to the photo's shorter side when larger), in whole pixels.
 */
export function faceCropBox(box: Face['box'], width: number, height: number): CropBox {
  const side = Math.max(1, Math.min(Math.round(FACE_MARGIN * Math.max(box.width, box.height)), width, height));
  const clamp = (v: number, size: number): number => Math.min(Math.max(0, Math.round(v)), size - side);
  return { left: clamp(box.x + box.width / 2 - side / 2, width), top: clamp(box.y + box.height / 2 - side / 2, height), side };
}

/**
 * Decodes photos to 256 px face crops: EXIF-rotated, the largest face found by the face detector, cropped with
 * FACE_MARGIN and resized. A photo without a face is decoded whole as usual (centre crop) and listed in
 * `faceless`, so callers report it instead of using it silently.
 */
export class FaceCropper {
  readonly faceless = new Set<string>();
  private detector: Promise<FaceDetector> | null = null;

  constructor(private readonly load: () => Promise<FaceDetector> = loadFaceDetector) {}

  /** `file`: a path or the file's bytes (a dropped image, listed in `faceless` as "the image"). */
  async decode(file: string | Buffer, maxPixels: number = DEFAULT_MAX_PIXELS): Promise<Uint8Array> {
    const box = await this.findFace(file, maxPixels);
    if (box === null) {
      this.faceless.add(nameOf(file));
      return decodeImage(file, { maxPixels });
    }
    try {
      const { data } = await sharp(file, { failOn: 'truncated', limitInputPixels: maxPixels })
        .rotate()
        .extract({ left: box.left, top: box.top, width: box.side, height: box.side })
        .resize(IMAGE_SIZE, IMAGE_SIZE)
        .removeAlpha()
        .toColourspace('srgb')
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true });
      return new Uint8Array(data.buffer, data.byteOffset, data.length);
    } catch (error) {
      throw new UnmaskError('DATASET_INVALID', `cannot crop the face of ${nameOf(file)}: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
  }

  /** The crop of the largest face in the photo's own pixels, or null when no face is found. */
  async findFace(file: string | Buffer, maxPixels: number = DEFAULT_MAX_PIXELS): Promise<CropBox | null> {
    let pixels: Buffer;
    let info: sharp.OutputInfo;
    let width: number;
    let height: number;
    try {
      const image = sharp(file, { failOn: 'truncated', limitInputPixels: maxPixels }).rotate();
      ({ data: pixels, info } = await image
        .resize(DETECT_SIZE, DETECT_SIZE, { fit: 'inside', withoutEnlargement: true })
        .removeAlpha()
        .toColourspace('srgb')
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true }));
      const meta = await sharp(file).metadata();
      // EXIF orientations 5–8 swap width and height.
      const swapped = (meta.orientation ?? 1) >= 5;
      width = swapped ? meta.height! : meta.width!;
      height = swapped ? meta.width! : meta.height!;
    } catch (error) {
      throw new UnmaskError('DATASET_INVALID', `cannot decode ${nameOf(file)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const detector = await (this.detector ??= this.load());
    const face = largestFace(await detector.detect(new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length), info.width, info.height));
    if (face === null) return null;
    const scale = width / info.width;
    const box = { x: face.box.x * scale, y: face.box.y * scale, width: face.box.width * scale, height: face.box.height * scale };
    return faceCropBox(box, width, height);
  }
}

const nameOf = (file: string | Buffer): string => (typeof file === 'string' ? file : 'the image');
