// The "no attention" speech baseline: Cho et al. 2014's RNN Encoder–Decoder ("Learning Phrase Representations
// using RNN Encoder–Decoder for Statistical Machine Translation") over log-mel features: the whole utterance
// is squeezed into one context vector c, the bottleneck that attention (Whisper) removes.

import type { Value } from "../graph/ir.ts";
import { lengthMask } from "../nn/attention.ts";
import { Conv1d } from "../nn/conv.ts";
import { Embedding, Linear } from "../nn/layers.ts";
import { Module, type Scope } from "../nn/module.ts";
import { MaxoutReadout } from "../nn/readout.ts";
import { GRU } from "../nn/rnn.ts";
import type { LossBuilder } from "../train/step-graph.ts";
import { evenBuckets } from "./recurrent.ts";
import { padToLength } from "./recurrent-graphs.ts";
import {
  type InferenceGraphs,
  IO,
  type LengthBucket,
  type Seq2SeqModel,
  type TrainingLossOptions,
} from "./seq2seq.ts";
import { speechRnnInferenceGraphs } from "./speech-rnn-graphs.ts";
import { teacherForcedLoss } from "./target-loss.ts";

export interface SpeechGruConfig {
  vocabSize: number;
  nMels: number;
  padId: number;
  /** Channels of the stride-2 convolutions in front of the encoder GRU. */
  convDim: number;
  /** How many stride-2 convolutions: the GRU reads 2^convLayers times fewer steps than frames. */
  convLayers: number;
  hiddenDim: number;
  embeddingDim: number;
  /** Maxout units before the softmax (Cho et al.: 500). */
  readoutDim: number;
  /** Longest input in frames (the inference encoder is unrolled to encoderSteps(maxFrames, convLayers) steps). */
  maxFrames: number;
  /** Longest decoder input (BOS + output). */
  maxTargetLength: number;
  /** Training graphs at evenly spaced lengths up to the maxima. */
  lengthBuckets: number;
  dropout: number;
}

export const SPEECH_GRU_DEFAULTS: SpeechGruConfig = {
  vocabSize: 1000,
  nMels: 80,
  padId: 0,
  convDim: 128,
  convLayers: 2,
  hiddenDim: 256,
  embeddingDim: 64,
  readoutDim: 128,
  maxFrames: 800,
  maxTargetLength: 100,
  lengthBuckets: 4,
  dropout: 0.1,
};

/** Encoder steps after `layers` stride-2 convolutions: ⌈…⌈frames / 2⌉… / 2⌉. */
export function encoderSteps(frames: number, layers: number): number {
  let steps = frames;
  for (let i = 0; i < layers; i++) steps = Math.ceil(steps / 2);
  return steps;
}

function checkConfig(c: SpeechGruConfig): void {
  for (const [key, v] of Object.entries(c)) {
    if (key === "dropout" || key === "padId") continue;
    if (!Number.isInteger(v) || v < 1)
      throw new Error(`model config "${key}" must be a positive integer, got ${v}`);
  }
  if (!(c.dropout >= 0 && c.dropout < 1))
    throw new Error(`model config "dropout" must be in [0, 1), got ${c.dropout}`);
  if (c.lengthBuckets > Math.min(c.maxFrames, c.maxTargetLength))
    throw new Error(`model config "lengthBuckets" (${c.lengthBuckets}) exceeds the shorter maximum length`);
}

/**
 * Encoder: x = GELU(conv(… GELU(conv(mel)))) (convLayers kernel-3, stride-2 convolutions), a GRU over x whose last
 * real step gives c = tanh(V h_N) (§2.2). Decoder: h'_0 = tanh(V' c); a GRU whose input is [e(y_{t−1}); c];
 * readout maxout over [h'_t; e(y_{t−1}); c] (appendix A.1.1), then softmax. Graphs unroll over static length
 * buckets: features are padded with each utterance's silence level inside the graph.
 */
export class SpeechContextRnn extends Module implements Seq2SeqModel {
  readonly architecture = "speech-gru";
  readonly inputKind = "features";
  readonly srcVocabSize = 0;
  readonly tgtVocabSize: number;
  readonly padId: number;
  readonly featureSize: number;
  /** Each row's frame count bounds its encoder run, so padding never reaches the context vector. */
  readonly readsFeatureLengths = true;
  readonly maxSourceLength: number;
  readonly maxTargetLength: number;
  readonly lengthBuckets: readonly LengthBucket[];
  readonly convs: Conv1d[];
  readonly encoderRnn: GRU;
  /** V: c = tanh(V h_N) */
  readonly context: Linear;
  /** V': h'_0 = tanh(V' c) */
  readonly initial: Linear;
  readonly tgtEmbed: Embedding;
  readonly decoderRnn: GRU;
  readonly readoutLayer: MaxoutReadout;
  readonly output: Linear;

  constructor(readonly config: SpeechGruConfig) {
    super("");
    const c = config;
    checkConfig(c);
    this.tgtVocabSize = c.vocabSize;
    this.padId = c.padId;
    this.featureSize = c.nMels;
    this.maxSourceLength = c.maxFrames;
    this.maxTargetLength = c.maxTargetLength;
    this.lengthBuckets = evenBuckets(c.maxFrames, c.maxTargetLength, c.lengthBuckets);
    const [H, E] = [c.hiddenDim, c.embeddingDim];
    const conv = { stride: 2, padding: 1 };
    this.convs = Array.from({ length: c.convLayers }, (_, i) =>
      this.child(new Conv1d(`encoder.conv${i + 1}`, i === 0 ? c.nMels : c.convDim, c.convDim, 3, conv)),
    );
    this.encoderRnn = this.child(new GRU("encoder.gru", { inputSize: c.convDim, hiddenSize: H }));
    this.context = this.child(new Linear("encoder.context", H, H));
    this.tgtEmbed = this.child(new Embedding("decoder.embedding", c.vocabSize, E));
    this.initial = this.child(new Linear("decoder.initial", H, H));
    this.decoderRnn = this.child(new GRU("decoder.gru", { inputSize: E + H, hiddenSize: H }));
    this.readoutLayer = this.child(new MaxoutReadout("decoder.readout", H + E + H, c.readoutDim));
    this.output = this.child(new Linear("decoder.output", c.readoutDim, c.vocabSize));
  }

