// Transformer encoder and decoder layers (Vaswani et al. 2017, §3.1), pre- or post-norm, with the
// Hugging Face BART-family parameter names (self_attn, encoder_attn, fc1, fc2, *_layer_norm).

import type { Value } from "../graph/ir.ts";
import { type AttentionResult, MultiHeadAttention } from "./attention.ts";
import { Linear, Norm, type NormKind } from "./layers.ts";
import { Module, type Scope } from "./module.ts";

export type Activation = "relu" | "gelu" | "gelu_tanh";

export interface LayerOptions {
  dModel: number;
  heads: number;
  ffDim: number;
  activation: Activation;
  preNorm: boolean;
  norm: NormKind;
  normEps: number;
  bias: boolean;
  dropout: number;
  attentionDropout: number;
  activationDropout: number;
}

export function activate(s: Scope, x: Value, activation: Activation): Value {
  if (activation === "relu") return s.b.relu(x);
  return activation === "gelu" ? s.b.gelu(x) : s.b.geluTanh(x);
}

/** Position-wise feed-forward network FFN(x) = act(x W1 + b1) W2 + b2 (§3.3). */
export class FeedForward extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;

  constructor(
    prefix: string,
    readonly o: LayerOptions,
  ) {
    super(prefix);
    this.fc1 = this.child(new Linear(this.qualified("fc1"), o.dModel, o.ffDim, { bias: o.bias }));
    this.fc2 = this.child(new Linear(this.qualified("fc2"), o.ffDim, o.dModel, { bias: o.bias }));
  }

  /** x: [batch, t, d_model] -> [batch, t, d_model] */
  forward(s: Scope, x: Value): Value {
    const hidden = activate(s, this.fc1.forward(s, x), this.o.activation); // [batch, t, ff]
    const dropped = s.training ? s.b.dropout(hidden, this.o.activationDropout) : hidden;
    return this.fc2.forward(s, dropped);
  }
}

/** residual(x) = x + dropout(sublayer(norm(x))) (pre-norm) or norm(x + dropout(sublayer(x))) (post-norm). */
function residual(s: Scope, x: Value, norm: Norm, o: LayerOptions, sublayer: (h: Value) => Value): Value {
  const b = s.b;
  const drop = (h: Value) => (s.training ? b.dropout(h, o.dropout) : h);
  if (o.preNorm) return b.add(x, drop(sublayer(norm.forward(s, x))));
  return norm.forward(s, b.add(x, drop(sublayer(x))));
}

export class TransformerEncoderLayer extends Module {
  readonly selfAttn: MultiHeadAttention;
  readonly selfAttnNorm: Norm;
  readonly ffn: FeedForward;
  readonly finalNorm: Norm;

  constructor(
    prefix: string,
    readonly o: LayerOptions,
  ) {
    super(prefix);
    const attn = { bias: o.bias, dropout: o.attentionDropout };
    this.selfAttn = this.child(new MultiHeadAttention(this.qualified("self_attn"), o.dModel, o.heads, attn));
    this.selfAttnNorm = this.child(
      new Norm(this.qualified("self_attn_layer_norm"), o.dModel, o.norm, o.normEps),
    );
    this.ffn = this.child(new FeedForward(prefix, o));
    this.finalNorm = this.child(new Norm(this.qualified("final_layer_norm"), o.dModel, o.norm, o.normEps));
  }

  /** x: [batch, src, d_model]; padBias: [batch, 1, 1, src] -> [batch, src, d_model] */
  forward(s: Scope, x: Value, padBias: Value): Value {
    const h = residual(
      s,
      x,
      this.selfAttnNorm,
      this.o,
      (n) => this.selfAttn.forward(s, n, n, padBias).output,
    );
    return residual(s, h, this.finalNorm, this.o, (n) => this.ffn.forward(s, n));
  }
}

export interface DecoderLayerResult {
  output: Value;
  /** This step's self-attention keys/values including the past ones: [batch, heads, past + t, d_head]. */
  selfKeyValue: { key: Value; value: Value };
  /** Cross-attention weights [batch, heads, t, src]. */
  crossWeights: Value;
}

export class TransformerDecoderLayer extends Module {
  readonly selfAttn: MultiHeadAttention;
  readonly selfAttnNorm: Norm;
  readonly crossAttn: MultiHeadAttention;
  readonly crossAttnNorm: Norm;
  readonly ffn: FeedForward;
  readonly finalNorm: Norm;

  constructor(
    prefix: string,
    readonly o: LayerOptions,
  ) {
    super(prefix);
    const attn = { bias: o.bias, dropout: o.attentionDropout };
    this.selfAttn = this.child(new MultiHeadAttention(this.qualified("self_attn"), o.dModel, o.heads, attn));
    this.selfAttnNorm = this.child(
      new Norm(this.qualified("self_attn_layer_norm"), o.dModel, o.norm, o.normEps),
    );
    this.crossAttn = this.child(
      new MultiHeadAttention(this.qualified("encoder_attn"), o.dModel, o.heads, attn),
    );
    this.crossAttnNorm = this.child(
      new Norm(this.qualified("encoder_attn_layer_norm"), o.dModel, o.norm, o.normEps),
    );
    this.ffn = this.child(new FeedForward(prefix, o));
    this.finalNorm = this.child(new Norm(this.qualified("final_layer_norm"), o.dModel, o.norm, o.normEps));
  }

  /**
   * x: [batch, t, d_model]; memory: [batch, src, d_model]; causal: [1, 1, t, past + t]; memoryBias: [batch, 1, 1, src].
   * cache.past: earlier self-attention keys/values; cache.cross: precomputed cross-attention keys/values.
   */
  forward(
    s: Scope,
    x: Value,
    memory: Value | undefined,
    causal: Value,
    memoryBias: Value,
    cache: { past?: { key: Value; value: Value }; cross?: { key: Value; value: Value } } = {},
  ): DecoderLayerResult {
    let self: AttentionResult | undefined;
    let cross: AttentionResult | undefined;
    const h1 = residual(s, x, this.selfAttnNorm, this.o, (n) => {
      self = this.selfAttn.forward(s, n, n, causal, { past: cache.past });
      return self.output;
    });
    const h2 = residual(s, h1, this.crossAttnNorm, this.o, (n) => {
      cross = this.crossAttn.forward(s, n, memory, memoryBias, { cached: cache.cross });
      return cross.output;
    });
    const output = residual(s, h2, this.finalNorm, this.o, (n) => this.ffn.forward(s, n));
    return { output, selfKeyValue: { key: self!.key, value: self!.value }, crossWeights: cross!.weights };
  }
}
