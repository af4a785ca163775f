// One ONNX graph per model for a whole training step: forward, loss, backward, global-norm clipping and
// AdamW, over flat float32 buffers; plus its halves for gradient accumulation and a loss-only graph.

import { gradients } from "../graph/autodiff.ts";
import type { BuilderOptions } from "../graph/builder.ts";
import { Builder } from "../graph/composites.ts";
import type { Graph, Value } from "../graph/ir.ts";

/** A parameter's place in the flat buffers. Decayed parameters come first, then the rest. */
export interface ParamSlot {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
  readonly decay: boolean;
}

export interface FlatLayout {
  readonly slots: readonly ParamSlot[];
  /** Total number of floats. */
  readonly total: number;
  /** Floats [0, decayed) receive weight decay. */
  readonly decayed: number;
}

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Global gradient-norm clipping threshold; 0 disables clipping. */
  maxGradNorm: number;
}

export const ADAMW_DEFAULTS: AdamWConfig = {
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0.01,
  maxGradNorm: 1,
};

/** Orders parameters into the flat layout: weight-decayed tensors first. */
export function flatLayout(
  params: ReadonlyArray<{ name: string; shape: readonly number[]; decay: boolean }>,
): FlatLayout {
  const ordered = [...params.filter((p) => p.decay), ...params.filter((p) => !p.decay)];
  const slots: ParamSlot[] = [];
  let offset = 0;
  let decayed = 0;
  for (const p of ordered) {
    const size = p.shape.reduce((a, d) => a * d, 1);
    slots.push({ name: p.name, shape: [...p.shape], offset, size, decay: p.decay });
    offset += size;
    if (p.decay) decayed = offset;
  }
  return { slots, total: offset, decayed };
}

/** What the model contributes: its loss (rank 0) and any extra outputs, given parameter values by name. */
export type LossBuilder = (
  b: Builder,
  params: ReadonlyMap<string, Value>,
) => {
  loss: Value;
  outputs?: Record<string, Value>;
};

/** Graph input and output names of a training step. */
export const STEP_IO = {
  params: "params",
  m: "adam_m",
  v: "adam_v",
  step: "step",
  lr: "lr",
  newParams: "params_out",
  newM: "adam_m_out",
  newV: "adam_v_out",
  loss: "loss",
  gradNorm: "grad_norm",
} as const;

/**
 * Builds the training-step graph. Inputs: params/adam_m/adam_v [P], step (rank 0, 1-based float), lr (rank 0),
 * plus whatever inputs the loss builder declares. Outputs: the updated buffers, loss, grad_norm and extras.
 */
export function buildTrainingStep(
  layout: FlatLayout,
  buildLoss: LossBuilder,
  adamw: AdamWConfig = ADAMW_DEFAULTS,
  options: BuilderOptions = {},
): Graph {
  const b = new Builder(options);
  const P = layout.total;
  const params = b.input(STEP_IO.params, "float32", [P]);
  const m = b.input(STEP_IO.m, "float32", [P]);
  const v = b.input(STEP_IO.v, "float32", [P]);
  const step = b.input(STEP_IO.step, "float32", []);
  const lr = b.input(STEP_IO.lr, "float32", []);
  const { loss, outputs, flatGrad } = lossAndGradient(b, layout, buildLoss, params);
  const update = adamwUpdate(b, layout, adamw, { params, m, v, grad: flatGrad, step, lr });
  return b.build("training_step", {
    [STEP_IO.newParams]: update.params,
    [STEP_IO.newM]: update.m,
    [STEP_IO.newV]: update.v,
    [STEP_IO.loss]: loss,
    [STEP_IO.gradNorm]: update.gradNorm,
    ...outputs,
  });
}

/** Graph input and output names of gradient accumulation (see buildGradientStep and buildApplyStep). */
export const ACCUMULATE_IO = {
  /** The gradient summed so far [P]. */
  gradIn: "grad_acc",
  /** This micro-batch's share of the whole batch (rank 0), e.g. its tokens / all tokens. */
  weight: "loss_weight",
  gradOut: "grad_acc_out",
  /** The accumulated gradient the apply graph consumes [P]. */
  grad: "grad",
} as const;

/**
 * Builds the gradient half of an accumulated step. Inputs: params [P], grad_acc [P], loss_weight (rank 0)
 * and the loss builder's inputs. Outputs: grad_acc_out = grad_acc + loss_weight · ∂loss/∂params [P],
 * loss and extras. Summing micro-batches weighted by their share of the tokens gives the gradient of
 * the token-mean loss over their union.
 */
export function buildGradientStep(
  layout: FlatLayout,
  buildLoss: LossBuilder,
  options: BuilderOptions = {},
): Graph {
  const b = new Builder(options);
  const P = layout.total;
  const params = b.input(STEP_IO.params, "float32", [P]);
  const gradIn = b.input(ACCUMULATE_IO.gradIn, "float32", [P]);
  const weight = b.input(ACCUMULATE_IO.weight, "float32", []);
  const { loss, outputs, flatGrad } = lossAndGradient(b, layout, buildLoss, params);
  const gradOut = b.add(gradIn, b.mul(flatGrad, weight)); // [P]
  return b.build("gradient_step", { [ACCUMULATE_IO.gradOut]: gradOut, [STEP_IO.loss]: loss, ...outputs });
}

/**
 * Builds the update half of an accumulated step: global-norm clipping and AdamW applied to a given
 * gradient. Inputs: params/adam_m/adam_v/grad [P], step, lr. Outputs: the new buffers and grad_norm.
 */