  private dropped(s: Scope, x: Value): Value {
    return s.training ? s.b.dropout(x, this.config.dropout) : x;
  }

  /**
   * features [batch, nMels, frames] (frames ≤ `frames`, symbolic) and each row's frame count (lengths [batch]
   * int64) -> context c [batch, H] and the decoder's first state h'_0 [batch, H]; the encoder is unrolled to
   * encoderSteps(frames) and each row stops at its own length, so a batch's padding does not change it.
   */
  encode(s: Scope, features: Value, frames: number, lengths: Value): { context: Value; initial: Value } {
    const b = s.b;
    const floor = b.neg(b.reduceMax(b.neg(features), [1, 2], true)); // [batch, 1, 1] silence level
    const missing = b.sub(b.ints([frames]), b.dimOf(features, 2)); // [1]
    const pads = b.concat([b.ints([0, 0, 0, 0, 0]), missing], 0);
    const padded = b.add(
      b.pad(b.sub(features, floor), pads, [features.shape[0]!, this.featureSize, frames]),
      floor,
    );
    let h = padded; // [batch, nMels, frames]
    let real = lengths; // [batch] each row's frames
    let valid: Value | undefined;
    for (const conv of this.convs) {
      h = b.gelu(conv.forward(s, h)); // [batch, conv, ⌈·/2⌉]
      real = b.div(b.add(real, 1), 2); // ⌈n / 2⌉ real steps (int64 division truncates)
      valid = lengthMask(s, h, real, 2); // [batch, steps]
      h = b.mul(h, b.unsqueeze(b.cast(valid, "float32"), [1])); // zero past each row's end, whatever the bucket
    }
    const x = b.transpose(h, [0, 2, 1]); // [batch, steps, conv]
    const { final } = this.encoderRnn.forward(s, this.dropped(s, x), valid!); // h_N [batch, H]
    const context = b.tanh(this.context.forward(s, final[0]!.h)); // [batch, H]
    return { context, initial: b.tanh(this.initial.forward(s, context)) };
  }

  /** ids [batch, t] -> [batch, t, E] */
  embedTarget(s: Scope, ids: Value): Value {
    return this.dropped(s, this.tgtEmbed.forward(s, ids));
  }

  /** One decoder step: e(y_{t−1}) [batch, E], c, h'_{t−1} -> features [h'_t; e; c] [batch, 2H + E] and h'_t. */
  decodeStep(s: Scope, input: Value, context: Value, h: Value): { features: Value; h: Value } {
    const b = s.b;
    const r = this.decoderRnn.step(s, b.concat([input, context], 1), [{ h }]); // h'_t [batch, H]
    return { features: b.concat([r.output, input, context], 1), h: r.output };
  }

  /** features [batch, t, 2H + E] -> logits [batch, t, V] */
  readout(s: Scope, features: Value): Value {
    return this.output.forward(s, this.readoutLayer.forward(s, this.dropped(s, features)));
  }

  /**
   * Teacher-forced logits [batch, tgtLen, V] for features, their lengths [batch] int64 and tgtIn [batch, tgtLen]
   * within `bucket`.
   */
  logits(s: Scope, features: Value, lengths: Value, tgtIn: Value, bucket: LengthBucket): Value {
    const b = s.b;
    const { context, initial } = this.encode(s, features, bucket.srcLen, lengths);
    const e = this.embedTarget(s, padToLength(b, tgtIn, bucket.tgtLen, this.padId)); // [batch, T, E]
    const H = this.config.hiddenDim;
    const shape = b.concat([b.shapeOf(e, 0, 2), b.ints([H])], 0);
    const c = b.expand(b.unsqueeze(context, [1]), shape, [e.shape[0]!, bucket.tgtLen, H]); // [batch, T, H]
    const { output } = this.decoderRnn.forward(s, b.concat([e, c], 2), undefined, [{ h: initial }]); // [batch, T, H]
    const all = b.concat([output, e, c], 2); // [batch, T, 2H + E]
    const real = b.sliceDynamic(all, 1, b.ints([0]), b.dimOf(tgtIn, 1), tgtIn.shape[1]!); // [batch, tgtLen, F]
    return this.readout(s, real);
  }

  /**
   * Cross-entropy over input_features, feature_lengths, tgt_in, tgt_out, unrolled to `options.bucket` (default
   * the longest).
   */
  trainingLoss(options: TrainingLossOptions = {}): LossBuilder {
    const bucket = options.bucket ?? this.lengthBuckets.at(-1)!;
    const features = (s: Scope) => s.b.input(IO.features, "float32", ["batch", this.featureSize, "frames"]);
    const logits = (s: Scope, f: Value, tgtIn: Value) => {
      const lengths = s.b.input(IO.featureLengths, "int64", ["batch"]);
      return this.logits(s, f, lengths, tgtIn, bucket); // [batch, tgtLen, V]
    };
    return teacherForcedLoss(options, this.padId, features, logits);
  }

  inferenceGraphs(weights: ReadonlyMap<string, Float32Array>): InferenceGraphs {
    return speechRnnInferenceGraphs(this, weights);
  }
}
