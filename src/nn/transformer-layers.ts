// Transformer encoder and decoder layers (Vaswani et al. 2017, §3.1), pre- or post-norm, named by a table
// of Hugging Face checkpoint names (BART's self_attn/fc1/... by default, or T5's layer.0.SelfAttention/...).

import type { Value } from "../graph/ir.ts";
import {
  type AttentionNames,
  type AttentionOptions,
  type AttentionResult,
  BART_ATTENTION_NAMES,
  MultiHeadAttention,
} from "./attention.ts";
import { Linear, Norm, type NormKind } from "./layers.ts";
import { Module, type Scope } from "./module.ts";

/** gelu: exact erf form; gelu_tanh: the tanh approximation (HF "gelu_new"); silu: x·σ(x) (HF "swish"). */
export type Activation = "relu" | "gelu" | "gelu_tanh" | "silu";

/**
 * Checkpoint names of a layer's parts, relative to the layer's prefix. `ffn` is the prefix of the
 * feed-forward linears ("" = the layer itself); `gate` is the linear half of a gated FFN.
 */
export interface LayerNames {
  selfAttn: string;
  selfAttnNorm: string;
  crossAttn: string;
  crossAttnNorm: string;
  ffn: string;
  fc1: string;
  gate: string;
  fc2: string;
  finalNorm: string;
  attention: AttentionNames;
}

/** BART-family names (also used by Marian, mBART, M2M100/NLLB, Whisper). */
export const BART_LAYER_NAMES: LayerNames = {
  selfAttn: "self_attn",
  selfAttnNorm: "self_attn_layer_norm",
  crossAttn: "encoder_attn",
  crossAttnNorm: "encoder_attn_layer_norm",
  ffn: "",
  fc1: "fc1",
  gate: "gate_proj",
  fc2: "fc2",
  finalNorm: "final_layer_norm",
  attention: BART_ATTENTION_NAMES,
};

/** `prefix.name`, or `prefix` alone when `name` is empty. */
export function joinName(prefix: string, name: string): string {
  if (!name) return prefix;
  return prefix ? `${prefix}.${name}` : name;
}

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
  /** Gated FFN act(x W1) ⊙ (x Wg) (Shazeer 2020, "GLU Variants"; T5 v1.1). Default false. */
  gatedFfn?: boolean;
  /** Whether the attention key projections have a bias (default `bias`; false for Whisper). */
  keyBias?: boolean;
  /** Scale attention scores by 1/√d_head (default true; false for T5). */
  scaleAttention?: boolean;
  /** Size of each attention head (default dModel / heads). */
  headDim?: number;
  /** Checkpoint names (default BART_LAYER_NAMES). */
  names?: LayerNames;
}

export function activate(s: Scope, x: Value, activation: Activation): Value {
  switch (activation) {
    case "relu":
      return s.b.relu(x);
    case "gelu":
      return s.b.gelu(x);
    case "gelu_tanh":
      return s.b.geluTanh(x);
    case "silu":
      return s.b.silu(x);
  }
}

/**
 * Position-wise feed-forward network FFN(x) = act(x W1 + b1) W2 + b2 (§3.3), or its gated form
 * FFN(x) = (act(x W1) ⊙ x Wg) W2 (Shazeer 2020) when `gatedFfn`.
 */
export class FeedForward extends Module {
  readonly fc1: Linear;
  readonly gate?: Linear;
  readonly fc2: Linear;

  constructor(
    prefix: string,
    readonly o: LayerOptions,
  ) {
    super(prefix);
    const n = o.names ?? BART_LAYER_NAMES;
    const linear = (name: string, inF: number, outF: number) =>
      this.child(new Linear(joinName(prefix, name), inF, outF, { bias: o.bias }));
    this.fc1 = linear(n.fc1, o.dModel, o.ffDim);
    if (o.gatedFfn) this.gate = linear(n.gate, o.dModel, o.ffDim);
    this.fc2 = linear(n.fc2, o.ffDim, o.dModel);
  }

  /** x: [batch, t, d_model] -> [batch, t, d_model] */
  forward(s: Scope, x: Value): Value {
    let hidden = activate(s, this.fc1.forward(s, x), this.o.activation); // [batch, t, ff]
    if (this.gate) hidden = s.b.mul(hidden, this.gate.forward(s, x)); // [batch, t, ff]
    const dropped = s.training ? s.b.dropout(hidden, this.o.activationDropout) : hidden;
    return this.fc2.forward(s, dropped); // [batch, t, d_model]
  }
}

/** The attention options of a layer's attention blocks. */
function attentionOptions(o: LayerOptions): AttentionOptions {
  return {
    bias: o.bias,
    keyBias: o.keyBias,
    dropout: o.attentionDropout,
    scale: o.scaleAttention ?? true,
    headDim: o.headDim,
    names: (o.names ?? BART_LAYER_NAMES).attention,
  };
}

