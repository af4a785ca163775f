// The Transformer encoder–decoder (Vaswani et al. 2017, "Attention Is All You Need"): a bidirectional
// self-attention encoder and a causal decoder with cross-attention. Its options cover the Hugging Face
// families BART, mBART, Marian, M2M100/NLLB and T5 (Raffel et al. 2020), whose checkpoint names it uses.

import type { Value } from "../graph/ir.ts";
import { causalBias, maskBias, paddingBias } from "../nn/attention.ts";
import { normal, zeros } from "../nn/init.ts";
import { Embedding, Linear, Norm, type NormKind } from "../nn/layers.ts";
import { Module, type Parameter, type Scope } from "../nn/module.ts";
import {
  LearnedPositions,
  PaddedSinusoidalPositions,
  positionIds,
  SinusoidalPositions,
} from "../nn/positions.ts";
import { RelativePositionBias } from "../nn/relative-position.ts";
import {
  type Activation,
  type LayerOptions,
  TransformerDecoderLayer,
  TransformerEncoderLayer,
} from "../nn/transformer-layers.ts";
import type { LossBuilder } from "../train/step-graph.ts";
import { type ModelNames, modelNames, type Naming } from "./hf-names.ts";
import type { InferenceGraphs, Seq2SeqModel, TrainingLossOptions } from "./seq2seq.ts";
import { sourceIds, teacherForcedLoss } from "./target-loss.ts";
import { transformerInferenceGraphs } from "./transformer-graphs.ts";

/** How positions enter: added sinusoids or a learned table, fairseq's padding-aware sinusoids, or T5's relative bias. */
export type PositionKind = "sinusoidal" | "learned" | "fairseq" | "relative";

export interface TransformerConfig {
  srcVocabSize: number;
  tgtVocabSize: number;
  /** One embedding table for source and target (`model.shared.weight`); needs equal vocabulary sizes. */
  shareEmbeddings: boolean;
  /** The output projection is the target embedding (no `lm_head.weight`). */
  tieOutput: boolean;
  dModel: number;
  heads: number;
  /** Size of each attention head (T5's d_kv); 0: dModel / heads. */
  headDim: number;
  ffDim: number;
  encoderLayers: number;
  decoderLayers: number;
  activation: Activation;
  /** Gated feed-forward act(x W1) ⊙ x Wg (T5 v1.1 "gated-gelu"; Shazeer 2020). */
  gatedFfn: boolean;
  preNorm: boolean;
  norm: NormKind;
  normEps: number;
  bias: boolean;
  /** Scale attention scores by 1/√d_head (§3.2.1); T5 does not. */
  scaleAttention: boolean;
  dropout: number;
  attentionDropout: number;
  activationDropout: number;
  positions: PositionKind;
  maxPositions: number;
  /** Rows stored before position 0 in a learned table (BART, mBART: 2). */
  positionOffset: number;
  /** T5 relative attention: number of buckets and the distance where the last bucket starts. */
  relativeBuckets: number;
  relativeMaxDistance: number;
  /** Multiply embeddings by √d_model (§3.4). */
  scaleEmbedding: boolean;
  /** LayerNorm over embeddings + positions (BART's layernorm_embedding). */
  layernormEmbedding: boolean;
  /** Multiply the decoder output by d_model^-0.5 before the output layer (T5 with a tied head). */
  scaleDecoderOutput: boolean;
  /** A learned bias on the logits (`final_logits_bias` of BART, mBART, Marian). */
  finalLogitsBias: boolean;
  /** Checkpoint names: "bart" (also mBART, Marian, M2M100/NLLB) or "t5". */
  naming: Naming;
  padId: number;
}

export const TRANSFORMER_DEFAULTS: TransformerConfig = {
  srcVocabSize: 1000,
  tgtVocabSize: 1000,
  shareEmbeddings: true,
  tieOutput: true,
  dModel: 256,
  heads: 4,
  headDim: 0,
  ffDim: 1024,
  encoderLayers: 3,
  decoderLayers: 3,
  activation: "relu",
  gatedFfn: false,
  preNorm: true,
  norm: "layer",
  normEps: 1e-5,
  bias: true,
  scaleAttention: true,
  dropout: 0.1,
  attentionDropout: 0,
  activationDropout: 0,
  positions: "sinusoidal",
  maxPositions: 512,
  positionOffset: 0,
  relativeBuckets: 32,
  relativeMaxDistance: 128,
  scaleEmbedding: true,
  layernormEmbedding: false,
  scaleDecoderOutput: false,
  finalLogitsBias: false,
  naming: "bart",
  padId: 0,
};

