// The encoder-only family: a bidirectional Transformer encoder with a classification head per position
// (tagging, same-length transduction) or per sequence (pooled), behind the same encode/step contract.

import { Builder } from "../graph/composites.ts";
import type { Value } from "../graph/ir.ts";
import { paddingBias } from "../nn/attention.ts";
import { Linear } from "../nn/layers.ts";
import { BoundScope, ConstantScope, type Scope } from "../nn/module.ts";
import type { LossBuilder } from "../train/step-graph.ts";
import {
  SELF_ATTENTION_STACK_DEFAULTS,
  type SelfAttentionStackConfig,
  SelfAttentionStackModel,
  tokenCounts,
} from "./self-attention-stack.ts";
import { type InferenceGraphs, IO, type Seq2SeqModel, type TrainingLossOptions } from "./seq2seq.ts";
import { sourceIds, targetCrossEntropy, targetInputs } from "./target-loss.ts";

/**
 * The shared stack options (maxPositions is the longest source; tgtVocabSize is the number of labels, the
 * target tokenizer's vocabulary) plus the classifier's own.
 */
export interface EncoderOnlyConfig extends SelfAttentionStackConfig {
  /**
   * "token": source position i predicts target token i (tagging; |target| must equal |source|, EOS included).
   * "pooled": one label per sequence from the mean of the source's hidden states (target = label + EOS).
   */
  head: "token" | "pooled";
  /** The classifier is the embedding table (logits = h Eᵀ, no bias); needs srcVocabSize == tgtVocabSize. */
  tieOutput: boolean;
  /** The target id decoding emits once every label is out (past the source, or after the pooled label). */
  eosId: number;
}

const { srcVocabSize, tgtVocabSize, ...stackDefaults } = SELF_ATTENTION_STACK_DEFAULTS;

export const ENCODER_ONLY_DEFAULTS: EncoderOnlyConfig = {
  // The vocabulary and head options first, then the shared ones (the order config files list them in).
  srcVocabSize,
  tgtVocabSize,
  head: "token",
  tieOutput: false,
  ...stackDefaults,
  eosId: 2,
};

/** Encoder graph outputs: each label's logits and the source attention behind it. */
const LABEL_LOGITS = "label_logits";
const LABEL_ATTENTION = "label_attention";

/** Label logits [batch, labels, V] and the attention of each label over the source [batch, labels, src]. */
export interface LabelOutput {
  logits: Value;
  attention: Value;
}

/**
 * A Transformer encoder (Vaswani et al. 2017, §3.1) with BERT's classification heads (Devlin et al. 2019,
 * §4: a linear layer per token for tagging, or over a pooled sequence vector). As a Seq2SeqModel it
 * transduces without generating: decoder step t returns label t's logits, and EOS once the labels run out.
 * Label i belongs to source position i, so it cannot insert or delete tokens (docs/families.md).
 */
export class TransformerEncoderClassifier extends SelfAttentionStackModel implements Seq2SeqModel {
  readonly architecture = "encoder-only";
  readonly classifier?: Linear;
  /** Every position needs a row of the position table. */
  readonly maxSourceLength: number;

  constructor(readonly config: EncoderOnlyConfig) {
    const c = config;
    if (c.eosId < 0 || c.eosId >= c.tgtVocabSize) {
      throw new Error(`encoder-only: eosId ${c.eosId} is not a target id (tgtVocabSize ${c.tgtVocabSize})`);
    }
    if (c.tieOutput && c.srcVocabSize !== c.tgtVocabSize) {
      throw new Error(
        `encoder-only: tieOutput needs srcVocabSize == tgtVocabSize (got ${c.srcVocabSize} and ${c.tgtVocabSize})`,
      );
    }
    super(c, "encoder-only", c.srcVocabSize, { prefix: "model.encoder", finalNorm: "layer_norm" });
    this.maxSourceLength = c.maxPositions;
    if (!c.tieOutput) this.classifier = this.child(new Linear("classifier", c.dModel, c.tgtVocabSize));
  }

  /** srcIds [batch, src] -> hidden states [batch, src, d_model] and last-layer attention [batch, src, src]. */
  encode(s: Scope, srcIds: Value): { hidden: Value; attention: Value } {
    const x = this.embedTokens(s, srcIds); // [batch, src, d_model]
    const out = this.stack(s, x, paddingBias(s, srcIds, this.padId));
    const hidden = this.finalNorm ? this.finalNorm.forward(s, out.hidden) : out.hidden; // [batch, src, d_model]
    return { hidden, attention: s.b.reduceMean(out.weights, [1], false) }; // attention: [batch, src, src]
  }

  /** The head over the encoder: labels = src ("token") or 1 ("pooled"). */
  labels(s: Scope, srcIds: Value): LabelOutput {
    const b = s.b;
    const { hidden, attention } = this.encode(s, srcIds);
    const dropped = s.training ? b.dropout(hidden, this.config.dropout) : hidden;
    if (this.config.head === "token") return { logits: this.classify(s, dropped), attention }; // [batch, src, V]
    const real = b.cast(b.not(b.equal(srcIds, this.padId)), "float32"); // [batch, src]
    const share = b.div(real, b.max(b.reduceSum(real, [1], true), 1)); // [batch, src]
    const pool = b.unsqueeze(share, [1]); // [batch, 1, src] the mean over the source's tokens
    const pooled = b.matmul(pool, dropped); // [batch, 1, d_model]
    return { logits: this.classify(s, pooled), attention: pool }; // [batch, 1, V]
  }

  /** The classifier: h [..., d_model] -> logits [..., tgtVocab]. */
  classify(s: Scope, h: Value): Value {
    return this.classifier ? this.classifier.forward(s, h) : this.embed.project(s, h);
  }

