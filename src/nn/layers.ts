// Basic layers: linear, embedding and the two norms, named as Hugging Face checkpoints name them
// (`<prefix>.weight`, `<prefix>.bias`).

import type { Value } from "../graph/ir.ts";
import { type Initializer, normal, ones, xavier, zeros } from "./init.ts";
import { Module, type Parameter, type Scope } from "./module.ts";

/** y = x Wᵀ + b, W: [out, in]. */
export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias?: Parameter;

  constructor(
    prefix: string,
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: { bias?: boolean; init?: Initializer } = {},
  ) {
    super(prefix);
    this.weight = this.param("weight", [outFeatures, inFeatures], options.init ?? xavier);
    if (options.bias ?? true) this.bias = this.param("bias", [outFeatures], zeros, false);
  }

  /** x: [..., in] -> [..., out] */
  forward(s: Scope, x: Value): Value {
    return s.b.linear(x, s.value(this.weight), this.bias ? s.value(this.bias) : undefined);
  }
}

/** A lookup table [num, dim]; also usable as a tied output projection. */
export class Embedding extends Module {
  readonly weight: Parameter;

  constructor(
    prefix: string,
    readonly num: number,
    readonly dim: number,
    options: { init?: Initializer; decay?: boolean } = {},
  ) {
    super(prefix);
    this.weight = this.param(
      "weight",
      [num, dim],
      options.init ?? normal(dim ** -0.5),
      options.decay ?? false,
    );
  }

  /** ids: [...] int64 -> [..., dim] */
  forward(s: Scope, ids: Value): Value {
    return s.b.gather(s.value(this.weight), ids, 0);
  }

  /** Tied output layer: h: [..., dim] -> logits [..., num] */
  project(s: Scope, h: Value): Value {
    return s.b.linear(h, s.value(this.weight));
  }
}

export type NormKind = "layer" | "rms";

/** LayerNorm (weight + bias) or RMSNorm (weight only, T5's "layer_norm"). */
export class Norm extends Module {
  readonly weight: Parameter;
  readonly bias?: Parameter;

  constructor(
    prefix: string,
    dim: number,
    readonly kind: NormKind = "layer",
    readonly eps = 1e-5,
  ) {
    super(prefix);
    this.weight = this.param("weight", [dim], ones, false);
    if (kind === "layer") this.bias = this.param("bias", [dim], zeros, false);
  }

  /** x: [..., dim] -> [..., dim] */
  forward(s: Scope, x: Value): Value {
    if (this.kind === "rms") return s.b.rmsNorm(x, s.value(this.weight), this.eps);
    return s.b.layerNorm(x, s.value(this.weight), s.value(this.bias!), this.eps);
  }
}
