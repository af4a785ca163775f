// The Transformer encoder–decoder (Vaswani et al. 2017, "Attention Is All You Need"): a bidirectional
// self-attention encoder and a causal decoder with cross-attention; names follow Hugging Face BART/Marian.

import type { Value } from "../graph/ir.ts";
import { causalBias, paddingBias } from "../nn/attention.ts";
import { normal } from "../nn/init.ts";
import { Embedding, Linear, Norm, type NormKind } from "../nn/layers.ts";
import { BoundScope, Module, type Scope } from "../nn/module.ts";
import { LearnedPositions, positionIds, SinusoidalPositions } from "../nn/positions.ts";
import {
  type Activation,
  type LayerOptions,
  TransformerDecoderLayer,
  TransformerEncoderLayer,
} from "../nn/transformer-layers.ts";
import type { LossBuilder } from "../train/step-graph.ts";
import { type InferenceGraphs, IO, type Seq2SeqModel, type TrainingLossOptions } from "./seq2seq.ts";
import { transformerInferenceGraphs } from "./transformer-graphs.ts";

export interface TransformerConfig {
  srcVocabSize: number;
  tgtVocabSize: number;
  /** One embedding table for source and target (`model.shared.weight`); needs equal vocabulary sizes. */
  shareEmbeddings: boolean;
  /** The output projection is the target embedding (no `lm_head.weight`). */
  tieOutput: boolean;
  dModel: number;
  heads: number;
  ffDim: number;
  encoderLayers: number;
  decoderLayers: number;
  activation: Activation;
  preNorm: boolean;
  norm: NormKind;
  normEps: number;
  bias: boolean;
  dropout: number;
  attentionDropout: number;
  activationDropout: number;
  positions: "sinusoidal" | "learned";
  maxPositions: number;
  /** Multiply embeddings by √d_model (§3.4). */
  scaleEmbedding: boolean;
  padId: number;
}