/** residual(x) = x + dropout(sublayer(norm(x))) (pre-norm) or norm(x + dropout(sublayer(x))) (post-norm). */
function residual(s: Scope, x: Value, norm: Norm, o: LayerOptions, sublayer: (h: Value) => Value): Value {
  const b = s.b;
  const drop = (h: Value) => (s.training ? b.dropout(h, o.dropout) : h);
  if (o.preNorm) return b.add(x, drop(sublayer(norm.forward(s, x))));
  return norm.forward(s, b.add(x, drop(sublayer(x))));
}

/** What both layer kinds are built from: checkpoint-named attention blocks, norms and the feed-forward network. */
abstract class TransformerLayer extends Module {
  protected readonly names: LayerNames;

  constructor(
    prefix: string,
    readonly o: LayerOptions,
  ) {
    super(prefix);
    this.names = o.names ?? BART_LAYER_NAMES;
  }

  /** A multi-head attention block named `name` under this layer. */
  protected attention(name: string): MultiHeadAttention {
    const o = this.o;
    return this.child(
      new MultiHeadAttention(joinName(this.prefix, name), o.dModel, o.heads, attentionOptions(o)),
    );
  }

  /** A norm over d_model named `name` under this layer. */
  protected norm(name: string): Norm {
    return this.child(new Norm(joinName(this.prefix, name), this.o.dModel, this.o.norm, this.o.normEps));
  }

  /** The feed-forward network under `names.ffn`. */
  protected feedForward(): FeedForward {
    return this.child(new FeedForward(joinName(this.prefix, this.names.ffn), this.o));
  }
}

/** Self-attention then feed-forward (§3.1, the encoder's layer). */
export class TransformerEncoderLayer extends TransformerLayer {
  readonly selfAttn: MultiHeadAttention;
  readonly selfAttnNorm: Norm;
  readonly ffn: FeedForward;
  readonly finalNorm: Norm;

  constructor(prefix: string, o: LayerOptions) {
    super(prefix, o);
    this.selfAttn = this.attention(this.names.selfAttn);
    this.selfAttnNorm = this.norm(this.names.selfAttnNorm);
    this.ffn = this.feedForward();
    this.finalNorm = this.norm(this.names.finalNorm);
  }

  /** x: [batch, src, d_model]; padBias: broadcastable to [batch, heads, src, src] (or none) -> [batch, src, d_model] */
  forward(s: Scope, x: Value, padBias: Value | undefined): Value {
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

/** Causal self-attention, cross-attention over the encoder output, then feed-forward (§3.1, the decoder's layer). */
export class TransformerDecoderLayer extends TransformerLayer {
  readonly selfAttn: MultiHeadAttention;
  readonly selfAttnNorm: Norm;
  readonly crossAttn: MultiHeadAttention;
  readonly crossAttnNorm: Norm;
  readonly ffn: FeedForward;
  readonly finalNorm: Norm;

  constructor(prefix: string, o: LayerOptions) {
    super(prefix, o);
    const n = this.names;
    this.selfAttn = this.attention(n.selfAttn);
    this.selfAttnNorm = this.norm(n.selfAttnNorm);
    this.crossAttn = this.attention(n.crossAttn);
    this.crossAttnNorm = this.norm(n.crossAttnNorm);
    this.ffn = this.feedForward();
    this.finalNorm = this.norm(n.finalNorm);
  }

  /**
   * x: [batch, t, d_model]; memory: [batch, src, d_model]; causal: broadcastable to [batch, heads, t, past + t]
   * (with T5's relative position bias added); memoryBias: [batch, 1, 1, src] (none: every source position counts).
   * cache.past: earlier self-attention keys/values; cache.cross: precomputed cross-attention keys/values.
   */
  forward(
    s: Scope,
    x: Value,
    memory: Value | undefined,
    causal: Value,
    memoryBias: Value | undefined,
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

/** What a stack of decoder layers returns. */
export interface DecoderStackResult {
  /** The last layer's output: [batch, t, d_model]. */
  output: Value;
  /** Every layer's self-attention keys/values including the past ones: [batch, heads, past + t, d_head]. */
  selfKeyValues: Array<{ key: Value; value: Value }>;
  /** The last layer's cross-attention weights [batch, heads, t, src]. */
  crossWeights: Value;
}

/**
 * Runs decoder `layers` in order over x [batch, t, d_model] (arguments as in TransformerDecoderLayer.forward),
 * layer i with past[i] (its earlier self-attention keys/values) and cross[i] (precomputed cross-attention ones).
 */
export function decoderStack(
  s: Scope,
  layers: readonly TransformerDecoderLayer[],
  x: Value,
  memory: Value | undefined,
  causal: Value,
  memoryBias: Value | undefined,
  past?: ReadonlyArray<{ key: Value; value: Value }>,
  cross?: ReadonlyArray<{ key: Value; value: Value }>,
): DecoderStackResult {
  let output = x;
  let crossWeights = x;
  const selfKeyValues: Array<{ key: Value; value: Value }> = [];
  layers.forEach((layer, i) => {
    const r = layer.forward(s, output, memory, causal, memoryBias, { past: past?.[i], cross: cross?.[i] });
    output = r.output; // [batch, t, d_model]
    selfKeyValues.push(r.selfKeyValue);
    crossWeights = r.crossWeights; // [batch, heads, t, src]
  });
  return { output, selfKeyValues, crossWeights };
}
