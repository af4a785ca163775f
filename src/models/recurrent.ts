// What the recurrent families (Sutskever, Cho, Bahdanau, Luong) share: graphs unrolled over static length
// buckets with shorter batches padded inside the graph, the training loss, and the step-wise decoder contract.

import type { Value } from "../graph/ir.ts";
import { type Initializer, normal, orthogonal, uniform, zeros } from "../nn/init.ts";
import { Embedding, Linear } from "../nn/layers.ts";
import { Module, type Scope } from "../nn/module.ts";
import { type CellInit, type RNNOptions, type RNNState, splitSteps, stackSteps } from "../nn/rnn.ts";
import { maskBias } from "../nn/rnn-attention.ts";
import type { LossBuilder } from "../train/step-graph.ts";
import { padToLength, recurrentInferenceGraphs } from "./recurrent-graphs.ts";
import type { InferenceGraphs, LengthBucket, Seq2SeqModel, TrainingLossOptions } from "./seq2seq.ts";
import { sourceIds, teacherForcedLoss } from "./target-loss.ts";

/** Options every recurrent family has (each family's config extends this). */
export interface RecurrentConfig {
  srcVocabSize: number;
  tgtVocabSize: number;
  padId: number;
  /** Longest source (EOS included) any graph takes; the inference encoder is unrolled to it. */
  maxSourceLength: number;
  /** Longest decoder input (BOS + y) a training graph takes. */
  maxTargetLength: number;
  /** Training graphs at evenly spaced lengths up to the maxima (docs/rnn.md has the measurements). */
  lengthBuckets: number;
  /** Dropout on embeddings, between stacked layers and before the output layer (training only). */
  dropout: number;
  /** The output layer is the target embedding (needs the family's output size == embeddingDim). */
  tieOutput: boolean;
  /**
   * "paper": each family's published initialisation (its doc comment); "pytorch": PyTorch's defaults
   * (see familyInit), which train much faster with Adam at small sizes (docs/rnn.md).
   */
  init: "paper" | "pytorch";
}

/** The shared options' defaults: each family spreads these, then overrides or adds its own. */
export const RECURRENT_DEFAULTS: RecurrentConfig = {
  srcVocabSize: 1000,
  tgtVocabSize: 1000,
  padId: 0,
  maxSourceLength: 50,
  maxTargetLength: 50,
  lengthBuckets: 2,
  dropout: 0.1,
  tieOutput: false,
  init: "paper",
};

/** The initialisers a family draws from under an init scheme. */
export interface FamilyInit {
  embedding: Initializer;
  /** A linear layer's weight given its fan-in. */
  linear: (fanIn: number) => Initializer;
  /** Recurrent cells (undefined: PyTorch's U(±1/√H) for every tensor). */
  cell?: CellInit;
}

/**
 * `paper` when config.init is "paper"; else PyTorch's defaults: nn.Embedding N(0, 1), nn.Linear weights
 * U(±1/√fan_in) (biases start at 0 here), nn.LSTM / nn.GRU tensors U(±1/√H).
 */
export function familyInit(c: RecurrentConfig, paper: FamilyInit): FamilyInit {
  if (c.init === "paper") return paper;
  return { embedding: normal(1), linear: (fanIn) => uniform(fanIn ** -0.5) };
}

/** A published initialisation: weights N(0, std²), recurrent weights random orthogonal, biases 0. */
export function normalOrthogonalInit(std: number): FamilyInit {
  const n = normal(std);
  return { embedding: n, linear: () => n, cell: { input: n, recurrent: orthogonal, bias: zeros } };
}

/** A published initialisation: every parameter U(−limit, limit). */
export function uniformInit(limit: number): FamilyInit {
  const u = uniform(limit);
  return { embedding: u, linear: () => u, cell: { input: u, recurrent: u, bias: u } };
}

/** A stacked RNN's options: `layers` layers of hiddenDim units over `inputSize` inputs, dropout between layers. */
export function stackedRnn(
  c: { hiddenDim: number; layers: number; dropout: number },
  inputSize: number,
  init: CellInit | undefined,
): RNNOptions {
  return { inputSize, hiddenSize: c.hiddenDim, layers: c.layers, dropout: c.dropout, init };
}

/** Throws unless an output layer tied to the target embedding gets `key` (its input size) == embeddingDim. */
export function checkTiedOutput(
  c: RecurrentConfig & { embeddingDim: number },
  key: string,
  size: number,
): void {
  if (c.tieOutput && size !== c.embeddingDim)
    throw new Error(`model config "tieOutput" needs ${key} (${size}) == embeddingDim (${c.embeddingDim})`);
}