  /**
   * The targets each label is trained on, [batch, labels]: tgt_out[:, i] at source position i ("token";
   * pad where the source is padding or the target has ended; targets past the source are dropped),
   * or tgt_out[:, 0] ("pooled").
   */
  alignedTargets(s: Scope, srcIds: Value, tgtOut: Value): Value {
    const b = s.b;
    const pad = this.padId;
    if (this.config.head === "pooled") return b.slice(tgtOut, 1, 0, 1); // [batch, 1]
    const filler = b.constantOfShape(b.shapeOf(srcIds), srcIds.shape, pad, "int64"); // [batch, src]
    const long = b.concat([tgtOut, filler], 1); // [batch, tgt + src]
    const cut = b.sliceDynamic(long, 1, b.ints([0]), b.dimOf(srcIds, 1), srcIds.shape[1]!); // [batch, src]
    return b.where(b.equal(srcIds, pad), pad, cut); // [batch, src]
  }

  /**
   * Cross-entropy of the labels against tgt_out aligned to source positions. Extra outputs: `tokens`
   * (labels counted) and `misaligned_rows`: rows whose target length (read from tgt_in = BOS + y, the
   * length of tgt_out) is not the source length ("token") or not label + EOS ("pooled").
   */
  trainingLoss(options: TrainingLossOptions = {}): LossBuilder {
    return (b, params) => {
      const s = new BoundScope(b, params, options.training ?? true);
      const src = sourceIds(s);
      const { tgtIn, tgtOut } = targetInputs(b);
      const { logits } = this.labels(s, src); // [batch, labels, V]
      const targets = this.alignedTargets(s, src, tgtOut); // [batch, labels]
      const { loss, tokens } = targetCrossEntropy(b, logits, targets, this.padId, options);
      const expected = this.config.head === "token" ? tokenCounts(s, src, this.padId) : b.scalar(2, "int64");
      const differs = b.not(b.equal(tokenCounts(s, tgtIn, this.padId), expected)); // [batch, 1]
      return { loss, outputs: { tokens, misaligned_rows: b.sumAll(b.cast(differs, "float32")) } };
    };
  }

  /**
   * Decoder-step logits [batch, t, V] for steps pastLength .. pastLength + t - 1: label i's logits while
   * i < the row's label count (source tokens, or 1 when pooled), then a distribution certain of EOS.
   */
  stepLogits(s: Scope, tgtIds: Value, srcIds: Value, pastLength: Value, labels: LabelOutput): LabelOutput {
    const b = s.b;
    const one = b.scalar(1, "int64");
    const start = b.reshape(pastLength, []); // []
    const step = b.range(start, b.add(start, b.reshape(b.dimOf(tgtIds, 1), [])), one, tgtIds.shape[1]!); // [t]
    const count = this.config.head === "token" ? tokenCounts(s, srcIds, this.padId) : one; // [batch, 1] or []
    const live = b.less(b.unsqueeze(step, [0]), count); // [batch, t]
    const last = b.sub(b.reshape(b.dimOf(labels.logits, 1), []), one); // []
    const index = b.min(step, last); // [t] clamped into the label table
    const picked = b.gather(labels.logits, index, 1); // [batch, t, V]
    const eosOnly = new Float32Array(this.tgtVocabSize).fill(-1e9);
    eosOnly[this.config.eosId] = 0;
    const eos = b.constant({ dtype: "float32", dims: [this.tgtVocabSize], data: eosOnly }); // [V]
    const attention = b.gather(labels.attention, index, 1); // [batch, t, src]
    return {
      logits: b.where(b.unsqueeze(live, [2]), picked, eos), // [batch, t, V]
      attention: b.mul(attention, b.unsqueeze(b.cast(live, "float32"), [2])), // [batch, t, src]
    };
  }

  /**
   * Encoder: src_ids [batch, srcLen] -> label_logits [batch, labels, V], label_attention [batch, labels, srcLen].
   * Decoder step (no cache; tgt_ids only sets how many steps): tgt_ids [batch, t], src_ids, past_length [1],
   * label_logits, label_attention -> logits [batch, t, V], cross_attention [batch, t, srcLen] (for "token":
   * the last layer's self-attention of that position, mean over heads; for "pooled": the pooling weights).
   */
  inferenceGraphs(weights: ReadonlyMap<string, Float32Array>): InferenceGraphs {
    const V = this.tgtVocabSize;
    const labelDim = this.config.head === "token" ? "srcLen" : 1;
    const eb = new Builder();
    const out = this.labels(new ConstantScope(eb, weights), eb.input(IO.src, "int64", ["batch", "srcLen"]));
    const encoder = eb.build("encoder", { [LABEL_LOGITS]: out.logits, [LABEL_ATTENTION]: out.attention });

    const b = new Builder();
    const s = new ConstantScope(b, weights);
    const tgt = b.input(IO.tgt, "int64", ["batch", "t"]);
    const src = b.input(IO.src, "int64", ["batch", "srcLen"]);
    const pastLength = b.input(IO.pastLength, "int64", [1]);
    const labels = {
      logits: b.input(LABEL_LOGITS, "float32", ["batch", labelDim, V]),
      attention: b.input(LABEL_ATTENTION, "float32", ["batch", labelDim, "srcLen"]),
    };
    const step = this.stepLogits(s, tgt, src, pastLength, labels);
    // Every contract input is declared, used or not (the pooled head never reads src_ids).
    const decoderStep = b.build(
      "decoder_step",
      { [IO.logits]: step.logits, [IO.crossAttention]: step.attention },
      { inputs: [tgt, src, pastLength, labels.logits, labels.attention] },
    );
    return { encoder, encoderOutputs: [LABEL_LOGITS, LABEL_ATTENTION], decoderStep, cache: [] };
  }
}