/** Per-layer decoder cache produced by one decoder call. */
export interface DecoderOutput {
  /** [batch, t, tgtVocab] */
  logits: Value;
  /** Self-attention keys/values per layer, [batch, heads, past + t, d_head]. */
  selfKeyValues: Array<{ key: Value; value: Value }>;
  /** Cross-attention weights of the last layer averaged over heads: [batch, t, src]. */
  crossAttention: Value;
}

type AbsolutePositions = SinusoidalPositions | LearnedPositions | PaddedSinusoidalPositions;

function checkConfig(c: TransformerConfig): void {
  const oneOf = (key: keyof TransformerConfig, allowed: readonly string[]) => {
    if (!allowed.includes(c[key] as string))
      throw new Error(
        `model config "${key}" must be one of ${allowed.join(", ")}; got ${JSON.stringify(c[key])}`,
      );
  };
  oneOf("positions", ["sinusoidal", "learned", "fairseq", "relative"]);
  oneOf("naming", ["bart", "t5"]);
  oneOf("activation", ["relu", "gelu", "gelu_tanh", "silu"]);
  oneOf("norm", ["layer", "rms"]);
  if (c.naming === "t5" && !c.preNorm)
    throw new Error('model config: naming "t5" needs preNorm (T5 blocks are pre-norm)');
}

/** One side's embedding stack: tokens (scaled), absolute positions, optional LayerNorm. */
interface EmbeddingStack {
  table: Embedding;
  positions?: AbsolutePositions;
  norm?: Norm;
}

export class Transformer extends Module implements Seq2SeqModel {
  readonly architecture = "transformer";
  readonly names: ModelNames;
  readonly srcEmbed: Embedding;
  readonly tgtEmbed: Embedding;
  readonly encoderEmbedding: EmbeddingStack;
  readonly decoderEmbedding: EmbeddingStack;
  readonly encoderRelative?: RelativePositionBias;
  readonly decoderRelative?: RelativePositionBias;
  readonly encoderLayers: TransformerEncoderLayer[];
  readonly decoderLayers: TransformerDecoderLayer[];
  readonly encoderNorm?: Norm;
  readonly decoderNorm?: Norm;
  readonly lmHead?: Linear;
  readonly logitsBias?: Parameter;
  readonly srcVocabSize: number;
  readonly tgtVocabSize: number;
  readonly padId: number;
  /** The heads' size (config headDim, or dModel / heads). */
  readonly headDim: number;

