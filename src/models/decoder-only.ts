// The decoder-only family as a prefix LM (Liu et al. 2018, "Generating Wikipedia by Summarizing Long
// Sequences", §4.2 T-D; Raffel et al. 2020, T5 §3.2.1 "Prefix LM"): one masked self-attention stack over [source, target].

import type { Value } from "../graph/ir.ts";
import { normal } from "../nn/init.ts";
import { Embedding, Linear, Norm, type NormKind } from "../nn/layers.ts";
import { BoundScope, Module, type Scope } from "../nn/module.ts";
import { LearnedPositions, SinusoidalPositions } from "../nn/positions.ts";
import { type Activation, type LayerOptions, TransformerEncoderLayer } from "../nn/transformer-layers.ts";
import type { LossBuilder } from "../train/step-graph.ts";
import { prefixLmInferenceGraphs } from "./decoder-only-graphs.ts";
import {
  type KeyValue,
  prefixLmBias,
  type StackOutput,
  selfAttentionStack,
  tokenCounts,
} from "./self-attention-stack.ts";
import { type InferenceGraphs, IO, type Seq2SeqModel, type TrainingLossOptions } from "./seq2seq.ts";

export interface DecoderOnlyConfig {
  srcVocabSize: number;
  tgtVocabSize: number;
  /**
   * Source and target ids index one table (a joint tokenizer pair; needs equal sizes). When false, the
   * table has srcVocabSize + tgtVocabSize rows and target ids are offset by srcVocabSize inside the graphs.
   */
  sharedVocabulary: boolean;
  /** The output projection is the target rows of the embedding table (no `lm_head.weight`). */
  tieOutput: boolean;
  /**
   * "bidirectional": source positions see the whole source (T5's prefix LM); "causal": every position sees
   * only itself and earlier ones (T5's "language model", Liu et al.'s T-D). Targets are causal either way.
   */
  prefixAttention: "bidirectional" | "causal";
  dModel: number;
  heads: number;
  ffDim: number;
  /** 7 layers of 12·d² weights each match the default 3+3-layer Transformer's 84·d² (docs/families.md). */
  layers: number;
  activation: Activation;
  preNorm: boolean;
  norm: NormKind;
  normEps: number;
  bias: boolean;
  dropout: number;
  attentionDropout: number;
  activationDropout: number;
  positions: "sinusoidal" | "learned";
  /** Must cover source + target tokens together. */
  maxPositions: number;
  /** Multiply embeddings by √d_model (Vaswani et al. §3.4). */
  scaleEmbedding: boolean;
  padId: number;
}

