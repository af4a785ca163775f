// Whisper (Radford et al. 2022, "Robust Speech Recognition via Large-Scale Weak Supervision", §2.2 and Fig. 1):
// a convolutional front end over log-mel features, a pre-LN Transformer encoder and a Transformer decoder with
// learned positions and a tied output layer. Parameter names are those of Hugging Face Whisper checkpoints.

import type { Value } from "../graph/ir.ts";
import { blockedKeyBias, causalBias, lengthMask } from "../nn/attention.ts";
import { Conv1d } from "../nn/conv.ts";
import { normal, sinusoids } from "../nn/init.ts";
import { Embedding, Norm } from "../nn/layers.ts";
import { Module, type Parameter, type Scope } from "../nn/module.ts";
import { LearnedPositions, positionIds } from "../nn/positions.ts";
import {
  type Activation,
  decoderStack,
  type LayerOptions,
  TransformerDecoderLayer,
  TransformerEncoderLayer,
} from "../nn/transformer-layers.ts";
import type { LossBuilder } from "../train/step-graph.ts";
import { type InferenceGraphs, IO, type Seq2SeqModel, type TrainingLossOptions } from "./seq2seq.ts";
import { teacherForcedLoss } from "./target-loss.ts";
import type { DecoderOutput } from "./transformer.ts";
import { whisperInferenceGraphs } from "./whisper-graphs.ts";

export interface WhisperConfig {
  /** Output vocabulary (tokens of the tied decoder embedding). */
  vocabSize: number;
  /** Log-mel bins of the input features (HF num_mel_bins: 80, large-v3: 128). */
  nMels: number;
  dModel: number;
  heads: number;
  ffDim: number;
  encoderLayers: number;
  decoderLayers: number;
  /** Encoder positions after the convolutions (HF max_source_positions; 1500 = 30 s). */
  maxSourcePositions: number;
  /**
   * Stride of conv1: 1 in Whisper (checkpoints); 2 halves the encoder positions again (40 ms each), a cheaper
   * encoder for models trained here. The parameters are the same either way.
   */
  conv1Stride: number;
  /** Decoder positions (HF max_target_positions). */
  maxTargetPositions: number;
  activation: Activation;
  dropout: number;
  attentionDropout: number;
  activationDropout: number;
  padId: number;
  /**
   * Whether the graphs read each row's frame count (feature_lengths) and ignore the padding of a batch: frames
   * past a row's end are zeroed before each convolution (as its own zero padding would be) and masked as
   * attention keys, so an utterance transcribes the same alone or in any batch. Hugging Face Whisper has no
   * such mask (it always reads 30 s windows): false for its checkpoints.
   */
  maskPadding: boolean;
}

/** Whisper's training-loss options: the target id that marks padding (default the config's padId). */
export interface WhisperLossOptions extends TrainingLossOptions {
  ignoreIndex?: number;
}

export const WHISPER_DEFAULTS: WhisperConfig = {
  vocabSize: 1000,
  nMels: 80,
  dModel: 256,
  heads: 4,
  ffDim: 1024,
  encoderLayers: 4,
  decoderLayers: 4,
  maxSourcePositions: 1500,
  conv1Stride: 1,
  maxTargetPositions: 448,
  activation: "gelu",
  dropout: 0.1,
  attentionDropout: 0,
  activationDropout: 0,
  padId: 0,
  maskPadding: true,
};

function checkConfig(c: WhisperConfig): void {
  for (const key of [
    "vocabSize",
    "nMels",
    "dModel",
    "heads",
    "ffDim",
    "maxSourcePositions",
    "maxTargetPositions",
    "conv1Stride",
  ] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 1)
      throw new Error(`model config "${key}" must be a positive integer, got ${c[key]}`);
  }
  if (c.dModel % c.heads !== 0 || c.dModel % 2 !== 0)
    throw new Error(`model config "dModel" (${c.dModel}) must be even and divisible by "heads" (${c.heads})`);
  if (!["relu", "gelu", "gelu_tanh", "silu"].includes(c.activation))
    throw new Error(`model config "activation" must be relu, gelu, gelu_tanh or silu, got "${c.activation}"`);
}

/**
 * Whisper's encoder–decoder. Encoder (§2.2): x = GELU(conv2(GELU(conv1(mel)))) with conv1 kernel 3 stride 1 and
 * conv2 kernel 3 stride 2 (both padding 1; conv1Stride 2 is this project's cheaper variant), plus sinusoidal positions (stored as
 * `model.encoder.embed_positions.weight`), then pre-LN Transformer blocks and a final LayerNorm; attention has no
 * key bias. Decoder: token embeddings + learned positions, pre-LN blocks with cross-attention over the whole
 * encoder output, final LayerNorm, logits from the token embedding (tied). Whisper has no source mask (it pads
 * audio with silence to 30 s); with config.maskPadding the graphs read feature_lengths and mask each row's
 * padding instead (models trained here).
 */