/** Throws, naming the key, unless every value is a positive integer. */
export function checkPositive(values: Record<string, number>): void {
  for (const [key, v] of Object.entries(values)) {
    if (!Number.isInteger(v) || v < 1)
      throw new Error(`model config "${key}" must be a positive integer, got ${v}`);
  }
}

/** Checks the shared options; each message names the key. */
function checkRecurrentConfig(c: RecurrentConfig): void {
  const { srcVocabSize, tgtVocabSize, maxSourceLength, maxTargetLength, lengthBuckets } = c;
  checkPositive({ srcVocabSize, tgtVocabSize, maxSourceLength, maxTargetLength, lengthBuckets });
  if (c.lengthBuckets > Math.min(c.maxSourceLength, c.maxTargetLength))
    throw new Error(`model config "lengthBuckets" (${c.lengthBuckets}) exceeds the shorter maximum length`);
  if (c.init !== "paper" && c.init !== "pytorch")
    throw new Error(`model config "init" must be "paper" or "pytorch", got "${c.init}"`);
  if (!(c.dropout >= 0 && c.dropout < 1))
    throw new Error(`model config "dropout" must be in [0, 1), got ${c.dropout}`);
  if (!Number.isInteger(c.padId) || c.padId < 0 || c.padId >= Math.min(c.srcVocabSize, c.tgtVocabSize))
    throw new Error(`model config "padId" must be a token id of both vocabularies, got ${c.padId}`);
}

/** `count` buckets with evenly spaced lengths; the last is (maxSourceLength, maxTargetLength). */
export function evenBuckets(maxSrc: number, maxTgt: number, count: number): LengthBucket[] {
  return Array.from({ length: count }, (_, i) => ({
    srcLen: Math.ceil((maxSrc * (i + 1)) / count),
    tgtLen: Math.ceil((maxTgt * (i + 1)) / count),
  }));
}

/** What an encoder hands its decoder. */
export interface RecurrentEncoding {
  /**
   * Values every decoder step reads, by graph IO name: rank 3 are per source position [batch, srcLen, D]
   * (attention memory, keys), rank 2 are per sentence [batch, D] (a context vector).
   */
  readonly memory: Readonly<Record<string, Value>>;
  /** The decoder's first state, by name, each [batch, D] (cache slots past_<name> / present_<name>). */
  readonly initialState: Readonly<Record<string, Value>>;
}

/** Per-layer stack states as named decoder state: h_<k> (and c_<k> for an LSTM), each [batch, H]. */
export function namedStates(states: readonly RNNState[]): Record<string, Value> {
  const out: Record<string, Value> = {};
  states.forEach((st, k) => {
    out[`h_${k}`] = st.h;
    if (st.c) out[`c_${k}`] = st.c;
  });
  return out;
}

/** The inverse of namedStates for a stack of `layers` layers. */
export function layerStates(state: Readonly<Record<string, Value>>, layers: number): RNNState[] {
  return Array.from({ length: layers }, (_, k) => ({ h: state[`h_${k}`]!, c: state[`c_${k}`] }));
}

/** What every decoder step sees of the source. */
export interface SourceContext {
  /** The encoding's memory values (see RecurrentEncoding.memory). */
  readonly memory: Readonly<Record<string, Value>>;
  /** Additive attention mask [batch, srcLen]: 0 at tokens, −1e9 at padding (maskBias). */
  readonly bias: Value;
}

/** Decoder state by name, each [batch, D] (see RecurrentEncoding.initialState). */
export type StepState = Readonly<Record<string, Value>>;

export interface RecurrentStep {
  /** What the readout turns into logits: [batch, F]. */
  readonly features: Value;
  /** Attention weights [batch, srcLen] (families with attention). */
  readonly attention?: Value;
  readonly state: StepState;
}

/**
 * An RNN encoder–decoder. Families implement encode / decodeStep / readout and name their target embedding
 * (tgtEmbed) and output layer; training unrolls decodeStep over the target (or overrides teacherForced with a
 * faster whole-sequence form), inference runs the same decodeStep once per token with the state in cache slots.
 */
export abstract class RecurrentSeq2Seq extends Module implements Seq2SeqModel {
  abstract readonly architecture: string;
  readonly srcVocabSize: number;
  readonly tgtVocabSize: number;
  readonly padId: number;
  readonly maxSourceLength: number;
  readonly maxTargetLength: number;
  readonly lengthBuckets: readonly LengthBucket[];
  readonly dropout: number;
  abstract readonly tgtEmbed: Embedding;
  /** The output layer (absent when tied to the target embedding). */
  abstract readonly output?: Linear;

  constructor(c: RecurrentConfig) {
    super("");
    checkRecurrentConfig(c);
    this.srcVocabSize = c.srcVocabSize;
    this.tgtVocabSize = c.tgtVocabSize;
    this.padId = c.padId;
    this.maxSourceLength = c.maxSourceLength;
    this.maxTargetLength = c.maxTargetLength;
    this.lengthBuckets = evenBuckets(c.maxSourceLength, c.maxTargetLength, c.lengthBuckets);
    this.dropout = c.dropout;
  }

