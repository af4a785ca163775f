// Training a speech model (Whisper-style or the context-vector RNN baseline) on featured utterances, from scratch,
// from given weights or from a checkpoint's state: batches by frame count, optional SpecAugment, the one-graph
// AdamW step (one graph per length bucket for RNNs) run by src/train/speech-loop.ts; padding masked by lengths.

import { type SpecAugmentOptions, specAugment } from "../audio/spec-augment.ts";
import { mixSeed } from "../data/rng.ts";
import {
  type FeaturedExample,
  makeSpeechBatches,
  padFeatures,
  type SpeechBatch,
  targetFeeds,
} from "../data/speech-dataset.ts";
import type { HostTensor } from "../graph/tensor.ts";
import { buildModel, type ModelConfig, resolveModelConfig } from "../models/registry.ts";
import { IO, type Seq2SeqModel } from "../models/seq2seq.ts";
import { Whisper } from "../models/whisper.ts";
import type { Tokenizer } from "../tokenize/tokenizer.ts";
import {
  SpeechLoop,
  type SpeechLoopOptions,
  type SpeechLoopPlan,
  type SpeechTrainResult,
} from "./speech-loop.ts";
import { type FlatLayout, flatLayout } from "./step-graph.ts";
import { initialFlatParams } from "./step-runner.ts";
import { type LossVariant, lossVariants, type OptimizerState, pickVariant } from "./stepper.ts";

export type {
  SpeechCheckpoint,
  SpeechDataPosition,
  SpeechLoopState,
  SpeechStepRecord,
  SpeechTrainResult,
} from "./speech-loop.ts";

/** The target id that marks padding in tgt_out for Whisper: no token at all, as transformers' -100. */
export const IGNORE_TARGET = -100;

/** The ids a target row is built with: decoder input = decoderStart + ids, target = ids + eos. */
export interface SpeechTargetIds {
  decoderStart: number;
  eos: number;
}

export interface SpeechTrainOptions extends SpeechLoopOptions {
  /** Architecture ("whisper" or "speech-gru") and options; vocabSize, padId and nMels are filled in. */
  model: ModelConfig;
  examples: readonly FeaturedExample[];
  /** Target tokenizer (e.g. a char tokenizer trained on the transcripts). */
  tokenizer: Tokenizer;
  /**
   * Fine-tuning: the model config as it is (nothing filled in from the tokenizer) and its weights, the first
   * parameters (a resumed run's come from `resume`). Default: `model` from scratch, seeded initialisation.
   */
  start?: { config: ModelConfig; weights: ReadonlyMap<string, Float32Array> };
  /** Each example's target ids before EOS (e.g. a Whisper prompt + the text); default tokenizer.encode(text). */
  targets?: readonly (readonly number[])[];
  /** Default: the tokenizer's BOS and EOS. */
  ids?: SpeechTargetIds;
  /** Rows × padded frames per batch. */
  batchFrames: number;
  specAugment?: Omit<SpecAugmentOptions, "seed">;
  labelSmoothing?: number;
}

/** The model config with the tokenizer's vocabulary and the features' mel bins filled in, resolved. */
export function speechModelConfig(model: ModelConfig, tokenizer: Tokenizer, nMels: number): ModelConfig {
  return resolveModelConfig({
    ...model,
    vocabSize: tokenizer.vocabSize,
    padId: tokenizer.specials.pad,
    nMels,
  });
}

/**
 * The model's training losses and the tgt_out id that marks padding. Whisper masks padding with IGNORE_TARGET,
 * so an EOS id equal to the pad id (Hugging Face checkpoints: both <|endoftext|>) is still learned; other
 * families mask their pad id, which must then differ from `eos`.
 */
export function speechLossVariants(
  model: Seq2SeqModel,
  options: { labelSmoothing: number; eos: number },
): { variants: LossVariant[]; ignore: number } {
  const { labelSmoothing } = options;
  if (model instanceof Whisper) {
    const build = model.trainingLoss({ labelSmoothing, ignoreIndex: IGNORE_TARGET });
    return { variants: [{ bucket: null, build }], ignore: IGNORE_TARGET };
  }
  if (model.padId === options.eos)
    throw new Error(
      `the "${model.architecture}" model's pad id ${model.padId} is its EOS id: the loss would skip every EOS`,
    );
  return { variants: lossVariants(model, { labelSmoothing }), ignore: model.padId };
}

/**
 * tgt_in (decoderStart + ids, padded with EOS) and tgt_out (ids + EOS) [rows, tgtLen] int64, where every
 * position past a row's length holds `ignore`: padding is marked by lengths, never by comparing to a pad id.
 */
export function maskedTargetFeeds(
  rows: readonly (readonly number[])[],
  ids: SpeechTargetIds,
  ignore: number,
): Record<string, HostTensor> {
  const feeds = targetFeeds(rows, { bos: ids.decoderStart, eos: ids.eos, pad: ids.eos });
  const out = feeds[IO.tgtOut]!;
  const len = out.dims[1]!;
  rows.forEach((row, r) => {
    (out.data as BigInt64Array).fill(BigInt(ignore), r * len + row.length + 1, (r + 1) * len);
  });
  return feeds;
}