export class Whisper extends Module implements Seq2SeqModel {
  readonly architecture = "whisper";
  readonly inputKind = "features";
  /** No source vocabulary: the encoder reads features. */
  readonly srcVocabSize = 0;
  readonly tgtVocabSize: number;
  readonly padId: number;
  readonly featureSize: number;
  readonly readsFeatureLengths: boolean;
  /** The longest input in frames: 2 × conv1Stride × maxSourcePositions. */
  readonly maxSourceLength: number;
  /** The longest decoder input: maxTargetPositions. */
  readonly maxTargetLength: number;
  readonly conv1: Conv1d;
  readonly conv2: Conv1d;
  readonly encoderPositions: Parameter;
  readonly encoderLayers: TransformerEncoderLayer[];
  readonly encoderNorm: Norm;
  readonly embedTokens: Embedding;
  readonly decoderPositions: LearnedPositions;
  readonly decoderLayers: TransformerDecoderLayer[];
  readonly decoderNorm: Norm;

  constructor(readonly config: WhisperConfig) {
    super("");
    const c = config;
    checkConfig(c);
    this.tgtVocabSize = c.vocabSize;
    this.padId = c.padId;
    this.featureSize = c.nMels;
    this.readsFeatureLengths = c.maskPadding;
    this.maxSourceLength = 2 * c.conv1Stride * c.maxSourcePositions;
    this.maxTargetLength = c.maxTargetPositions;
    const d = c.dModel;
    const conv1 = { stride: c.conv1Stride, padding: 1 };
    this.conv1 = this.child(new Conv1d("model.encoder.conv1", c.nMels, d, 3, conv1));
    this.conv2 = this.child(new Conv1d("model.encoder.conv2", d, d, 3, { stride: 2, padding: 1 }));
    this.encoderPositions = this.param(
      "model.encoder.embed_positions.weight",
      [c.maxSourcePositions, d],
      sinusoids,
      false,
    );
    const layer: LayerOptions = {
      ...c,
      preNorm: true,
      norm: "layer",
      normEps: 1e-5,
      bias: true,
      keyBias: false,
    };
    this.encoderLayers = Array.from({ length: c.encoderLayers }, (_, i) =>
      this.child(new TransformerEncoderLayer(`model.encoder.layers.${i}`, layer)),
    );
    this.encoderNorm = this.child(new Norm("model.encoder.layer_norm", d));
    this.embedTokens = this.child(
      new Embedding("model.decoder.embed_tokens", c.vocabSize, d, { init: normal(d ** -0.5) }),
    );
    this.decoderPositions = this.child(
      new LearnedPositions("model.decoder.embed_positions", c.maxTargetPositions, d),
    );
    this.decoderLayers = Array.from({ length: c.decoderLayers }, (_, i) =>
      this.child(new TransformerDecoderLayer(`model.decoder.layers.${i}`, layer)),
    );
    this.decoderNorm = this.child(new Norm("model.decoder.layer_norm", d));
  }

  private dropped(s: Scope, x: Value): Value {
    return s.training ? s.b.dropout(x, this.config.dropout) : x;
  }

  /**
   * features: [batch, nMels, frames] float32 -> memory [batch, ⌈frames / (2·conv1Stride)⌉, d_model].
   * With lengths ([batch] int64 frames per row), the padding past each row's end is ignored (see maskPadding).
   */
  encode(s: Scope, features: Value, lengths?: Value): Value {
    const b = s.b;
    const zeroPast = (x: Value, n: Value) =>
      b.mul(x, b.unsqueeze(b.cast(lengthMask(s, x, n, 2), "float32"), [1]));
    const lengths1 = lengths && this.convolvedLength(s, lengths, this.config.conv1Stride);
    const input = lengths ? zeroPast(features, lengths) : features; // [batch, nMels, frames]
    const h1 = b.gelu(this.conv1.forward(s, input)); // [batch, d_model, ⌈frames / conv1Stride⌉]
    const h2 = b.gelu(this.conv2.forward(s, lengths1 ? zeroPast(h1, lengths1) : h1)); // [batch, d_model, positions]
    const x = b.transpose(h2, [0, 2, 1]); // [batch, positions, d_model]
    const positions = positionIds(s, x, undefined); // [positions]
    let h = this.dropped(s, b.add(x, b.gather(s.value(this.encoderPositions), positions, 0))); // [batch, positions, d_model]
    const bias = lengths && this.memoryBias(s, lengths, x); // [batch, 1, 1, positions]
    for (const layer of this.encoderLayers) h = layer.forward(s, h, bias);
    return this.encoderNorm.forward(s, h); // [batch, positions, d_model]
  }

