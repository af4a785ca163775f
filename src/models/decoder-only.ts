// The decoder-only family as a prefix LM (Liu et al. 2018, "Generating Wikipedia by Summarizing Long
// Sequences", §4.2 T-D; Raffel et al. 2020, T5 §3.2.1 "Prefix LM"): one masked self-attention stack over [source, target].

import type { Value } from "../graph/ir.ts";
import { Linear } from "../nn/layers.ts";
import type { Scope } from "../nn/module.ts";
import type { LossBuilder } from "../train/step-graph.ts";
import { prefixLmInferenceGraphs } from "./decoder-only-graphs.ts";
import {
  prefixLmBias,
  SELF_ATTENTION_STACK_DEFAULTS,
  type SelfAttentionStackConfig,
  SelfAttentionStackModel,
  tokenCounts,
} from "./self-attention-stack.ts";
import type { InferenceGraphs, Seq2SeqModel, TrainingLossOptions } from "./seq2seq.ts";
import { sourceIds, teacherForcedLoss } from "./target-loss.ts";

/** The shared stack options (maxPositions covers source + target tokens together) plus the prefix LM's own. */
export interface DecoderOnlyConfig extends SelfAttentionStackConfig {
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
}

const { srcVocabSize, tgtVocabSize, ...stackDefaults } = SELF_ATTENTION_STACK_DEFAULTS;

export const DECODER_ONLY_DEFAULTS: DecoderOnlyConfig = {
  // The vocabulary options first, then the shared ones (the order config files list them in).
  srcVocabSize,
  tgtVocabSize,
  sharedVocabulary: true,
  tieOutput: true,
  prefixAttention: "bidirectional",
  ...stackDefaults,
};

/**
 * A decoder-only Transformer trained as a prefix LM on [source, target]: the source (ending in EOS, which
 * is the separator) is right-padded; positions skip the padding and the mask hides it, so padding never
 * changes an output. Targets start with BOS (the decoder's first input); the loss covers the target only.
 * Parameter names follow Hugging Face OPT (`model.decoder.layers.i.self_attn.q_proj`, `fc1`, ...).
 */
export class PrefixLm extends SelfAttentionStackModel implements Seq2SeqModel {
  readonly architecture = "decoder-only";
  readonly lmHead?: Linear;
  /** Table row of target id 0: 0 with a shared vocabulary, else srcVocabSize. */
  readonly targetOffset: number;
  /** Source and target share the position table: leave room for at least one target token. */
  readonly maxSourceLength: number;
  /** Source + decoder input together fill at most maxPositions positions. */
  readonly sharedPositions: number;

  constructor(readonly config: DecoderOnlyConfig) {
    const c = config;
    if (c.sharedVocabulary && c.srcVocabSize !== c.tgtVocabSize) {
      throw new Error(
        `decoder-only: sharedVocabulary needs srcVocabSize == tgtVocabSize (got ${c.srcVocabSize} and ${c.tgtVocabSize}); use a joint tokenizer or set sharedVocabulary false`,
      );
    }
    const targetOffset = c.sharedVocabulary ? 0 : c.srcVocabSize;
    const names = { prefix: "model.decoder", finalNorm: "final_layer_norm" };
    super(c, "decoder-only", targetOffset + c.tgtVocabSize, names);
    this.maxSourceLength = c.maxPositions - 1;
    this.sharedPositions = c.maxPositions;
    this.targetOffset = targetOffset;
    if (!c.tieOutput)
      this.lmHead = this.child(new Linear("lm_head", c.dModel, c.tgtVocabSize, { bias: false }));
  }

  /** Target ids [batch, t] -> their embedding-table rows [batch, t]. */
  targetRows(s: Scope, tgtIds: Value): Value {
    return this.targetOffset ? s.b.add(tgtIds, this.targetOffset) : tgtIds;
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
    const logits = (s: Scope, src: Value, tgtIn: Value) => this.forward(s, src, tgtIn).logits; // [batch, tgtLen, V]
    return teacherForcedLoss(options, this.padId, sourceIds, logits);
  }

  inferenceGraphs(weights: ReadonlyMap<string, Float32Array>): InferenceGraphs {
    return prefixLmInferenceGraphs(this, weights);
  }
}