/** The training feeds of one batch (features with SpecAugment when given, masked targets) and its target tokens. */
export function speechTrainingFeeds(
  examples: readonly FeaturedExample[],
  targets: readonly (readonly number[])[],
  indices: readonly number[],
  o: {
    ids: SpeechTargetIds;
    ignore: number;
    specAugment?: Omit<SpecAugmentOptions, "seed">;
    seed?: number;
    /** Feed each row's frame count as feature_lengths (models whose graphs mask padding). */
    featureLengths?: boolean;
  },
): { feeds: Record<string, HostTensor>; tokens: number } {
  const features = indices.map((i) => {
    const f = examples[i]!.features;
    return o.specAugment ? specAugment(f, { ...o.specAugment, seed: mixSeed(o.seed ?? 0, i) }) : f;
  });
  const rows = indices.map((i) => targets[i]!);
  const feeds: Record<string, HostTensor> = {
    [IO.features]: padFeatures(features),
    ...maskedTargetFeeds(rows, o.ids, o.ignore),
  };
  if (o.featureLengths) {
    const frames = BigInt64Array.from(features, (f) => BigInt(f.nFrames));
    feeds[IO.featureLengths] = { dtype: "int64", dims: [indices.length], data: frames };
  }
  return {
    feeds,
    tokens: rows.reduce((n, r) => n + r.length + 1, 0),
  };
}

/** Indices of the examples some loss variant (length bucket) holds; logs how many are left out. */
function fittingExamples(
  lengths: ReadonlyArray<{ frames: number; targets: number }>,
  model: Seq2SeqModel,
  variants: readonly LossVariant[],
  log: (line: string) => void,
): number[] {
  const fits = (l: { frames: number; targets: number }) =>
    pickVariant(variants, l.frames, l.targets + 1) >= 0 &&
    l.frames <= (model.maxSourceLength ?? Number.POSITIVE_INFINITY) &&
    l.targets + 1 <= (model.maxTargetLength ?? Number.POSITIVE_INFINITY);
  const kept = lengths.map((_, i) => i).filter((i) => fits(lengths[i]!));
  if (kept.length < lengths.length)
    log(`left out ${lengths.length - kept.length} utterances too long for the model`);
  if (kept.length === 0) throw new Error("trainSpeech: every utterance is too long for the model");
  return kept;
}

/** The optimizer state before the first step: the given or seeded initial weights, zero moments. */
function startingOptimizer(model: Seq2SeqModel, o: SpeechTrainOptions): OptimizerState {
  const layout = flatLayout(model.parameters());
  const params = o.start
    ? startParams(layout, o.start.weights)
    : initialFlatParams(layout, model.parameters(), o.seed);
  return { params, m: new Float32Array(layout.total), v: new Float32Array(layout.total), step: 0 };
}

/** Given weights as a flat buffer in `layout`; a parameter without weights of its size is an error. */
function startParams(layout: FlatLayout, weights: ReadonlyMap<string, Float32Array>): Float32Array {
  const flat = new Float32Array(layout.total);
  for (const slot of layout.slots) {
    const w = weights.get(slot.name);
    if (!w || w.length !== slot.size)
      throw new Error(`trainSpeech: no starting weights of ${slot.size} values for "${slot.name}"`);
    flat.set(w, slot.offset);
  }
  return flat;
}

/** What trainSpeech runs: the model, its losses, every example's targets, the batches and feeds of each epoch. */
function speechPlan(o: SpeechTrainOptions, log: (line: string) => void): SpeechLoopPlan {
  if (o.examples.length === 0) throw new Error("trainSpeech: no training examples");
  const config = o.start
    ? resolveModelConfig(o.start.config)
    : speechModelConfig(o.model, o.tokenizer, o.examples[0]!.features.nMels);
  const model = buildModel(config);
  const ids = o.ids ?? { decoderStart: o.tokenizer.specials.bos, eos: o.tokenizer.specials.eos };
  const labelSmoothing = o.labelSmoothing ?? 0;
  const { variants, ignore } = speechLossVariants(model, { labelSmoothing, eos: ids.eos });
  const targets = o.targets ?? o.examples.map((e) => o.tokenizer.encode(e.text));
  const lengths = o.examples.map((e, i) => ({ frames: e.features.nFrames, targets: targets[i]!.length }));
  const kept = fittingExamples(lengths, model, variants, log);
  const epochBatches = (epoch: number): SpeechBatch[] =>
    makeSpeechBatches(
      kept.map((i) => lengths[i]!),
      o.batchFrames,
      mixSeed(o.seed, epoch),
    ).map((b) => ({ ...b, indices: b.indices.map((j) => kept[j]!) }));
  const microBatch = (batch: SpeechBatch, epoch: number) => {
    const feedOptions = {
      ids,
      ignore,
      specAugment: o.specAugment,
      seed: mixSeed(o.seed, epoch, 1),
      featureLengths: model.readsFeatureLengths,
    };
    const { feeds, tokens } = speechTrainingFeeds(o.examples, targets, batch.indices, feedOptions);
    return { feeds, tokens, variant: pickVariant(variants, batch.frames, batch.tgtLen) };
  };
  return { config, model, variants, optimizer: () => startingOptimizer(model, o), epochBatches, microBatch };
}

/**
 * Trains a speech model for `steps` optimizer steps, `maxSeconds` or `maxEpochs`, whichever ends first (or until
 * `signal` aborts or onCheckpoint returns false); with `resume`, continues a run from a checkpoint's state as if
 * it had not stopped. Examples longer than the model takes (maxSourceLength frames, maxTargetLength targets, or
 * its longest length bucket) are left out, with a log line saying how many.
 */
export async function trainSpeech(o: SpeechTrainOptions): Promise<SpeechTrainResult> {
  const loop = new SpeechLoop(o, speechPlan(o, o.log ?? (() => {})));
  try {
    await loop.open();
    return loop.result(await loop.run());
  } finally {
    await loop.release();
  }
}