export const DECODER_ONLY_DEFAULTS: DecoderOnlyConfig = {
  srcVocabSize: 1000,
  tgtVocabSize: 1000,
  sharedVocabulary: true,
  tieOutput: true,
  prefixAttention: "bidirectional",
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

/**
 * A decoder-only Transformer trained as a prefix LM on [source, target]: the source (ending in EOS, which
 * is the separator) is right-padded; positions skip the padding and the mask hides it, so padding never
 * changes an output. Targets start with BOS (the decoder's first input); the loss covers the target only.
 * Parameter names follow Hugging Face OPT (`model.decoder.layers.i.self_attn.q_proj`, `fc1`, ...).
 */
export class PrefixLm extends Module implements Seq2SeqModel {
  readonly architecture = "decoder-only";
  readonly embed: Embedding;
  readonly positions: SinusoidalPositions | LearnedPositions;
  readonly layers: TransformerEncoderLayer[];
  readonly finalNorm?: Norm;
  readonly lmHead?: Linear;
  readonly srcVocabSize: number;
  readonly tgtVocabSize: number;
  readonly padId: number;
  /** Table row of target id 0: 0 with a shared vocabulary, else srcVocabSize. */
  readonly targetOffset: number;
  /** Source and target share the position table: leave room for at least one target token. */
  readonly maxSourceLength: number;

  constructor(readonly config: DecoderOnlyConfig) {
    super("");
    const c = config;
    if (c.sharedVocabulary && c.srcVocabSize !== c.tgtVocabSize) {
      throw new Error(
        `decoder-only: sharedVocabulary needs srcVocabSize == tgtVocabSize (got ${c.srcVocabSize} and ${c.tgtVocabSize}); use a joint tokenizer or set sharedVocabulary false`,
      );
    }
    if (!(c.layers >= 1)) throw new Error(`decoder-only: layers must be at least 1, got ${c.layers}`);
    this.srcVocabSize = c.srcVocabSize;
    this.tgtVocabSize = c.tgtVocabSize;
    this.padId = c.padId;
    this.maxSourceLength = c.maxPositions - 1;
    this.targetOffset = c.sharedVocabulary ? 0 : c.srcVocabSize;
    const rows = this.targetOffset + c.tgtVocabSize;
    this.embed = this.child(
      new Embedding("model.decoder.embed_tokens", rows, c.dModel, { init: normal(c.dModel ** -0.5) }),
    );
    this.positions =
      c.positions === "learned"
        ? this.child(new LearnedPositions("model.decoder.embed_positions", c.maxPositions, c.dModel))
        : new SinusoidalPositions(c.maxPositions, c.dModel);
    const o: LayerOptions = c;
    this.layers = Array.from({ length: c.layers }, (_, i) =>
      this.child(new TransformerEncoderLayer(`model.decoder.layers.${i}`, o)),
    );
    if (c.preNorm)
      this.finalNorm = this.child(new Norm("model.decoder.final_layer_norm", c.dModel, c.norm, c.normEps));
    if (!c.tieOutput)
      this.lmHead = this.child(new Linear("lm_head", c.dModel, c.tgtVocabSize, { bias: false }));
  }

  /** Table rows of token ids [batch, t] (target ids are offset) plus positions [t] or [batch, t] -> [batch, t, d_model]. */
  embedTokens(s: Scope, rows: Value, positions: Value): Value {
    const b = s.b;
    let x = this.embed.forward(s, rows); // [batch, t, d_model]
    if (this.config.scaleEmbedding) x = b.mul(x, Math.sqrt(this.config.dModel));
    x = b.add(x, this.positions.forward(s, positions)); // [batch, t, d_model]
    return s.training ? b.dropout(x, this.config.dropout) : x;
  }

  /** Target ids [batch, t] -> their embedding-table rows [batch, t]. */
  targetRows(s: Scope, tgtIds: Value): Value {
    return this.targetOffset ? s.b.add(tgtIds, this.targetOffset) : tgtIds;
  }

  /** Every layer over x [batch, q, d_model] under `bias`, with optional per-layer caches. */
  stack(s: Scope, x: Value, bias: Value, past?: readonly KeyValue[]): StackOutput {
    return selfAttentionStack(s, this.layers, x, bias, past);
  }

  /** Final norm and output layer: h [batch, t, d_model] -> logits [batch, t, tgtVocab]. */
  project(s: Scope, h: Value): Value {
    const b = s.b;
    const normed = this.finalNorm ? this.finalNorm.forward(s, h) : h;
    if (this.lmHead) return this.lmHead.forward(s, normed);
    const table = s.value(this.embed.weight); // [rows, d_model]
    const targets = this.targetOffset ? b.slice(table, 0, this.targetOffset, this.embed.num) : table; // [tgtVocab, d_model]
    return b.linear(normed, targets); // [batch, t, tgtVocab]
  }

  /**
   * Teacher-forced forward over [src, tgt]: srcIds [batch, src] (right-padded), tgtIds [batch, t] (BOS + y).
   * Returns the target positions' logits [batch, t, tgtVocab] and their attention over the source
   * [batch, t, src] (last layer, mean over heads).
   */
  forward(s: Scope, srcIds: Value, tgtIds: Value): { logits: Value; crossAttention: Value } {
    const b = s.b;
    const pad = this.padId;
    const srcLen = b.reshape(b.dimOf(srcIds, 1), []); // []
    const ids = b.concat([srcIds, this.targetRows(s, tgtIds)], 1); // [batch, src + t]
    const valid = b.concat([b.not(b.equal(srcIds, pad)), b.not(b.equal(tgtIds, pad))], 1); // [batch, src + t]
    const zero = b.scalar(0, "int64");
    const total = b.reshape(b.dimOf(ids, 1), []); // []
    const index = b.range(zero, total, b.scalar(1, "int64"), ids.shape[1]!); // [src + t]
    // Target positions continue from the row's real source length: index - (srcLen - length) past the source.
    const shift = b.sub(srcLen, tokenCounts(s, srcIds, pad)); // [batch, 1]
    const inTarget = b.cast(b.greaterOrEqual(index, srcLen), "int64"); // [src + t]
    const positions = b.sub(index, b.mul(inTarget, shift)); // [batch, src + t]
    const prefix = this.config.prefixAttention === "bidirectional" ? srcLen : undefined;
    const bias = prefixLmBias(s, valid, index, prefix); // [batch, 1, src + t, src + t]
    const out = this.stack(s, this.embedTokens(s, ids, positions), bias);
    const end = b.add(b.dimOf(srcIds, 1), b.dimOf(tgtIds, 1)); // [1]
    const targetHidden = b.sliceDynamic(out.hidden, 1, b.dimOf(srcIds, 1), end, tgtIds.shape[1]!); // [batch, t, d_model]
    const toTargets = b.sliceDynamic(out.weights, 2, b.dimOf(srcIds, 1), end, tgtIds.shape[1]!); // [batch, heads, t, src + t]
    const onSource = b.sliceDynamic(toTargets, 3, b.ints([0]), b.dimOf(srcIds, 1), srcIds.shape[1]!); // [batch, heads, t, src]
    return {
      logits: this.project(s, targetHidden), // [batch, t, tgtVocab]
      crossAttention: b.reduceMean(onSource, [1], false), // [batch, t, src]
    };
  }

  /** Teacher-forced cross-entropy on the target part only, over src_ids, tgt_in, tgt_out (see IO). */
  trainingLoss(options: TrainingLossOptions = {}): LossBuilder {
    return (b, params) => {
      const s = new BoundScope(b, params, options.training ?? true);
      const src = b.input(IO.src, "int64", ["batch", "srcLen"]);
      const tgtIn = b.input(IO.tgtIn, "int64", ["batch", "tgtLen"]);
      const tgtOut = b.input(IO.tgtOut, "int64", ["batch", "tgtLen"]);
      const { logits } = this.forward(s, src, tgtIn); // [batch, tgtLen, V]
      const { loss, count } = b.crossEntropy(logits, tgtOut, {
        ignoreIndex: (options.ignorePad ?? true) ? this.padId : undefined,
        labelSmoothing: options.labelSmoothing ?? 0,
      });
      return { loss, outputs: { tokens: count } };
    };
  }

  inferenceGraphs(weights: ReadonlyMap<string, Float32Array>): InferenceGraphs {
    return prefixLmInferenceGraphs(this, weights);
  }
}