export const TRANSFORMER_DEFAULTS: TransformerConfig = {
  srcVocabSize: 1000,
  tgtVocabSize: 1000,
  shareEmbeddings: true,
  tieOutput: true,
  dModel: 256,
  heads: 4,
  ffDim: 1024,
  encoderLayers: 3,
  decoderLayers: 3,
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

/** Per-layer decoder cache produced by one decoder call. */
export interface DecoderOutput {
  /** [batch, t, tgtVocab] */
  logits: Value;
  /** Self-attention keys/values per layer, [batch, heads, past + t, d_head]. */
  selfKeyValues: Array<{ key: Value; value: Value }>;
  /** Cross-attention weights of the last layer averaged over heads: [batch, t, src]. */
  crossAttention: Value;
}

export class Transformer extends Module implements Seq2SeqModel {
  readonly architecture = "transformer";
  readonly srcEmbed: Embedding;
  readonly tgtEmbed: Embedding;
  readonly encoderPositions: SinusoidalPositions | LearnedPositions;
  readonly decoderPositions: SinusoidalPositions | LearnedPositions;
  readonly encoderLayers: TransformerEncoderLayer[];
  readonly decoderLayers: TransformerDecoderLayer[];
  readonly encoderNorm?: Norm;
  readonly decoderNorm?: Norm;
  readonly lmHead?: Linear;
  readonly srcVocabSize: number;
  readonly tgtVocabSize: number;
  readonly padId: number;

  constructor(readonly config: TransformerConfig) {
    super("");
    const c = config;
    this.srcVocabSize = c.srcVocabSize;
    this.tgtVocabSize = c.tgtVocabSize;
    this.padId = c.padId;
    const embInit = normal(c.dModel ** -0.5);
    if (c.shareEmbeddings) {
      if (c.srcVocabSize !== c.tgtVocabSize)
        throw new Error("shareEmbeddings needs srcVocabSize == tgtVocabSize");
      this.srcEmbed = this.child(new Embedding("model.shared", c.srcVocabSize, c.dModel, { init: embInit }));
      this.tgtEmbed = this.srcEmbed;
    } else {
      this.srcEmbed = this.child(
        new Embedding("model.encoder.embed_tokens", c.srcVocabSize, c.dModel, { init: embInit }),
      );
      this.tgtEmbed = this.child(
        new Embedding("model.decoder.embed_tokens", c.tgtVocabSize, c.dModel, { init: embInit }),
      );
    }
    const positions = (prefix: string) =>
      c.positions === "learned"
        ? this.child(new LearnedPositions(prefix, c.maxPositions, c.dModel))
        : new SinusoidalPositions(c.maxPositions, c.dModel);
    this.encoderPositions = positions("model.encoder.embed_positions");
    this.decoderPositions = positions("model.decoder.embed_positions");
    const o: LayerOptions = c;
    this.encoderLayers = Array.from({ length: c.encoderLayers }, (_, i) =>
      this.child(new TransformerEncoderLayer(`model.encoder.layers.${i}`, o)),
    );
    this.decoderLayers = Array.from({ length: c.decoderLayers }, (_, i) =>
      this.child(new TransformerDecoderLayer(`model.decoder.layers.${i}`, o)),
    );
    if (c.preNorm) {
      this.encoderNorm = this.child(new Norm("model.encoder.layer_norm", c.dModel, c.norm, c.normEps));
      this.decoderNorm = this.child(new Norm("model.decoder.layer_norm", c.dModel, c.norm, c.normEps));
    }
    if (!c.tieOutput)
      this.lmHead = this.child(new Linear("lm_head", c.dModel, c.tgtVocabSize, { bias: false }));
  }

  /** Token embeddings (scaled) plus positions: ids [batch, t] -> [batch, t, d_model]. */
  private embed(
    s: Scope,
    table: Embedding,
    positions: SinusoidalPositions | LearnedPositions,
    ids: Value,
    past?: Value,
  ): Value {
    const b = s.b;
    let x = table.forward(s, ids); // [batch, t, d_model]
    if (this.config.scaleEmbedding) x = b.mul(x, Math.sqrt(this.config.dModel));
    x = b.add(x, positions.forward(s, positionIds(s, ids, past))); // [batch, t, d_model]
    return s.training ? b.dropout(x, this.config.dropout) : x;
  }

  /** srcIds: [batch, src] int64 -> memory [batch, src, d_model] */
  encode(s: Scope, srcIds: Value): Value {
    const padBias = paddingBias(s, srcIds, this.config.padId); // [batch, 1, 1, src]
    let h = this.embed(s, this.srcEmbed, this.encoderPositions, srcIds);
    for (const layer of this.encoderLayers) h = layer.forward(s, h, padBias);
    return this.encoderNorm ? this.encoderNorm.forward(s, h) : h;
  }

  /** Cross-attention keys/values of every decoder layer, each [batch, heads, src, d_head] (computed once per input). */
  crossKeyValues(s: Scope, memory: Value): Array<{ key: Value; value: Value }> {
    return this.decoderLayers.map((layer) => layer.crossAttn.projectKeyValue(s, memory));
  }

  /**
   * tgtIds: [batch, t] (teacher-forced inputs, or one step); memory: [batch, src, d_model]; srcIds: [batch, src].
   * past: per-layer self-attention caches and their length (a 1-element int64), for incremental decoding.
   * cross: precomputed cross-attention keys/values per layer (then `memory` may be undefined).
   */
  decode(
    s: Scope,
    tgtIds: Value,
    memory: Value | undefined,
    srcIds: Value,
    past?: { length: Value; keyValues: Array<{ key: Value; value: Value }> },
    cross?: Array<{ key: Value; value: Value }>,
  ): DecoderOutput {
    const b = s.b;
    const memoryBias = paddingBias(s, srcIds, this.config.padId); // [batch, 1, 1, src]
    const causal = causalBias(s, tgtIds, past?.length); // [1, 1, t, past + t]
    let h = this.embed(s, this.tgtEmbed, this.decoderPositions, tgtIds, past?.length);
    const selfKeyValues: Array<{ key: Value; value: Value }> = [];
    let crossWeights: Value | undefined;
    this.decoderLayers.forEach((layer, i) => {
      const r = layer.forward(s, h, memory, causal, memoryBias, {
        past: past?.keyValues[i],
        cross: cross?.[i],
      });
      h = r.output;
      selfKeyValues.push(r.selfKeyValue);
      crossWeights = r.crossWeights;
    });
    if (this.decoderNorm) h = this.decoderNorm.forward(s, h);
    const logits = this.lmHead ? this.lmHead.forward(s, h) : this.tgtEmbed.project(s, h); // [batch, t, V]
    const crossAttention = b.reduceMean(crossWeights!, [1], false); // [batch, t, src]
    return { logits, selfKeyValues, crossAttention };
  }

  /** Teacher-forced label-smoothed cross-entropy over src_ids, tgt_in, tgt_out (see IO). */
  trainingLoss(options: TrainingLossOptions = {}): LossBuilder {
    return (b, params) => {
      const s = new BoundScope(b, params, options.training ?? true);
      const src = b.input(IO.src, "int64", ["batch", "srcLen"]);
      const tgtIn = b.input(IO.tgtIn, "int64", ["batch", "tgtLen"]);
      const tgtOut = b.input(IO.tgtOut, "int64", ["batch", "tgtLen"]);
      const memory = this.encode(s, src); // [batch, srcLen, d_model]
      const { logits } = this.decode(s, tgtIn, memory, src); // [batch, tgtLen, V]
      const { loss, count } = b.crossEntropy(logits, tgtOut, {
        ignoreIndex: (options.ignorePad ?? true) ? this.padId : undefined,
        labelSmoothing: options.labelSmoothing ?? 0,
      });
      return { loss, outputs: { tokens: count } };
    };
  }

  inferenceGraphs(weights: ReadonlyMap<string, Float32Array>): InferenceGraphs {
    return transformerInferenceGraphs(this, weights);
  }
}
