// Multi-head scaled dot-product attention (Vaswani et al. 2017, §3.2):
//   Attention(Q, K, V) = softmax(Q Kᵀ / √d_k + M) V, with heads projected by q/k/v/out_proj.

import type { Value } from "../graph/ir.ts";
import { Linear } from "./layers.ts";
import { Module, type Scope } from "./module.ts";

/** Checkpoint names of the four projections (BART: q_proj/k_proj/v_proj/out_proj; T5: q/k/v/o). */
export interface AttentionNames {
  q: string;
  k: string;
  v: string;
  out: string;
}

export const BART_ATTENTION_NAMES: AttentionNames = {
  q: "q_proj",
  k: "k_proj",
  v: "v_proj",
  out: "out_proj",
};

export interface AttentionOptions {
  bias?: boolean;
  /** Whether k_proj has a bias (default `bias`; Whisper's k_proj has none). */
  keyBias?: boolean;
  /** Dropout on the attention weights (training graphs only). */
  dropout?: number;
  /** Multiply scores by 1/√d_head (false for T5, whose initialisation absorbs the scale). */
  scale?: boolean;
  /** Size of each head (default dModel / heads; T5 configs give it as d_kv). */
  headDim?: number;
  names?: AttentionNames;
}

export interface AttentionResult {
  /** [batch, tq, d_model] */
  output: Value;
  /** Attention weights [batch, heads, tq, tk] (for visualisation). */
  weights: Value;
  /** Projected keys and values [batch, heads, tk, d_head] (what a decoder cache keeps). */
  key: Value;
  value: Value;
}

export class MultiHeadAttention extends Module {
  readonly qProj: Linear;
  readonly kProj: Linear;
  readonly vProj: Linear;
  readonly outProj: Linear;
  readonly headDim: number;
  /** heads × headDim: the width of the projected queries, keys and values. */
  readonly inner: number;

  constructor(
    prefix: string,
    readonly dModel: number,
    readonly heads: number,
    readonly options: AttentionOptions = {},
  ) {
    super(prefix);
    if (!options.headDim && dModel % heads !== 0)
      throw new Error(`d_model ${dModel} is not divisible by ${heads} heads`);
    this.headDim = options.headDim || dModel / heads;
    this.inner = heads * this.headDim;
    const bias = options.bias ?? true;
    const n = options.names ?? BART_ATTENTION_NAMES;
    this.qProj = this.child(new Linear(this.qualified(n.q), dModel, this.inner, { bias }));
    const keyBias = options.keyBias ?? bias;
    this.kProj = this.child(new Linear(this.qualified(n.k), dModel, this.inner, { bias: keyBias }));
    this.vProj = this.child(new Linear(this.qualified(n.v), dModel, this.inner, { bias }));
    this.outProj = this.child(new Linear(this.qualified(n.out), this.inner, dModel, { bias }));
  }

  /** [batch, t, d_model] -> [batch, heads, t, d_head] */
  splitHeads(s: Scope, x: Value): Value {
    const split = s.b.reshape(x, [0, 0, this.heads, this.headDim]); // [batch, t, heads, d_head]
    return s.b.transpose(split, [0, 2, 1, 3]); // [batch, heads, t, d_head]
  }

  /** Keys and values of `memory` [batch, tk, d_model], each [batch, heads, tk, d_head]. */
  projectKeyValue(s: Scope, memory: Value): { key: Value; value: Value } {
    return {
      key: this.splitHeads(s, this.kProj.forward(s, memory)),
      value: this.splitHeads(s, this.vProj.forward(s, memory)),
    };
  }

