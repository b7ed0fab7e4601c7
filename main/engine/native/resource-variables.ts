// TensorFlow resource variables on the native engines, so that an optimizer step is one fused libtensorflow op
// (ResourceApplyAdam, ResourceApplyMomentum) updating the weight and its slots in place, with no copy to the host.
import * as tf from '@tensorflow/tfjs';
import { floatAttrs, type NodeBackend, type OpAttr } from './kernels.js';

const backend = (): NodeBackend => tf.backend() as unknown as NodeBackend;

function dtypeAttr(b: NodeBackend): OpAttr {
  return { name: 'dtype', type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT };
}

function boolAttr(b: NodeBackend, name: string, value: boolean): OpAttr {
  return { name, type: b.binding.TF_ATTR_BOOL, value };
}

let created = 0;

/**
 * A float32 variable in libtensorflow's resource manager. Assigning a tensor shares its buffer; an Apply op on a
 * buffer that a tensor still holds copies it first (TensorFlow's copy-on-write), so a tensor read out before a
 * step keeps its values.
 */
export class ResourceVariable {
  private readonly handle: tf.Tensor;
  private disposed = false;

  constructor(shape: readonly number[]) {
    const b = backend();
    this.handle = tf.keep(
      b.executeSingleOutput(
        'VarHandleOp',
        [
          { name: 'container', type: b.binding.TF_ATTR_STRING, value: '' },
          { name: 'shared_name', type: b.binding.TF_ATTR_STRING, value: `unmask_${process.pid}_${created++}` },
          dtypeAttr(b),
          { name: 'shape', type: b.binding.TF_ATTR_SHAPE, value: [...shape] },
        ],
        [],
      ),
    );
  }

  /** A new variable holding `value`'s buffer. */
  static of(value: tf.Tensor): ResourceVariable {
    const variable = new ResourceVariable(value.shape);
    variable.assign(value);
    return variable;
  }

  assign(value: tf.Tensor): void {
    backend().executeMultipleOutputs('AssignVariableOp', [dtypeAttr(backend())], [this.handle, value], 0);
  }

  /** A tensor of the current value (sharing its buffer until the next step writes it). */
  read(): tf.Tensor {
    return backend().executeSingleOutput('ReadVariableOp', [dtypeAttr(backend())], [this.handle]);
  }

  /** The handle, for the Apply ops. */
  get input(): tf.Tensor {
    return this.handle;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const b = backend();
    b.executeMultipleOutputs('DestroyResourceOp', [boolAttr(b, 'ignore_lookup_error', true)], [this.handle], 0);
    this.handle.dispose();
  }
}

/** Runs a TensorFlow Apply op (no outputs; its scalars are made and freed here). */
function apply(op: string, inputs: () => tf.Tensor[]): void {
  const b = backend();
  const attrs = [...floatAttrs(b), boolAttr(b, 'use_locking', false), boolAttr(b, 'use_nesterov', false)];
  tf.tidy(() => {
    b.executeMultipleOutputs(op, attrs, inputs(), 0);
  });
}

/**
 * One Adam step with PyTorch's rule: w ← w − lr/(1−β₁ᵗ) · m / (√v / √(1−β₂ᵗ) + eps). TensorFlow's kernel computes
 * its bias corrections in float32 from β₁ᵗ and β₂ᵗ (1 − β₂ᵗ loses about 1e-5 of itself in the first steps) and adds
 * its epsilon before the correction, so it is given β powers of 0, the corrected rate lr·√(1−β₂ᵗ)/(1−β₁ᵗ) computed
 * here in double precision, and eps·√(1−β₂ᵗ): the same rule. Only the moments' rates 1 − β stay float32 in the
 * kernel: β₂ = 0.999 acts as 0.99900001 (1 − β₂ 1.3e-5 of itself below PyTorch's).
 */
export function applyAdam(
  w: ResourceVariable,
  m: ResourceVariable,
  v: ResourceVariable,
  grad: tf.Tensor,
  c: { lr: number; beta1: number; beta2: number; eps: number; step: number },
): void {
  const root = Math.sqrt(1 - c.beta2 ** c.step);
  const scalars = [0, 0, (c.lr * root) / (1 - c.beta1 ** c.step), c.beta1, c.beta2, c.eps * root];
  apply('ResourceApplyAdam', () => [w.input, m.input, v.input, ...scalars.map((x) => tf.scalar(x)), grad]);
}

/** One SGD step with momentum, PyTorch's rule without dampening (buf ← μ·buf + g, w ← w − lr·buf). */
export function applyMomentum(w: ResourceVariable, buf: ResourceVariable, grad: tf.Tensor, lr: number, momentum: number): void {
  apply('ResourceApplyMomentum', () => [w.input, buf.input, tf.scalar(lr), grad, tf.scalar(momentum)]);
}
