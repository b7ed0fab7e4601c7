// Optimizers with PyTorch's update rules (Adam, AdamW, SGD with momentum), fused and in place on CPU engines.
import * as tf from '@tensorflow/tfjs';
import { adamStep } from './adam-simd.js';
import { hostView, sharesStorage } from './host-memory.js';
import { onNativeCpu } from '../engine/native/kernels.js';
import { applyAdam, applyMomentum, ResourceVariable } from '../engine/native/resource-variables.js';

import type { OptimizerName } from './recipe-types.js';

export { OPTIMIZER_NAMES, type OptimizerName } from './recipe-types.js';

export interface OptimizerConfig {
  name: OptimizerName;
  lr: number;
  /** Adam/AdamW betas; PyTorch defaults (0.9, 0.999). */
  betas?: [number, number];
  /** PyTorch's default 1e-8 (tfjs uses 1e-7). */
  eps?: number;
  /** AdamW decoupled decay (default 0.01) or SGD L2 (default 0). */
  weightDecay?: number;
  /** SGD momentum (default 0.9). */
  momentum?: number;
}

/** A kept copy of `t` with storage of its own; `t` (a kept slot tensor) is released. */
function privateCopy(t: tf.Tensor): tf.Tensor {
  const own = tf.keep(tf.zerosLike(t));
  hostView(own)!.set(hostView(t)!);
  t.dispose();
  return own;
}

/** One weight's optimizer state: its slots (moments or momentum buffer) live as long as the optimizer. */
interface Slot {
  variable: tf.Variable;
  state: tf.Tensor[];
  /** Native CPU engine: the weight and the slots as TensorFlow resource variables (`state` is read from them by getState). */
  native?: { weight: ResourceVariable; state: ResourceVariable[] };
}

/**
 * Applies one step to every variable from its gradient as one fused pass per weight (Adam on SimpleNet's
 * 16.6 M-weight dense layer as tensor ops would allocate ~10 full-size intermediates per step, each one pass
 * over memory). On the wasm and cpu engines a loop writes the backend's storage in place: Adam's is WebAssembly
 * SIMD (adam-simd.ts), SGD's plain JavaScript (no square root or division to speed up). On the native CPU engine
 * (whose tensors live in libtensorflow) TensorFlow's own fused op updates resource variables (`updateNative`).
 * Elsewhere (tfjs-node-gpu) the step is tensor ops.
 */
export class FusedOptimizer {
  private readonly slots = new Map<string, Slot>();
  private step = 0;
  /** The learning rate of the next step: `config.lr` unless a schedule set another. */
  private rate: number;
  /** Per-variable factors on the rate (e.g. a smaller one for unfrozen backbone blocks than for the head). */
  private readonly scales = new Map<string, number>();

  constructor(readonly config: OptimizerConfig) {
    if (!(config.lr > 0)) throw new RangeError(`learning rate must be > 0, got ${config.lr}`);
    this.rate = config.lr;
  }

  get learningRate(): number {
    return this.rate;
  }

  /** Sets the rate of the following steps (a schedule calls this before each step). */
  setLearningRate(lr: number): void {
    if (!(lr >= 0 && Number.isFinite(lr))) throw new RangeError(`learning rate must be finite and >= 0, got ${lr}`);
    this.rate = lr;
  }

  /** Multiplies the rate of `variable` by `factor` in every later step. */
  scaleLearningRate(variable: tf.Variable, factor: number): void {
    if (!(factor >= 0 && Number.isFinite(factor))) throw new RangeError(`learning-rate factor must be finite and >= 0, got ${factor}`);
    this.scales.set(variable.name, factor);
  }

  get iterations(): number {
    return this.step;
  }

  applyGradients(variables: tf.Variable[], grads: Record<string, tf.Tensor>): void {
    this.step++;
    for (const variable of variables) {
      const grad = grads[variable.name];
      if (grad == null) continue;
      const slot = this.slotFor(variable);
      const lr = this.rate * (this.scales.get(variable.name) ?? 1);
      if (hostView(grad) && slot.state.every((s) => hostView(s) != null)) {
        // The moments are written in place, so none may share its storage with another tensor (a clone does).
        slot.state = slot.state.map((s) => (sharesStorage(s) ? privateCopy(s) : s));
        // New weights go to a fresh buffer: XNNPACK caches packed weights per tensor, so an in-place write
        // to a variable would leave the next forward pass computing with the old values.
        const next = tf.zerosLike(variable);
        // Every view is taken after that allocation: growing the wasm heap detaches views taken before it
        // (they then read as undefined, and Adam's moments turn into NaN).
        const state = slot.state.map((s) => hostView(s)!);
        this.updateFused(lr, hostView(variable)!, hostView(next)!, hostView(grad)!, state);
        variable.assign(next);
        next.dispose();
      } else if (variable.dtype === 'float32' && onNativeCpu()) {
        this.updateNative(lr, slot, grad);
      } else {
        this.updateWithOps(lr, slot, grad);
      }
    }
  }

  /** Optimizer state for checkpoints: step count and every slot tensor, keyed by variable name. */
  getState(): { step: number; slots: Record<string, tf.Tensor[]> } {
    const slots: Record<string, tf.Tensor[]> = {};
    for (const [name, slot] of this.slots) {
      if (slot.native) {
        // Tensors of the current values: the next step's Apply op copies a buffer a tensor still holds.
        tf.dispose(slot.state);
        slot.state = slot.native.state.map((s) => tf.keep(s.read()));
      }
      slots[name] = slot.state;
    }
    return { step: this.step, slots };
  }