  /**
   * query: [batch, tq, d_model]; memory: [batch, tk, d_model] (unused when `cached` keys/values are given).
   * bias: additive mask broadcastable to [batch, heads, tq, tk] (0 keeps, -1e9 drops), or undefined.
   * past: earlier keys/values to prepend (decoder self-attention with a cache).
   */
  forward(
    s: Scope,
    query: Value,
    memory: Value | undefined,
    bias: Value | undefined,
    cache: { past?: { key: Value; value: Value }; cached?: { key: Value; value: Value } } = {},
  ): AttentionResult {
    const b = s.b;
    const q = this.splitHeads(s, this.qProj.forward(s, query)); // [batch, heads, tq, d_head]
    if (!cache.cached && !memory)
      throw new Error(`${this.prefix}: attention needs a memory or cached keys/values`);
    let kv = cache.cached ?? this.projectKeyValue(s, memory!); // [batch, heads, tk, d_head]
    if (cache.past) {
      kv = { key: b.concat([cache.past.key, kv.key], 2), value: b.concat([cache.past.value, kv.value], 2) };
    }
    let scores = b.matmul(q, kv.key, { transB: true }); // [batch, heads, tq, tk]
    if (this.options.scale ?? true) scores = b.mul(scores, 1 / Math.sqrt(this.headDim));
    if (bias) scores = b.add(scores, bias);
    const weights = b.softmax(scores, -1); // [batch, heads, tq, tk]
    const dropped = s.training ? b.dropout(weights, this.options.dropout ?? 0) : weights;
    const context = b.matmul(dropped, kv.value); // [batch, heads, tq, d_head]
    const merged = b.reshape(b.transpose(context, [0, 2, 1, 3]), [0, 0, this.inner]); // [batch, tq, heads * d_head]
    return { output: this.outProj.forward(s, merged), weights, key: kv.key, value: kv.value };
  }
}

/** Additive key bias from blocked [batch, tk] bool (true = hidden) -> [batch, 1, 1, tk], -1e9 where blocked. */
export function blockedKeyBias(s: Scope, blocked: Value): Value {
  const b = s.b;
  return b.unsqueeze(b.mul(b.cast(blocked, "float32"), -1e9), [1, 2]); // [batch, 1, 1, tk]
}

/** Additive key-padding bias: ids [batch, tk] -> [batch, 1, 1, tk], 0 at tokens and -1e9 at padding. */
export function paddingBias(s: Scope, ids: Value, padId: number): Value {
  return blockedKeyBias(s, s.b.equal(ids, padId));
}

/** Additive bias from a Hugging Face attention_mask [batch, tk] (int64, 1 = token) -> [batch, 1, 1, tk]. */
export function maskBias(s: Scope, mask: Value): Value {
  return blockedKeyBias(s, s.b.equal(mask, 0));
}

/**
 * Which positions along `axis` of `x` [batch, ...] lie within each row's length: lengths [batch] int64 ->
 * [batch, t] bool (t = x's size on `axis`). Batched speech features are padded to the longest row; this marks
 * each row's own frames.
 */
export function lengthMask(s: Scope, x: Value, lengths: Value, axis = 1): Value {
  const b = s.b;
  const t = b.reshape(b.dimOf(x, axis), []); // []
  const positions = b.range(b.scalar(0, "int64"), t, b.scalar(1, "int64"), x.shape[axis]!); // [t]
  return b.less(b.unsqueeze(positions, [0]), b.unsqueeze(lengths, [1])); // [batch, t]
}

/**
 * Additive causal bias [1, 1, tq, past + tq]: query i (at absolute position past + i) sees keys j <= past + i.
 * `queries` is any [batch, tq, ...] value; `past` is a 1-element int64 value (0 without a cache).
 */
export function causalBias(s: Scope, queries: Value, past: Value | undefined): Value {
  const b = s.b;
  const tq = b.reshape(b.dimOf(queries, 1), []); // []
  const zero = b.scalar(0, "int64");
  const one = b.scalar(1, "int64");
  const offset = past ? b.reshape(past, []) : zero; // []
  const rows = b.add(b.range(zero, tq, one, queries.shape[1]!), offset); // [tq] absolute query positions
  const cols = b.range(zero, b.add(tq, offset), one, "keys"); // [tk]
  const allowed = b.lessOrEqual(b.unsqueeze(cols, [0]), b.unsqueeze(rows, [1])); // [tq, tk]
  const blocked = b.cast(b.not(allowed), "float32");
  return b.unsqueeze(b.mul(blocked, -1e9), [0, 1]); // [1, 1, tq, tk]
}
