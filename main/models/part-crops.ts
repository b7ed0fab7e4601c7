// PartCrops: zoomed, differentiable crops of face parts (bilinear resampling as two matrix products), stacked in the batch axis.
import * as tf from '@tensorflow/tfjs';
import { PART_BOX_VALUES } from '../data/face-parts.js';

export interface PartCropsArgs {
  name: string;
  /** Side of each crop in pixels. */
  size: number;
  /** Whether crop k is mirrored left-right (one entry per part). */
  mirrored: readonly boolean[];
}

/**
 * Bilinear sampling matrices R [b, parts, size, side] for one axis: row s of R holds the weights of the source
 * pixels at position start + (s + ½)·length/size − ½ (pixel centres; reversed rows for a mirrored crop), with
 * source indices clamped to the image (edge pixels repeat past the border). `start`, `length`: [b, parts].
 */
function samplingMatrices(start: tf.Tensor2D, length: tf.Tensor2D, size: number, side: number, mirrored: tf.Tensor1D | null): tf.Tensor4D {
  return tf.tidy(() => {
    let steps = tf.div(tf.add(tf.range(0, size, 1, 'float32'), 0.5), size); // [size]
    const u = tf.sub(tf.add(tf.expandDims(start, 2), tf.mul(tf.expandDims(length, 2), steps)), 0.5); // [b, parts, size]
    let pos = u;
    if (mirrored) {
      steps = tf.reverse(steps, 0);
      const flipped = tf.sub(tf.add(tf.expandDims(start, 2), tf.mul(tf.expandDims(length, 2), steps)), 0.5);
      const m = tf.reshape(mirrored, [1, -1, 1]);
      pos = tf.add(tf.mul(flipped, m), tf.mul(u, tf.sub(1, m)));
    }
    const i0 = tf.floor(pos);
    const frac = tf.sub(pos, i0);
    const lo = tf.cast(tf.clipByValue(i0, 0, side - 1), 'int32');
    const hi = tf.cast(tf.clipByValue(tf.add(i0, 1), 0, side - 1), 'int32');
    const w0 = tf.mul(tf.oneHot(lo, side), tf.expandDims(tf.sub(1, frac), 3));
    const w1 = tf.mul(tf.oneHot(hi, side), tf.expandDims(frac, 3));
    return tf.add(w0, w1) as tf.Tensor4D;
  });
}

/**
 * Inputs: images [b, h, w, c] and part boxes [b, parts, 3] ([x0, y0, side] in pixels, square crops) →
 * crops [b · parts, size, size, c], image-major (the crops of image 0 first). Each crop is Ry · image · Rxᵀ
 * with bilinear sampling matrices, so the op is linear in the image and its gradient reaches every source
 * pixel (saliency maps see through the crops). No weights; the boxes get no gradient.
 */
export class PartCrops extends tf.layers.Layer {
  static readonly className = 'UnmaskPartCrops';
  readonly size: number;
  readonly mirrored: readonly boolean[];

  constructor(args: PartCropsArgs) {
    super({ name: args.name, trainable: false });
    if (!Number.isInteger(args.size) || args.size < 1) throw new RangeError(`PartCrops size must be a positive integer, got ${args.size}`);
    if (args.mirrored.length < 1) throw new RangeError('PartCrops needs at least one part');
    this.size = args.size;
    this.mirrored = [...args.mirrored];
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [image, boxes] = inputShape as tf.Shape[];
    if (!image || image.length !== 4 || !boxes || boxes.length !== 3)
      throw new RangeError(`${this.name}: inputs must be images [b, h, w, c] and boxes [b, parts, 3]`);
    if (boxes[1] !== this.mirrored.length || boxes[2] !== PART_BOX_VALUES)
      throw new RangeError(`${this.name}: boxes must be [b, ${this.mirrored.length}, ${PART_BOX_VALUES}], got [${boxes}]`);
    return [null, this.size, this.size, image[3] ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [image, boxes] = inputs as [tf.Tensor4D, tf.Tensor3D];
      const [b, h, w, c] = image.shape;
      const parts = this.mirrored.length;
      const S = this.size;
      const [x0, y0, side] = tf.unstack(tf.cast(boxes, 'float32'), 2) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const ry = samplingMatrices(y0, side, S, h, null); // [b, parts, S, h]
      const rx = samplingMatrices(x0, side, S, w, this.mirrored.some(Boolean) ? tf.tensor1d(this.mirrored.map(Number)) : null); // [b, parts, S, w]
      // Rows: [b, parts·S, h] · [b, h, w·c] → [b, parts·S, w·c].
      const rows = tf.matMul(tf.reshape(ry, [b, parts * S, h]), tf.reshape(image, [b, h, w * c]));
      // Columns: [b·parts, S·c, w] · [b·parts, w, S] → [b·parts, S·c, S].
      const byColumn = tf.reshape(tf.transpose(tf.reshape(rows, [b * parts, S, w, c]), [0, 1, 3, 2]), [b * parts, S * c, w]);
      const crops = tf.matMul(byColumn, tf.reshape(rx, [b * parts, S, w]), false, true);
      return tf.transpose(tf.reshape(crops, [b * parts, S, c, S]), [0, 1, 3, 2]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: this.size, mirrored: [...this.mirrored] };
  }
}
tf.serialization.registerClass(PartCrops);

/** [b · parts, F] → [b, parts · F]: each image's part features side by side (parts in PartCrops order). */
export class GroupParts extends tf.layers.Layer {
  static readonly className = 'UnmaskGroupParts';
  readonly parts: number;

  constructor(args: { name: string; parts: number }) {
    super({ name: args.name, trainable: false });
    if (!Number.isInteger(args.parts) || args.parts < 1) throw new RangeError(`GroupParts parts must be a positive integer, got ${args.parts}`);
    this.parts = args.parts;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (shape.length !== 2 || shape[1] == null) throw new RangeError(`${this.name}: input must be [b · parts, F], got [${shape}]`);
    return [null, this.parts * shape[1]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor2D;
    return tf.reshape(x, [-1, this.parts * x.shape[1]]);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), parts: this.parts };
  }
}
tf.serialization.registerClass(GroupParts);
