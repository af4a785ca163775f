// The narrow interface decoding depends on: encode a batch once, then step(state, tokens) -> log-probs and
// a new state, and reorder(state, indices) to follow beams. Works for every family through its InferenceGraphs.

import { type HostTensor, numel, type TensorData } from "../graph/tensor.ts";
import { type CacheSlot, IO, type Seq2SeqModel } from "../models/seq2seq.ts";
import { OrtSession, type SessionOptions } from "../runtime/ort.ts";

/** Everything that carries over between decoder steps; every tensor has the batch (rows) first. */
export interface DecoderState {
  readonly rows: number;
  /** Tokens already fed to the decoder. */
  readonly length: number;
  readonly src: HostTensor;
  readonly encoder: Readonly<Record<string, HostTensor>>;
  readonly cache: Readonly<Record<string, HostTensor>>;
}

export interface StepOutput {
  /** Log-probabilities [rows * vocab]. */
  logProbs: Float32Array;
  /** Cross-attention of this step [rows * srcLen] (zeros for families without attention). */
  attention: Float32Array;
  state: DecoderState;
}

/** Pads id rows to one length: [rows, maxLen] int64. */
export function padIds(rows: readonly (readonly number[])[], pad: number): HostTensor {
  const len = Math.max(1, ...rows.map((r) => r.length));
  const data = new BigInt64Array(rows.length * len).fill(BigInt(pad));
  rows.forEach((r, i) => {
    for (let j = 0; j < r.length; j++) data[i * len + j] = BigInt(r[j]!);
  });
  return { dtype: "int64", dims: [rows.length, len], data };
}

/** Row i of the result is row indices[i] of t (t's first dim is the rows). */
export function gatherRows(t: HostTensor, indices: readonly number[]): HostTensor {
  const rowSize = t.dims[0] === 0 ? 0 : numel(t.dims) / t.dims[0]!;
  const Ctor = t.data.constructor as new (n: number) => TensorData;
  const out = new Ctor(indices.length * rowSize);
  indices.forEach((src, i) => {
    (out as Float32Array).set(
      (t.data as Float32Array).subarray(src * rowSize, (src + 1) * rowSize),
      i * rowSize,
    );
  });
  return { dtype: t.dtype, dims: [indices.length, ...t.dims.slice(1)], data: out };
}

function logSoftmaxRows(logits: Float32Array, rows: number, vocab: number): Float32Array {
  const out = new Float32Array(rows * vocab);
  for (let r = 0; r < rows; r++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let v = 0; v < vocab; v++) max = Math.max(max, logits[r * vocab + v]!);
    let sum = 0;
    for (let v = 0; v < vocab; v++) sum += Math.exp(logits[r * vocab + v]! - max);
    const lse = max + Math.log(sum);
    for (let v = 0; v < vocab; v++) out[r * vocab + v] = logits[r * vocab + v]! - lse;
  }
  return out;
}

export class Seq2SeqRunner {
  /** Whether the decoder step takes src_ids (text models mask source padding with it). */
  private readonly stepReadsSource: boolean;
  /** Whether the encoder takes feature_lengths (speech models that ignore a batch's padding). */
  private readonly encoderReadsLengths: boolean;

  private constructor(
    readonly model: Seq2SeqModel,
    private readonly encoder: OrtSession,
    private readonly step_: OrtSession,
    private readonly encoderOutputs: readonly string[],
    private readonly cacheSlots: readonly CacheSlot[],
  ) {
    this.stepReadsSource = step_.inputNames.includes(IO.src);
    this.encoderReadsLengths = encoder.inputNames.includes(IO.featureLengths);
  }

  static async create(
    model: Seq2SeqModel,
    weights: ReadonlyMap<string, Float32Array>,
    options: SessionOptions = {},
  ): Promise<Seq2SeqRunner> {
    const graphs = model.inferenceGraphs(weights);
    const encoder = await OrtSession.create(graphs.encoder, options);
    const step = await OrtSession.create(graphs.decoderStep, options);
    return new Seq2SeqRunner(model, encoder, step, graphs.encoderOutputs, graphs.cache);
  }

  /**
   * Runs the encoder on source id rows (each already ending in EOS if the model expects it), or, for a speech
   * model (inputKind "features"), on features [rows, featureSize, frames] float32 and each row's frame count
   * (`frames`; default: every row fills the tensor), which a model that masks padding reads.
   */
  async encode(
    sources: readonly (readonly number[])[] | HostTensor,
    frames?: readonly number[],
  ): Promise<DecoderState> {
    const { src, feeds } = "dims" in sources ? this.featureFeeds(sources, frames) : this.idFeeds(sources);
    const encoded = await this.encoder.run(feeds);
    const rows = src.dims[0]!;
    const cache: Record<string, HostTensor> = {};
    for (const slot of this.cacheSlots) {
      if (slot.init.kind === "encoder") {
        cache[slot.input] = encoded[slot.init.name]!;
        continue;
      }
      const axis = slot.init.axis;
      const dims = slot.shape.map((d, i) => (i === 0 ? rows : i === axis ? 0 : d));
      if (dims.some((d) => typeof d !== "number"))
        throw new Error(`cache slot ${slot.input} has an unresolved dim`);
      cache[slot.input] = { dtype: "float32", dims: dims as number[], data: new Float32Array(0) };
    }
    const encoder: Record<string, HostTensor> = {};
    for (const name of this.encoderOutputs) encoder[name] = encoded[name]!;
    return { rows, length: 0, src, encoder, cache };
  }

