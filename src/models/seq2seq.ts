// The contract every encoder–decoder family implements (RNN, attention RNN, Transformer, ...): a training
// loss, and inference graphs whose caches are described by data, so decoding never branches on the family.

import type { Graph } from "../graph/ir.ts";
import type { Dim } from "../graph/shape.ts";
import type { Module } from "../nn/module.ts";
import type { LossBuilder } from "../train/step-graph.ts";

/** Names shared by every family's graphs. */
export const IO = {
  /** Training batch: source ids [batch, srcLen], decoder inputs (BOS + y) and targets (y + EOS) [batch, tgtLen]. */
  src: "src_ids",
  /** Speech models' source instead of src_ids: log-mel features [batch, nMels, frames] float32. */
  features: "input_features",
  /** Their frames per row [batch] int64 (models with readsFeatureLengths): padding past a row's end is ignored. */
  featureLengths: "feature_lengths",
  /** The encoder's key bias over its output [batch, 1, 1, positions], fed on to every decoder step. */
  memoryBias: "memory_bias",
  tgtIn: "tgt_in",
  tgtOut: "tgt_out",
  /** Decoder step: the new tokens [batch, 1] and how many came before them ([1] int64). */
  tgt: "tgt_ids",
  pastLength: "past_length",
  /** Decoder step outputs: logits [batch, 1, V] and cross-attention weights [batch, 1, srcLen]. */
  logits: "logits",
  crossAttention: "cross_attention",
} as const;

/**
 * One piece of decoder state carried from step to step (a key/value cache, an RNN hidden state).
 * Its first dim is always the batch, so beams are reordered by gathering along axis 0.
 */
export interface CacheSlot {
  /** Decoder-step graph input name (the state before the step). */
  readonly input: string;
  /** Decoder-step graph output name (the state after the step). */
  readonly output: string;
  /** [batch, ...]; symbolic dims other than batch grow (e.g. "past"). */
  readonly shape: readonly Dim[];
  /**
   * The first step's value: an empty tensor (size 0 along `axis`, other dims from `shape`),
   * or an encoder-graph output of the same shape (e.g. the encoder's final RNN state).
   */
  readonly init:
    | { readonly kind: "empty"; readonly axis: number }
    | { readonly kind: "encoder"; readonly name: string };
}

/** Inference graphs with the weights baked in as initializers. */
export interface InferenceGraphs {
  /** Input: src_ids [batch, srcLen] (or input_features for speech models). Outputs: `encoderOutputs`, each [batch, ...]. */
  readonly encoder: Graph;
  readonly encoderOutputs: readonly string[];
  /**
   * Inputs: tgt_ids [batch, 1], src_ids (text models), past_length, every encoder output, every cache slot input.
   * Outputs: logits [batch, 1, V], cross_attention [batch, 1, srcLen], every cache slot output.
   */
  readonly decoderStep: Graph;
  readonly cache: readonly CacheSlot[];
}

/** Static source/target lengths a graph is unrolled to (recurrent families); shorter batches are padded inside. */
export interface LengthBucket {
  readonly srcLen: number;
  readonly tgtLen: number;
}

export interface TrainingLossOptions {
  labelSmoothing?: number;
  /** Ignore targets equal to the pad id (default true). */
  ignorePad?: boolean;
  /** Dropout active (default true). */
  training?: boolean;
  /**
   * Families with `lengthBuckets`: the static lengths to unroll this graph to (default: the last, longest
   * bucket). The graph then takes any batch with srcLen <= bucket.srcLen and tgtLen <= bucket.tgtLen.
   */
  bucket?: LengthBucket;
}

/** An encoder–decoder model of any family. */
export interface Seq2SeqModel extends Module {
  readonly architecture: string;
  readonly srcVocabSize: number;
  readonly tgtVocabSize: number;
  readonly padId: number;
  /**
   * Families whose graphs unroll over a static length (RNNs), ascending: a trainer builds one training graph
   * per bucket and runs each batch on the first bucket that holds it (docs/rnn.md). Absent: one graph, any length.
   */
  readonly lengthBuckets?: readonly LengthBucket[];
  /** The longest source the inference encoder takes, in tokens or feature frames (absent: no limit). */
  readonly maxSourceLength?: number;
  /** The longest decoder input (BOS + output) the decoder's positions allow (absent: no limit). */
  readonly maxTargetLength?: number;
  /**
   * Set when source and decoder input share one position table (the prefix LM): how many positions they
   * fill together. A sentence whose source has n tokens can then feed at most sharedPositions − n decoder
   * tokens (BOS + output), which the searches enforce per sentence (absent: positions are not shared).
   */
  readonly sharedPositions?: number;
  /**
   * What the encoder reads: token ids (`src_ids`, the default) or speech features (`input_features`
   * [batch, featureSize, frames] float32; srcVocabSize is then 0).
   */
  readonly inputKind?: "ids" | "features";
  /** Feature channels per frame (log-mel bins) when inputKind is "features". */
  readonly featureSize?: number;
  /** Whether the training and encoder graphs also read feature_lengths [batch] int64 (frames per row). */
  readonly readsFeatureLengths?: boolean;
  /** Teacher-forced loss over the batch inputs src_ids (or input_features), tgt_in, tgt_out; extra output `tokens`. */
  trainingLoss(options?: TrainingLossOptions): LossBuilder;
  inferenceGraphs(weights: ReadonlyMap<string, Float32Array>): InferenceGraphs;
}