  /** Each row's length after a kernel-3, padding-1 convolution of stride `stride`: ⌈n / stride⌉ ([batch] int64). */
  private convolvedLength(s: Scope, lengths: Value, stride: number): Value {
    return s.b.div(s.b.add(lengths, stride - 1), stride); // int64 division truncates
  }

  /**
   * The key bias that hides each row's padding from attention over the encoder output: lengths [batch] int64
   * (frames) and memory [batch, positions, d_model] -> [batch, 1, 1, positions], -1e9 past the row's end.
   */
  memoryBias(s: Scope, lengths: Value, memory: Value): Value {
    const positions = this.convolvedLength(s, this.convolvedLength(s, lengths, this.config.conv1Stride), 2);
    return blockedKeyBias(s, s.b.not(lengthMask(s, memory, positions))); // [batch, 1, 1, positions]
  }

  /** Cross-attention keys/values of every decoder layer, each [batch, heads, positions, d_head]. */
  crossKeyValues(s: Scope, memory: Value): Array<{ key: Value; value: Value }> {
    return this.decoderLayers.map((layer) => layer.crossAttn.projectKeyValue(s, memory));
  }

  /**
   * tgtIds: [batch, t]; memory: [batch, positions, d_model] (undefined when `cross` keys/values are given);
   * memoryBias: [batch, 1, 1, positions] (see memoryBias) or undefined (attend to every position);
   * past: per-layer self-attention caches and their length (1-element int64) for incremental decoding.
   */
  decode(
    s: Scope,
    tgtIds: Value,
    memory: Value | undefined,
    memoryBias: Value | undefined,
    past?: { length: Value; keyValues: Array<{ key: Value; value: Value }> },
    cross?: Array<{ key: Value; value: Value }>,
  ): DecoderOutput {
    const b = s.b;
    const selfBias = causalBias(s, tgtIds, past?.length); // [1, 1, t, past + t]
    const tokens = this.embedTokens.forward(s, tgtIds); // [batch, t, d_model]
    const positions = this.decoderPositions.forward(s, positionIds(s, tgtIds, past?.length)); // [t, d_model]
    const x = this.dropped(s, b.add(tokens, positions)); // [batch, t, d_model]
    const out = decoderStack(s, this.decoderLayers, x, memory, selfBias, memoryBias, past?.keyValues, cross);
    const logits = this.embedTokens.project(s, this.decoderNorm.forward(s, out.output)); // [batch, t, V]
    const crossAttention = b.reduceMean(out.crossWeights, [1], false); // [batch, t, positions]
    return { logits, selfKeyValues: out.selfKeyValues, crossAttention };
  }

  /** The encoder's input: input_features [batch, nMels, frames] float32. */
  featuresInput(s: Scope): Value {
    return s.b.input(IO.features, "float32", ["batch", this.featureSize, "frames"]);
  }

  /** With maskPadding, each row's frame count: feature_lengths [batch] int64; otherwise undefined. */
  lengthsInput(s: Scope): Value | undefined {
    return this.config.maskPadding ? s.b.input(IO.featureLengths, "int64", ["batch"]) : undefined;
  }

  /**
   * Teacher-forced cross-entropy over input_features (and feature_lengths with maskPadding), tgt_in and tgt_out
   * (see IO). Targets equal to
   * options.ignoreIndex (default padId) are left out: Hugging Face checkpoints pad with their EOS id, so their
   * fine-tuning marks padding with an id that is no token (-100, as transformers does) instead.
   */
  trainingLoss(options: WhisperLossOptions = {}): LossBuilder {
    const logits = (s: Scope, f: Value, tgtIn: Value) => {
      const lengths = this.lengthsInput(s);
      const memory = this.encode(s, f, lengths); // [batch, positions, d_model]
      return this.decode(s, tgtIn, memory, lengths && this.memoryBias(s, lengths, memory)).logits; // [batch, tgtLen, V]
    };
    return teacherForcedLoss(
      options,
      options.ignoreIndex ?? this.padId,
      (s) => this.featuresInput(s),
      logits,
    );
  }

  inferenceGraphs(weights: ReadonlyMap<string, Float32Array>): InferenceGraphs {
    return whisperInferenceGraphs(this, weights);
  }
}