  private idFeeds(sources: readonly (readonly number[])[]): {
    src: HostTensor;
    feeds: Record<string, HostTensor>;
  } {
    if (this.model.inputKind === "features")
      throw new Error(`this ${this.model.architecture} model reads speech features, not token ids`);
    const limit = this.model.maxSourceLength;
    const tooLong = limit === undefined ? -1 : sources.findIndex((row) => row.length > limit);
    if (tooLong >= 0)
      throw new Error(
        `source ${tooLong} has ${sources[tooLong]!.length} tokens; this ${this.model.architecture} model takes at most ${limit} (maxSourceLength)`,
      );
    const src = padIds(sources, this.model.padId);
    return { src, feeds: { [IO.src]: src } };
  }

  /**
   * A features model's encoder feeds (feature_lengths too where its encoder reads them); the state's `src` is an
   * empty [rows, 0] placeholder (a mask, if any, travels as an encoder output).
   */
  private featureFeeds(
    features: HostTensor,
    lengths: readonly number[] | undefined,
  ): { src: HostTensor; feeds: Record<string, HostTensor> } {
    const { architecture, featureSize, maxSourceLength, inputKind } = this.model;
    if (inputKind !== "features") throw new Error(`this ${architecture} model reads token ids, not features`);
    const [rows, size, frames] = features.dims;
    if (features.dtype !== "float32" || features.dims.length !== 3 || size !== featureSize)
      throw new Error(
        `features must be float32 [rows, ${featureSize}, frames], got ${features.dtype} [${features.dims.join(", ")}]`,
      );
    if (maxSourceLength !== undefined && frames! > maxSourceLength)
      throw new Error(
        `${frames} feature frames; this ${architecture} model takes at most ${maxSourceLength} (${maxSourceLength / 100} s)`,
      );
    if (lengths !== undefined && (lengths.length !== rows || lengths.some((n) => !(n >= 1 && n <= frames!))))
      throw new Error(
        `frame counts [${lengths.join(", ")}] do not fit features of ${rows} rows × ${frames} frames`,
      );
    const src: HostTensor = { dtype: "int64", dims: [rows!, 0], data: new BigInt64Array(0) };
    if (!this.encoderReadsLengths) return { src, feeds: { [IO.features]: features } };
    const counts = BigInt64Array.from(lengths ?? Array<number>(rows!).fill(frames!), BigInt);
    const featureLengths: HostTensor = { dtype: "int64", dims: [rows!], data: counts };
    return { src, feeds: { [IO.features]: features, [IO.featureLengths]: featureLengths } };
  }

  /** Feeds one token per row; returns log-probabilities of the next token and the advanced state. */
  async step(state: DecoderState, tokens: readonly number[]): Promise<StepOutput> {
    if (tokens.length !== state.rows)
      throw new Error(`step got ${tokens.length} tokens for ${state.rows} rows`);
    const out = await this.step_.run({
      [IO.tgt]: padIds(
        tokens.map((t) => [t]),
        this.model.padId,
      ),
      ...(this.stepReadsSource ? { [IO.src]: state.src } : {}),
      [IO.pastLength]: { dtype: "int64", dims: [1], data: BigInt64Array.of(BigInt(state.length)) },
      ...state.encoder,
      ...state.cache,
    });
    const cache: Record<string, HostTensor> = {};
    for (const slot of this.cacheSlots) cache[slot.input] = out[slot.output]!;
    const logits = out[IO.logits]!.data as Float32Array;
    return {
      logProbs: logSoftmaxRows(logits, state.rows, this.model.tgtVocabSize),
      attention: out[IO.crossAttention]!.data as Float32Array,
      state: { ...state, length: state.length + 1, cache },
    };
  }

  /** The state whose row i is row indices[i] of `state` (beam reordering, dropping finished rows). */
  reorder(state: DecoderState, indices: readonly number[]): DecoderState {
    const gatherAll = (r: Readonly<Record<string, HostTensor>>) =>
      Object.fromEntries(Object.entries(r).map(([k, t]) => [k, gatherRows(t, indices)]));
    return {
      rows: indices.length,
      length: state.length,
      src: gatherRows(state.src, indices),
      encoder: gatherAll(state.encoder),
      cache: gatherAll(state.cache),
    };
  }

  async release(): Promise<void> {
    await this.encoder.release();
    await this.step_.release();
  }
}
