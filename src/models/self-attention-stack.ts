// What the decoder-only and encoder-only families share: their common options, the embeddings + blocks + final
// norm they are built from, Transformer blocks under any additive mask with an optional key/value cache, and masks.

import type { Value } from "../graph/ir.ts";
import type { AttentionResult } from "../nn/attention.ts";
import { normal } from "../nn/init.ts";
import { Embedding, Norm } from "../nn/layers.ts";
import { Module, type Scope } from "../nn/module.ts";
import { LearnedPositions, positionIds, SinusoidalPositions } from "../nn/positions.ts";
import { type LayerOptions, TransformerEncoderLayer } from "../nn/transformer-layers.ts";

/** Options both self-attention-stack families have (each family's config extends this): the layer options plus these. */
export interface SelfAttentionStackConfig
  extends Pick<
    LayerOptions,
    | "dModel"
    | "heads"
    | "ffDim"
    | "activation"
    | "preNorm"
    | "norm"
    | "normEps"
    | "bias"
    | "dropout"
    | "attentionDropout"
    | "activationDropout"
  > {
  srcVocabSize: number;
  tgtVocabSize: number;
  /** 7 layers of 12·d² weights each match the default 3+3-layer Transformer's 84·d² (docs/families.md). */
  layers: number;
  positions: "sinusoidal" | "learned";
  /** Rows of the position table (the decoder-only family's must cover source + target tokens together). */
  maxPositions: number;
  /** Multiply embeddings by √d_model (Vaswani et al. §3.4). */
  scaleEmbedding: boolean;
  padId: number;
}

export const SELF_ATTENTION_STACK_DEFAULTS: SelfAttentionStackConfig = {
  srcVocabSize: 1000,
  tgtVocabSize: 1000,
  dModel: 256,
  heads: 4,
  ffDim: 1024,
  layers: 7,
  activation: "relu",
  preNorm: true,
  norm: "layer",
  normEps: 1e-5,
  bias: true,
  dropout: 0.1,
  attentionDropout: 0,
  activationDropout: 0,
  positions: "sinusoidal",
  maxPositions: 512,
  scaleEmbedding: true,
  padId: 0,
};

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

/** Checkpoint names of a stack family's modules: `${prefix}.embed_tokens`, `.embed_positions`, `.layers.i`, `.${finalNorm}`. */
export interface StackNames {
  prefix: string;
  finalNorm: string;
}

/**
 * A stack of Transformer blocks (Vaswani et al. 2017, §3.1) over token embeddings (scaled) plus absolute
 * positions, with a final norm when pre-norm. Its parameters, in this order, come before the family's head.
 */
export abstract class SelfAttentionStackModel extends Module {
  abstract readonly config: SelfAttentionStackConfig;
  readonly embed: Embedding;
  readonly positions: SinusoidalPositions | LearnedPositions;
  readonly layers: TransformerEncoderLayer[];
  readonly finalNorm?: Norm;
  readonly srcVocabSize: number;
  readonly tgtVocabSize: number;
  readonly padId: number;

  /** `family` names the family in errors; `rows` is the embedding table's size. */
  constructor(c: SelfAttentionStackConfig, family: string, rows: number, names: StackNames) {
    super("");
    if (!(c.layers >= 1)) throw new Error(`${family}: layers must be at least 1, got ${c.layers}`);
    this.srcVocabSize = c.srcVocabSize;
    this.tgtVocabSize = c.tgtVocabSize;
    this.padId = c.padId;
    const p = names.prefix;
    this.embed = this.child(
      new Embedding(`${p}.embed_tokens`, rows, c.dModel, { init: normal(c.dModel ** -0.5) }),
    );
    this.positions =
      c.positions === "learned"
        ? this.child(new LearnedPositions(`${p}.embed_positions`, c.maxPositions, c.dModel))
        : new SinusoidalPositions(c.maxPositions, c.dModel);
    const o: LayerOptions = c;
    this.layers = Array.from({ length: c.layers }, (_, i) =>
      this.child(new TransformerEncoderLayer(`${p}.layers.${i}`, o)),
    );
    if (c.preNorm)
      this.finalNorm = this.child(new Norm(`${p}.${names.finalNorm}`, c.dModel, c.norm, c.normEps));
  }

  /**
   * Table rows [batch, t] plus positions [t] or [batch, t] (default 0 .. t - 1) -> [batch, t, d_model]:
   * the token embeddings (scaled), plus the position embeddings, with dropout in training.
   */
  embedTokens(s: Scope, rows: Value, positions?: Value): Value {
    const b = s.b;
    let x = this.embed.forward(s, rows); // [batch, t, d_model]
    if (this.config.scaleEmbedding) x = b.mul(x, Math.sqrt(this.config.dModel));
    x = b.add(x, this.positions.forward(s, positions ?? positionIds(s, rows, undefined))); // [batch, t, d_model]
    return s.training ? b.dropout(x, this.config.dropout) : x;
  }

  /** Every layer over x [batch, q, d_model] under `bias`, with optional per-layer caches. */
  stack(s: Scope, x: Value, bias: Value, past?: readonly KeyValue[]): StackOutput {
    return selfAttentionStack(s, this.layers, x, bias, past);
  }
}