  setState(state: { step: number; slots: Record<string, tf.Tensor[]> }, variables: tf.Variable[]): void {
    this.dispose();
    this.step = state.step;
    for (const variable of variables) {
      const saved = state.slots[variable.name];
      if (saved) this.slots.set(variable.name, { variable, state: saved.map((t) => tf.keep(t.clone())) });
    }
  }

  dispose(): void {
    for (const slot of this.slots.values()) {
      tf.dispose(slot.state);
      slot.native?.weight.dispose();
      slot.native?.state.forEach((s) => s.dispose());
    }
    this.slots.clear();
  }

  private slotFor(variable: tf.Variable): Slot {
    let slot = this.slots.get(variable.name);
    if (!slot) {
      const count = this.config.name === 'SGD' ? 1 : 2;
      slot = { variable, state: Array.from({ length: count }, () => tf.keep(tf.zerosLike(variable))) };
      this.slots.set(variable.name, slot);
    }
    return slot;
  }

  /** One pass: reads weights `w`, writes `out` (which may be `w`), updates the optimizer state in place. */
  private updateFused(lr: number, w: Float32Array, out: Float32Array, g: Float32Array, state: Float32Array[]): void {
    const { name } = this.config;
    const n = w.length;
    if (name === 'SGD') {
      const mu = this.config.momentum ?? 0.9;
      const wd = this.config.weightDecay ?? 0;
      const buf = state[0]!;
      const first = this.step === 1;
      for (let i = 0; i < n; i++) {
        const gi = g[i]! + wd * w[i]!;
        const b = first ? gi : mu * buf[i]! + gi;
        buf[i] = b;
        out[i] = w[i]! - lr * b;
      }
      return;
    }
    const [beta1, beta2] = this.config.betas ?? [0.9, 0.999];
    adamStep(w, g, state[0]!, state[1]!, out, {
      beta1,
      beta2,
      stepSize: lr / (1 - beta1 ** this.step),
      rootCorrection: Math.sqrt(1 - beta2 ** this.step),
      eps: this.config.eps ?? 1e-8,
      decay: name === 'AdamW' ? 1 - lr * (this.config.weightDecay ?? 0.01) : 1,
    });
  }

  /**
   * Native CPU engine: one TensorFlow Apply op updates the weight and its slots in place (multithreaded, no copy
   * to the host). The variable's tensor is handed to the resource by sharing its buffer each step, so a weight
   * assigned from elsewhere (a restored checkpoint) is the one updated; the op copies that buffer first while the
   * variable still holds it. Measured on SimpleNet's 16.6 M-weight dense layer on 3 December: about 22 ms per step
   * against 100–250 ms for the host loop with its copies out and in (the gradient's copy out of libtensorflow into
   * a fresh 67 MB array alone took 33–190 ms, page faults and garbage collection).
   */
  private updateNative(lr: number, slot: Slot, grad: tf.Tensor): void {
    const { name } = this.config;
    const variable = slot.variable;
    if (!slot.native) {
      slot.native = { weight: new ResourceVariable(variable.shape), state: slot.state.map((s) => ResourceVariable.of(s)) };
      tf.dispose(slot.state);
      slot.state = [];
    }
    const { weight, state } = slot.native;
    if (name === 'SGD') {
      const wd = this.config.weightDecay ?? 0;
      weight.assign(variable);
      const g = wd > 0 ? tf.add(grad, tf.mul(variable, wd)) : grad;
      applyMomentum(weight, state[0]!, g, lr, this.config.momentum ?? 0.9);
      if (g !== grad) g.dispose();
    } else {
      const decay = name === 'AdamW' ? 1 - lr * (this.config.weightDecay ?? 0.01) : 1;
      const start = decay === 1 ? variable : tf.mul(variable, decay);
      weight.assign(start);
      // The decayed copy is the resource's alone once freed here, so the Apply op updates it without a copy.
      if (start !== variable) start.dispose();
      const [beta1, beta2] = this.config.betas ?? [0.9, 0.999];
      applyAdam(weight, state[0]!, state[1]!, grad, { lr, beta1, beta2, eps: this.config.eps ?? 1e-8, step: this.step });
    }
    const next = weight.read();
    variable.assign(next);
    next.dispose();
  }

  private updateWithOps(lr: number, slot: Slot, grad: tf.Tensor): void {
    const { name } = this.config;
    const w = slot.variable;
    const next = tf.tidy(() => {
      if (name === 'SGD') {
        const mu = this.config.momentum ?? 0.9;
        const g = tf.add(grad, tf.mul(this.config.weightDecay ?? 0, w));
        const buf = this.step === 1 ? g : tf.add(tf.mul(mu, slot.state[0]!), g);
        return { w: tf.sub(w, tf.mul(lr, buf)), state: [buf] };
      }
      const [b1, b2] = this.config.betas ?? [0.9, 0.999];
      const eps = this.config.eps ?? 1e-8;
      const m = tf.add(tf.mul(b1, slot.state[0]!), tf.mul(1 - b1, grad));
      const v = tf.add(tf.mul(b2, slot.state[1]!), tf.mul(1 - b2, tf.square(grad)));
      const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(1 - b2 ** this.step)), eps);
      const decayed = name === 'AdamW' ? tf.mul(w, 1 - lr * (this.config.weightDecay ?? 0.01)) : w;
      return { w: tf.sub(decayed, tf.div(tf.mul(lr / (1 - b1 ** this.step), m), denom)), state: [m, v] };
    });
    w.assign(next.w);
    next.w.dispose();
    tf.dispose(slot.state);
    slot.state = next.state.map((t) => tf.keep(t));
  }
}