  /** src: [batch, S] padded ids; mask: bool [batch, S], true at tokens. */
  abstract encode(s: Scope, src: Value, mask: Value): RecurrentEncoding;
  /** One decoder step: the previous token's embedding [batch, E] and the previous state by name. */
  abstract decodeStep(s: Scope, input: Value, source: SourceContext, state: StepState): RecurrentStep;
  /** features [batch, t, F] -> logits [batch, t, V] */
  abstract readout(s: Scope, features: Value): Value;

  /** The source ("encoder") or target ("decoder") embedding table `${side}.embedding` of `dim` columns. */
  protected embedding(side: "encoder" | "decoder", dim: number, init: Initializer): Embedding {
    const rows = side === "encoder" ? this.srcVocabSize : this.tgtVocabSize;
    return this.child(new Embedding(`${side}.embedding`, rows, dim, { init }));
  }

  /** The output layer `decoder.output` over features of `size`, or none when tied to the target embedding. */
  protected untiedOutput(c: RecurrentConfig, size: number, init: FamilyInit): Linear | undefined {
    if (c.tieOutput) return undefined;
    return this.child(new Linear("decoder.output", size, c.tgtVocabSize, { init: init.linear(size) }));
  }

  /** Dropout with the config's rate in training graphs; identity otherwise. */
  protected dropped(s: Scope, x: Value): Value {
    return s.training ? s.b.dropout(x, this.dropout) : x;
  }

  /** Target embeddings (dropout applied in training): ids [batch, t] -> [batch, t, E]. */
  embedTarget(s: Scope, ids: Value): Value {
    return this.dropped(s, this.tgtEmbed.forward(s, ids)); // [batch, t, E]
  }

  /** h [batch, t, D] -> logits [batch, t, V]: the output layer, or the target embedding's transpose when tied. */
  protected outputLogits(s: Scope, h: Value): Value {
    return this.output ? this.output.forward(s, h) : this.tgtEmbed.project(s, h); // [batch, t, V]
  }

  /** Readout features of every target position: src [batch, S], mask [batch, S], tgtIn [batch, T] -> [batch, T, F]. */
  teacherForced(s: Scope, src: Value, mask: Value, tgtIn: Value): Value {
    const b = s.b;
    const encoding = this.encode(s, src, mask);
    const source = { memory: encoding.memory, bias: maskBias(s, mask) }; // bias [batch, S]
    let state = encoding.initialState;
    const features = splitSteps(b, this.embedTarget(s, tgtIn)).map((x) => {
      const step = this.decodeStep(s, x, source, state);
      state = step.state;
      return step.features; // [batch, F]
    });
    return stackSteps(b, features); // [batch, T, F]
  }

  /** Logits [batch, tgtLen, V] for src [batch, srcLen] and tgtIn [batch, tgtLen] (symbolic, within `bucket`). */
  logits(s: Scope, src: Value, tgtIn: Value, bucket: LengthBucket): Value {
    const b = s.b;
    const srcIds = padToLength(b, src, bucket.srcLen, this.padId); // [batch, S]
    const mask = b.not(b.equal(srcIds, this.padId)); // [batch, S]
    const tgtIds = padToLength(b, tgtIn, bucket.tgtLen, this.padId); // [batch, T]
    const features = this.teacherForced(s, srcIds, mask, tgtIds); // [batch, T, F]
    const real = b.sliceDynamic(features, 1, b.ints([0]), b.dimOf(tgtIn, 1), tgtIn.shape[1]!); // [batch, tgtLen, F]
    return this.readout(s, real); // [batch, tgtLen, V]
  }

  /** Teacher-forced cross-entropy over src_ids, tgt_in, tgt_out unrolled to `options.bucket` (default the longest). */
  trainingLoss(options: TrainingLossOptions = {}): LossBuilder {
    const bucket = options.bucket ?? this.lengthBuckets.at(-1)!;
    const positive = (n: number) => Number.isInteger(n) && n >= 1;
    if (!positive(bucket.srcLen) || !positive(bucket.tgtLen))
      throw new Error(`length bucket needs positive integer lengths, got ${JSON.stringify(bucket)}`);
    const logits = (s: Scope, src: Value, tgtIn: Value) => this.logits(s, src, tgtIn, bucket); // [batch, tgtLen, V]
    return teacherForcedLoss(options, this.padId, sourceIds, logits);
  }

  inferenceGraphs(weights: ReadonlyMap<string, Float32Array>): InferenceGraphs {
    return recurrentInferenceGraphs(this, weights);
  }
}
