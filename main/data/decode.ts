// Decodes one image file with sharp into 256x256 RGB bytes (EXIF-rotated, alpha dropped, grey expanded).
import sharp from 'sharp';
import { firstLine, UnmaskError } from '../engine/errors.js';
import { CHANNELS, DEFAULT_MAX_PIXELS, IMAGE_SIZE, IMAGE_VALUES } from './types.js';

export interface DecodeOptions {
  /** Refuse images above this many pixels before decoding (default 40e6). */
  maxPixels?: number;
}

/**
 * Decodes a JPEG/PNG/WebP file (a path, or its bytes) to RGB bytes, Uint8Array [256, 256, 3] HWC.
 * Steps: EXIF orientation applied (.rotate()); resize policy = scale so the SHORTER side is 256 and
 * center-crop 256x256 (sharp fit 'cover', position 'centre'; a 256x256 input is left as is); alpha
 * dropped (when a resize is needed sharp resizes alpha-premultiplied, so fully transparent pixels come out
 * black; without a resize the stored colour is kept); grey/CMYK converted to sRGB; 16-bit reduced to 8 bits.
 * Truncated data fails (failOn 'truncated') rather than decoding to a half-grey picture.
 * Throws UnmaskError DATASET_INVALID with the path and libvips' reason.
 */
export async function decodeImage(file: string | Buffer, opts: DecodeOptions = {}): Promise<Uint8Array> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  try {
    const { data, info } = await sharp(file, { failOn: 'truncated', limitInputPixels: maxPixels, sequentialRead: true })
      .rotate()
      .resize(IMAGE_SIZE, IMAGE_SIZE, { fit: 'cover', position: 'centre' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.width !== IMAGE_SIZE || info.height !== IMAGE_SIZE || info.channels !== CHANNELS || data.length !== IMAGE_VALUES) {
      throw new Error(`unexpected decoded shape ${info.width}x${info.height}x${info.channels}`);
    }
    return new Uint8Array(data.buffer, data.byteOffset, data.length);
  } catch (error) {
    throw new UnmaskError('DATASET_INVALID', `cannot decode ${typeof file === 'string' ? file : 'the image'}: ${firstLine(error)}`, { cause: error });
  }
}