  constructor(readonly config: TransformerConfig) {
    super("");
    const c = config;
    checkConfig(c);
    this.srcVocabSize = c.srcVocabSize;
    this.tgtVocabSize = c.tgtVocabSize;
    this.padId = c.padId;
    this.headDim = c.headDim || c.dModel / c.heads;
    const n = modelNames(c.naming, c.gatedFfn);
    this.names = n;
    const embInit = normal(c.dModel ** -0.5);
    if (c.shareEmbeddings) {
      if (c.srcVocabSize !== c.tgtVocabSize)
        throw new Error("shareEmbeddings needs srcVocabSize == tgtVocabSize");
      this.srcEmbed = this.child(new Embedding(n.shared, c.srcVocabSize, c.dModel, { init: embInit }));
      this.tgtEmbed = this.srcEmbed;
    } else {
      this.srcEmbed = this.child(new Embedding(n.encoderEmbed, c.srcVocabSize, c.dModel, { init: embInit }));
      this.tgtEmbed = this.child(new Embedding(n.decoderEmbed, c.tgtVocabSize, c.dModel, { init: embInit }));
    }
    this.encoderEmbedding = this.embeddingStack(this.srcEmbed, n.encoderPositions, n.encoderEmbedNorm);
    this.decoderEmbedding = this.embeddingStack(this.tgtEmbed, n.decoderPositions, n.decoderEmbedNorm);
    if (c.positions === "relative") {
      const relative = (prefix: string, bidirectional: boolean) =>
        this.child(
          new RelativePositionBias(prefix, c.heads, c.relativeBuckets, c.relativeMaxDistance, bidirectional),
        );
      this.encoderRelative = relative(n.encoderRelativeBias, true);
      this.decoderRelative = relative(n.decoderRelativeBias, false);
    }
    const layerOptions = (decoder: boolean): LayerOptions => ({
      ...c,
      headDim: this.headDim,
      names: decoder ? n.decoderLayerParts : n.encoderLayerParts,
    });
    this.encoderLayers = Array.from({ length: c.encoderLayers }, (_, i) =>
      this.child(new TransformerEncoderLayer(n.encoderLayer(i), layerOptions(false))),
    );
    this.decoderLayers = Array.from({ length: c.decoderLayers }, (_, i) =>
      this.child(new TransformerDecoderLayer(n.decoderLayer(i), layerOptions(true))),
    );
    if (c.preNorm) {
      this.encoderNorm = this.child(new Norm(n.encoderNorm, c.dModel, c.norm, c.normEps));
      this.decoderNorm = this.child(new Norm(n.decoderNorm, c.dModel, c.norm, c.normEps));
    }
    if (!c.tieOutput)
      this.lmHead = this.child(new Linear(n.lmHead, c.dModel, c.tgtVocabSize, { bias: false }));
    if (c.finalLogitsBias) this.logitsBias = this.param(n.finalLogitsBias, [1, c.tgtVocabSize], zeros, false);
  }

  private embeddingStack(table: Embedding, positionsName: string, normName: string): EmbeddingStack {
    const c = this.config;
    let positions: AbsolutePositions | undefined;
    if (c.positions === "learned")
      positions = this.child(new LearnedPositions(positionsName, c.maxPositions, c.dModel, c.positionOffset));
    else if (c.positions === "sinusoidal") positions = new SinusoidalPositions(c.maxPositions, c.dModel);
    else if (c.positions === "fairseq")
      positions = new PaddedSinusoidalPositions(c.maxPositions, c.dModel, c.padId);
    const norm = c.layernormEmbedding
      ? this.child(new Norm(normName, c.dModel, c.norm, c.normEps))
      : undefined;
    return { table, positions, norm };
  }

  /** Token embeddings (scaled) plus absolute positions, then the optional norm: ids [batch, t] -> [batch, t, d_model]. */
  private embed(s: Scope, stack: EmbeddingStack, ids: Value, past?: Value): Value {
    const b = s.b;
    let x = stack.table.forward(s, ids); // [batch, t, d_model]
    if (this.config.scaleEmbedding) x = b.mul(x, Math.sqrt(this.config.dModel));
    const p = stack.positions;
    if (p instanceof PaddedSinusoidalPositions)
      x = b.add(x, p.forward(s, ids, past)); // [batch, t, d_model]
    else if (p) x = b.add(x, p.forward(s, positionIds(s, ids, past))); // [batch, t, d_model]
    if (stack.norm) x = stack.norm.forward(s, x);
    return s.training ? b.dropout(x, this.config.dropout) : x;
  }

  /** Additive bias hiding source padding: from srcMask [batch, src] (1 = token) if given, else srcIds == pad. */
  sourceBias(s: Scope, srcIds: Value, srcMask?: Value): Value {
    return srcMask ? maskBias(s, srcMask) : paddingBias(s, srcIds, this.config.padId); // [batch, 1, 1, src]
  }

  /** srcIds: [batch, src] int64 (srcMask: optional [batch, src] attention mask) -> memory [batch, src, d_model] */
  encode(s: Scope, srcIds: Value, srcMask?: Value): Value {
    let bias = this.sourceBias(s, srcIds, srcMask); // [batch, 1, 1, src]
    if (this.encoderRelative) {
      const positions = positionIds(s, srcIds, undefined); // [src]
      bias = s.b.add(bias, this.encoderRelative.forward(s, positions, positions)); // [batch, heads, src, src]
    }
    let h = this.embed(s, this.encoderEmbedding, srcIds);
    for (const layer of this.encoderLayers) h = layer.forward(s, h, bias);
    if (this.encoderNorm) h = this.encoderNorm.forward(s, h);
    return s.training && this.config.naming === "t5" ? s.b.dropout(h, this.config.dropout) : h;
  }

