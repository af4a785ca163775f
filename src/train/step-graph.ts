// One ONNX graph per model for a whole training step: forward, loss, backward, global-norm clipping and
// AdamW. Parameters and optimizer moments cross the boundary as three flat float32 buffers.

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

  const values = new Map<string, Value>();
  for (const slot of layout.slots) {
    const flat = b.slice(params, 0, slot.offset, slot.offset + slot.size); // [size]
    values.set(slot.name, b.reshape(flat, slot.shape)); // slot.shape
  }
  const { loss, outputs = {} } = buildLoss(b, values);
  const wrt = layout.slots.map((s) => values.get(s.name)!);
  const grads = gradients(b, loss, wrt);
  const flatGrad = b.concat(
    grads.map((g, i) =>
      g ? b.reshape(g, [-1]) : b.constantOfShape(b.ints([layout.slots[i]!.size]), [layout.slots[i]!.size], 0),
    ),
    0,
  ); // [P]

  // Global-norm clipping and AdamW, arranged so every [P]-sized pass counts (each is a trip through memory):
  // the squared gradient serves both the norm and v; scalar factors are folded before they meet [P] tensors.
  const { beta1, beta2, eps, weightDecay } = adamw;
  const squared = b.mul(flatGrad, flatGrad); // [P]
  const gradNorm = b.sqrt(b.reduceSum(squared, [0])); // []
  const clip = adamw.maxGradNorm > 0 ? b.min(b.div(adamw.maxGradNorm, b.add(gradNorm, 1e-6)), 1) : b.scalar(1); // []
  const newM = b.add(b.mul(m, beta1), b.mul(flatGrad, b.mul(clip, 1 - beta1))); // [P]
  const newV = b.add(b.mul(v, beta2), b.mul(squared, b.mul(b.mul(clip, clip), 1 - beta2))); // [P]
  const sqrtCorrection2 = b.sqrt(b.sub(1, b.pow(b.scalar(beta2), step))); // √(1 - β2^t)
  const correction1 = b.sub(1, b.pow(b.scalar(beta1), step)); // 1 - β1^t
  // lr·m̂/(√v̂ + ε) = (lr·√c2/c1) · m / (√v + ε·√c2)
  const denom = b.add(b.sqrt(newV), b.mul(sqrtCorrection2, eps)); // [P]
  const update = b.mul(b.div(newM, denom), b.div(b.mul(lr, sqrtCorrection2), correction1)); // [P]
  const decayedParams = decayParams(b, params, layout, b.mul(lr, weightDecay));
  const newParams = b.sub(decayedParams, update); // [P]

  return b.build("training_step", {
    [STEP_IO.newParams]: newParams,
    [STEP_IO.newM]: newM,
    [STEP_IO.newV]: newV,
    [STEP_IO.loss]: loss,
    [STEP_IO.gradNorm]: gradNorm,
    ...outputs,
  });
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
