// Attention for recurrent decoders: Bahdanau's additive attention and Luong's global attention scores,
// each over all encoder states with padding masked out, returning the context vector and the weights.

import type { Value } from "../graph/ir.ts";
import type { Initializer } from "./init.ts";
import { Linear } from "./layers.ts";
import { Module, type Scope } from "./module.ts";

export interface AttentionOutput {
  /** Σ_j α_j h_j: [batch, memoryDim] */
  context: Value;
  /** α: [batch, srcLen], zero at padding. */
  weights: Value;
}

/** Additive mask bias of a bool source mask [batch, srcLen] (true at tokens): 0 at tokens, −1e9 at padding. */
export function maskBias(s: Scope, mask: Value): Value {
  const b = s.b;
  return b.mul(b.cast(b.not(mask), "float32"), -1e9); // [batch, srcLen]
}

/** softmax over the source positions after masking, then the weighted sum of `memory` [batch, srcLen, D]. */
function attend(s: Scope, scores: Value, bias: Value, memory: Value): AttentionOutput {
  const b = s.b;
  const weights = b.softmax(b.add(scores, bias), -1); // [batch, srcLen]
  const context = b.squeeze(b.matmul(b.unsqueeze(weights, [1]), memory), [1]); // [batch, D]
  return { context, weights };
}

/**
 * Additive attention (Bahdanau et al. 2014, §3.1 and appendix A.1.2): e_ij = v_aᵀ tanh(W_a s_{i−1} + U_a h_j),
 * α_ij = softmax_j(e_ij), c_i = Σ_j α_ij h_j. U_a h_j does not depend on i: `projectKeys` computes it once.
 * Parameters `query` (W_a), `key` (U_a) and `energy` (v_a), without biases as in the paper.
 */
export class BahdanauAttention extends Module {
  readonly query: Linear;
  readonly key: Linear;
  readonly energy: Linear;

  constructor(
    prefix: string,
    queryDim: number,
    keyDim: number,
    readonly attentionDim: number,
    init: { query?: Initializer; key?: Initializer; energy?: Initializer } = {},
  ) {
    super(prefix);
    const o = (i?: Initializer) => ({ bias: false, init: i });
    this.query = this.child(new Linear(this.qualified("query"), queryDim, attentionDim, o(init.query)));
    this.key = this.child(new Linear(this.qualified("key"), keyDim, attentionDim, o(init.key)));
    this.energy = this.child(new Linear(this.qualified("energy"), attentionDim, 1, o(init.energy)));
  }

  /** U_a h_j: memory [batch, srcLen, keyDim] -> [batch, srcLen, attentionDim] */
  projectKeys(s: Scope, memory: Value): Value {
    return this.key.forward(s, memory);
  }

  /** query [batch, queryDim]; keys from projectKeys; memory [batch, srcLen, D]; bias from maskBias. */
  forward(s: Scope, query: Value, keys: Value, memory: Value, bias: Value): AttentionOutput {
    const b = s.b;
    const q = b.unsqueeze(this.query.forward(s, query), [1]); // [batch, 1, A]
    const hidden = b.tanh(b.add(keys, q)); // [batch, srcLen, A]
    const scores = b.squeeze(this.energy.forward(s, hidden), [2]); // [batch, srcLen]
    return attend(s, scores, bias, memory);
  }
}

export type LuongScore = "dot" | "general" | "concat";

/**
 * Global attention scores (Luong et al. 2015, §3.1, eq. 8): dot h_tᵀ h̄_s; general h_tᵀ W_a h̄_s;
 * concat v_aᵀ tanh(W_a [h_t; h̄_s]), written as v_aᵀ tanh(W_q h_t + W_k h̄_s) (the two column blocks of W_a).
 * `projectKeys` applies whatever acts on h̄_s alone once per source: h̄_s (dot), W_a h̄_s (general), W_k h̄_s (concat).
 */
export class LuongAttention extends Module {
  readonly key?: Linear;
  readonly query?: Linear;
  readonly energy?: Linear;

  constructor(
    prefix: string,
    readonly score: LuongScore,
    hiddenDim: number,
    attentionDim: number,
    init?: Initializer,
    energyInit: Initializer | undefined = init,
  ) {
    super(prefix);
    const o = { bias: false, init };
    if (score === "general") {
      this.key = this.child(new Linear(this.qualified("key"), hiddenDim, hiddenDim, o));
    } else if (score === "concat") {
      this.query = this.child(new Linear(this.qualified("query"), hiddenDim, attentionDim, o));
      this.key = this.child(new Linear(this.qualified("key"), hiddenDim, attentionDim, o));
      this.energy = this.child(
        new Linear(this.qualified("energy"), attentionDim, 1, { bias: false, init: energyInit }),
      );
    }
  }

  /** memory h̄ [batch, srcLen, H] -> keys [batch, srcLen, H] (dot, general) or [batch, srcLen, A] (concat) */
  projectKeys(s: Scope, memory: Value): Value {
    return this.key ? this.key.forward(s, memory) : memory;
  }

  /** h_t [batch, H]; keys from projectKeys; memory h̄ [batch, srcLen, H]; bias from maskBias. */
  forward(s: Scope, h: Value, keys: Value, memory: Value, bias: Value): AttentionOutput {
    const b = s.b;
    let scores: Value;
    if (this.score === "concat") {
      const q = b.unsqueeze(this.query!.forward(s, h), [1]); // [batch, 1, A]
      scores = b.squeeze(this.energy!.forward(s, b.tanh(b.add(keys, q))), [2]); // [batch, srcLen]
    } else {
      scores = b.squeeze(b.matmul(keys, b.unsqueeze(h, [2])), [2]); // [batch, srcLen]
    }
    return attend(s, scores, bias, memory);
  }
}