  /** Cross-attention keys/values of every decoder layer, each [batch, heads, src, d_head] (computed once per input). */
  crossKeyValues(s: Scope, memory: Value): Array<{ key: Value; value: Value }> {
    return this.decoderLayers.map((layer) => layer.crossAttn.projectKeyValue(s, memory));
  }

  /** Causal self-attention bias [1, heads or 1, t, past + t], with T5's relative position bias when used. */
  private selfBias(s: Scope, tgtIds: Value, pastLength?: Value): Value {
    const causal = causalBias(s, tgtIds, pastLength); // [1, 1, t, past + t]
    if (!this.decoderRelative) return causal;
    const b = s.b;
    const queries = positionIds(s, tgtIds, pastLength); // [t]
    const total = b.add(b.reshape(b.dimOf(tgtIds, 1), []), pastLength ? b.reshape(pastLength, []) : 0);
    const keys = b.range(b.scalar(0, "int64"), total, b.scalar(1, "int64"), "keys"); // [past + t]
    return b.add(causal, this.decoderRelative.forward(s, queries, keys)); // [1, heads, t, past + t]
  }

  /**
   * tgtIds: [batch, t] (teacher-forced inputs, or one step); memory: [batch, src, d_model];
   * memoryBias: [batch, 1, 1, src] (see sourceBias).
   * past: per-layer self-attention caches and their length (a 1-element int64), for incremental decoding.
   * cross: precomputed cross-attention keys/values per layer (then `memory` may be undefined).
   */
  decode(
    s: Scope,
    tgtIds: Value,
    memory: Value | undefined,
    memoryBias: Value,
    past?: { length: Value; keyValues: Array<{ key: Value; value: Value }> },
    cross?: Array<{ key: Value; value: Value }>,
  ): DecoderOutput {
    const b = s.b;
    const selfBias = this.selfBias(s, tgtIds, past?.length);
    let h = this.embed(s, this.decoderEmbedding, tgtIds, past?.length);
    const selfKeyValues: Array<{ key: Value; value: Value }> = [];
    let crossWeights: Value | undefined;
    this.decoderLayers.forEach((layer, i) => {
      const r = layer.forward(s, h, memory, selfBias, memoryBias, {
        past: past?.keyValues[i],
        cross: cross?.[i],
      });
      h = r.output;
      selfKeyValues.push(r.selfKeyValue);
      crossWeights = r.crossWeights;
    });
    const crossAttention = b.reduceMean(crossWeights!, [1], false); // [batch, t, src]
    return { logits: this.project(s, h), selfKeyValues, crossAttention };
  }

  /** Decoder states [batch, t, d_model] -> logits [batch, t, V] (final norm, T5's rescale, head, logits bias). */
  private project(s: Scope, hidden: Value): Value {
    const b = s.b;
    let h = this.decoderNorm ? this.decoderNorm.forward(s, hidden) : hidden;
    if (s.training && this.config.naming === "t5") h = b.dropout(h, this.config.dropout);
    if (this.config.scaleDecoderOutput) h = b.mul(h, this.config.dModel ** -0.5);
    let logits = this.lmHead ? this.lmHead.forward(s, h) : this.tgtEmbed.project(s, h); // [batch, t, V]
    if (this.logitsBias) logits = b.add(logits, s.value(this.logitsBias));
    return logits;
  }

  /** Teacher-forced label-smoothed cross-entropy over src_ids, tgt_in, tgt_out (see IO). */
  trainingLoss(options: TrainingLossOptions = {}): LossBuilder {
    return teacherForcedLoss(options, this.padId, sourceIds, (s, src, tgtIn) => {
      const memory = this.encode(s, src); // [batch, srcLen, d_model]
      return this.decode(s, tgtIn, memory, this.sourceBias(s, src)).logits; // [batch, tgtLen, V]
    });
  }

  inferenceGraphs(weights: ReadonlyMap<string, Float32Array>): InferenceGraphs {
    return transformerInferenceGraphs(this, weights);
  }
}