export function buildApplyStep(layout: FlatLayout, adamw: AdamWConfig = ADAMW_DEFAULTS): Graph {
  const b = new Builder();
  const P = layout.total;
  const params = b.input(STEP_IO.params, "float32", [P]);
  const m = b.input(STEP_IO.m, "float32", [P]);
  const v = b.input(STEP_IO.v, "float32", [P]);
  const grad = b.input(ACCUMULATE_IO.grad, "float32", [P]);
  const step = b.input(STEP_IO.step, "float32", []);
  const lr = b.input(STEP_IO.lr, "float32", []);
  const update = adamwUpdate(b, layout, adamw, { params, m, v, grad, step, lr });
  return b.build("apply_step", {
    [STEP_IO.newParams]: update.params,
    [STEP_IO.newM]: update.m,
    [STEP_IO.newV]: update.v,
    [STEP_IO.gradNorm]: update.gradNorm,
  });
}

/**
 * Builds a loss-only graph (validation): no gradients, no update. Inputs: params [P] and the loss
 * builder's inputs; outputs: loss and extras.
 */
export function buildLossGraph(
  layout: FlatLayout,
  buildLoss: LossBuilder,
  options: BuilderOptions = {},
): Graph {
  const b = new Builder(options);
  const params = b.input(STEP_IO.params, "float32", [layout.total]);
  const { loss, outputs = {} } = buildLoss(b, paramViews(b, layout, params));
  return b.build("loss", { [STEP_IO.loss]: loss, ...outputs });
}

/** Each parameter as a slice + reshape of the flat buffer. */
function paramViews(b: Builder, layout: FlatLayout, params: Value): Map<string, Value> {
  const values = new Map<string, Value>();
  for (const slot of layout.slots) {
    const flat = b.slice(params, 0, slot.offset, slot.offset + slot.size); // [size]
    values.set(slot.name, b.reshape(flat, slot.shape)); // slot.shape
  }
  return values;
}

/** The loss on parameter views of `params`, its extra outputs, and the flat gradient [P]. */
function lossAndGradient(
  b: Builder,
  layout: FlatLayout,
  buildLoss: LossBuilder,
  params: Value,
): { loss: Value; outputs: Record<string, Value>; flatGrad: Value } {
  const values = paramViews(b, layout, params);
  const { loss, outputs = {} } = buildLoss(b, values);
  const wrt = layout.slots.map((s) => values.get(s.name)!);
  const grads = gradients(b, loss, wrt);
  const flatGrad = b.concat(
    grads.map((g, i) =>
      g ? b.reshape(g, [-1]) : b.constantOfShape(b.ints([layout.slots[i]!.size]), [layout.slots[i]!.size], 0),
    ),
    0,
  ); // [P]
  return { loss, outputs, flatGrad };
}

/**
 * Global-norm clipping then AdamW (bias correction, decoupled weight decay) on flat buffers, written to
 * make few passes over them: the clipping factor c and every scalar fold into the per-element products,
 * and g² serves both the norm and the second moment.
 *   m ← β1·m + c(1−β1)·g;  v ← β2·v + c²(1−β2)·g²;  p ← p·(1 − lr·λ) − k·m / (√v + ε√(1−β2^t)),
 * with k = lr·√(1−β2^t) / (1−β1^t) — the same update as lr·m̂ / (√v̂ + ε).
 */
function adamwUpdate(
  b: Builder,
  layout: FlatLayout,
  adamw: AdamWConfig,
  x: { params: Value; m: Value; v: Value; grad: Value; step: Value; lr: Value },
): { params: Value; m: Value; v: Value; gradNorm: Value } {
  const { grad, m, v, step, lr } = x;
  const { beta1, beta2, eps, weightDecay } = adamw;
  const squared = b.mul(grad, grad); // [P]
  const gradNorm = b.sqrt(b.reduceSum(squared, [0])); // []
  const clip =
    adamw.maxGradNorm > 0 ? b.min(b.div(adamw.maxGradNorm, b.add(gradNorm, 1e-6)), 1) : b.scalar(1); // []
  const newM = b.add(b.mul(m, beta1), b.mul(grad, b.mul(clip, 1 - beta1))); // [P]
  const newV = b.add(b.mul(v, beta2), b.mul(squared, b.mul(b.mul(clip, clip), 1 - beta2))); // [P]
  const correction1 = b.sub(1, b.pow(b.scalar(beta1), step)); // 1 - β1^t
  const root2 = b.sqrt(b.sub(1, b.pow(b.scalar(beta2), step))); // √(1 - β2^t)
  const stepSize = b.div(b.mul(lr, root2), correction1); // k
  const denom = b.add(b.sqrt(newV), b.mul(root2, eps)); // [P]
  const update = b.mul(b.div(newM, denom), stepSize); // [P]
  const decayedParams = decayParams(b, x.params, layout, b.mul(lr, weightDecay));
  const newParams = b.sub(decayedParams, update); // [P]
  return { params: newParams, m: newM, v: newV, gradNorm };
}

/** Decoupled weight decay p ← p·(1 − lr·λ) on the decayed prefix of the buffer. */
function decayParams(b: Builder, params: Value, layout: FlatLayout, lrTimesDecay: Value): Value {
  if (layout.decayed === 0) return params;
  const factor = b.sub(1, lrTimesDecay);
  if (layout.decayed === layout.total) return b.mul(params, factor);
  const head = b.mul(b.slice(params, 0, 0, layout.decayed), factor);
  const tail = b.slice(params, 0, layout.decayed, layout.total);
  return b.concat([head, tail], 0);
}
