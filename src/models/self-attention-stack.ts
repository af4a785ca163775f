// Transformer blocks run under any additive mask, with an optional key/value cache, and the prefix-LM mask:
// the parts the decoder-only and encoder-only families share (nn/ has the layers, not these masks).

import type { Value } from "../graph/ir.ts";
import type { AttentionResult } from "../nn/attention.ts";
import type { Scope } from "../nn/module.ts";
import type { TransformerEncoderLayer } from "../nn/transformer-layers.ts";

/** Keys/values of one layer, [batch, heads, keys, d_head]. */
export interface KeyValue {
  key: Value;
  value: Value;
}

/** What a stack of self-attention blocks returns. */
export interface StackOutput {
  /** Hidden states before the final norm: [batch, q, d_model]. */
  hidden: Value;
  /** Keys/values of every layer (past ones included): [batch, heads, past + q, d_head]. */
  keyValues: KeyValue[];
  /** The last layer's attention weights: [batch, heads, q, past + q]. */
  weights: Value;
}

/**
 * One Transformer block (Vaswani et al. §3.1: self-attention then feed-forward, each residual, pre- or
 * post-norm) under an arbitrary additive mask, with an optional key/value cache.
 * x: [batch, q, d_model]; bias: broadcastable to [batch, heads, q, past + q]; past: [batch, heads, past, d_head].
 */
export function selfAttentionBlock(
  s: Scope,
  layer: TransformerEncoderLayer,
  x: Value,
  bias: Value,
  past?: KeyValue,
): { output: Value; keyValue: KeyValue; weights: Value } {
  const b = s.b;
  const o = layer.o;
  const drop = (h: Value) => (s.training ? b.dropout(h, o.dropout) : h);
  let h: Value;
  let attention: AttentionResult;
  if (o.preNorm) {
    const n = layer.selfAttnNorm.forward(s, x); // [batch, q, d_model]
    attention = layer.selfAttn.forward(s, n, n, bias, { past });
    h = b.add(x, drop(attention.output)); // [batch, q, d_model]
    h = b.add(h, drop(layer.ffn.forward(s, layer.finalNorm.forward(s, h)))); // [batch, q, d_model]
  } else {
    attention = layer.selfAttn.forward(s, x, x, bias, { past });
    h = layer.selfAttnNorm.forward(s, b.add(x, drop(attention.output))); // [batch, q, d_model]
    h = layer.finalNorm.forward(s, b.add(h, drop(layer.ffn.forward(s, h)))); // [batch, q, d_model]
  }
  return {
    output: h,
    keyValue: { key: attention.key, value: attention.value },
    weights: attention.weights,
  };
}

/** Runs `layers` in order over x [batch, q, d_model] under `bias`, with optional per-layer caches. */
export function selfAttentionStack(
  s: Scope,
  layers: readonly TransformerEncoderLayer[],
  x: Value,
  bias: Value,
  past?: readonly KeyValue[],
): StackOutput {
  if (layers.length === 0) throw new Error("a self-attention stack needs at least one layer");
  let hidden = x;
  let weights = x;
  const keyValues: KeyValue[] = [];
  layers.forEach((layer, i) => {
    const r = selfAttentionBlock(s, layer, hidden, bias, past?.[i]);
    hidden = r.output; // [batch, q, d_model]
    keyValues.push(r.keyValue);
    weights = r.weights; // [batch, heads, q, past + q]
  });
  return { hidden, keyValues, weights };
}

/**
 * The additive attention mask of a prefix LM: [batch, 1, q, k], 0 where query i (at sequence index
 * queryIndex[i]) may see key j, -1e9 elsewhere. A key is visible when it is not padding (keyValid) and
 * j <= queryIndex[i] (causal), or j < prefixLength when given (the bidirectional source prefix).
 * keyValid: [batch, k] bool; queryIndex: [q] int64; prefixLength: rank-0 int64.
 */
export function prefixLmBias(s: Scope, keyValid: Value, queryIndex: Value, prefixLength?: Value): Value {
  const b = s.b;
  const keys = b.reshape(b.dimOf(keyValid, 1), []); // []
  const keyIndex = b.range(b.scalar(0, "int64"), keys, b.scalar(1, "int64"), keyValid.shape[1]!); // [k]
  let allowed = b.lessOrEqual(b.unsqueeze(keyIndex, [0]), b.unsqueeze(queryIndex, [1])); // [q, k]
  if (prefixLength) allowed = b.or(allowed, b.unsqueeze(b.less(keyIndex, prefixLength), [0])); // [q, k]
  const visible = b.and(b.unsqueeze(allowed, [0]), b.unsqueeze(keyValid, [1])); // [batch, q, k]
  return b.unsqueeze(b.mul(b.cast(b.not(visible), "float32"), -1e9), [1]); // [batch, 1, q, k]
}

/** Number of non-pad tokens per row: ids [batch, t] -> [batch, 1] int64. */
export function tokenCounts(s: Scope, ids: Value, padId: number): Value {
  const b = s.b;
  const real = b.cast(b.not(b.equal(ids, padId)), "float32"); // [batch, t]
  return b.cast(b.reduceSum(real, [1], true), "int64"); // [batch, 1]
}
