// Training a speech model (Whisper-style or the context-vector RNN baseline) on featured utterances, from scratch
// or from given weights: batches by frame count, optional SpecAugment, the one-graph AdamW step (one graph per
// length bucket for RNNs), an LR schedule, periodic checkpoint callbacks; padding is masked by row lengths.

import { type SpecAugmentOptions, specAugment } from "../audio/spec-augment.ts";
import { mixSeed } from "../data/rng.ts";
import { type FeaturedExample, makeSpeechBatches, padFeatures, targetFeeds } from "../data/speech-dataset.ts";
import type { HostTensor } from "../graph/tensor.ts";
import { buildModel, type ModelConfig, resolveModelConfig } from "../models/registry.ts";
import { IO, type Seq2SeqModel } from "../models/seq2seq.ts";
import { Whisper } from "../models/whisper.ts";
import type { Tokenizer } from "../tokenize/tokenizer.ts";
import { ADAMW_DEFAULTS, type AdamWConfig, type FlatLayout, flatLayout } from "./step-graph.ts";
import { initialFlatParams, unflatten } from "./step-runner.ts";
import { type LossVariant, lossVariants, pickVariant, Stepper } from "./stepper.ts";

/** The target id that marks padding in tgt_out for Whisper: no token at all, as transformers' -100. */
export const IGNORE_TARGET = -100;

/** The ids a target row is built with: decoder input = decoderStart + ids, target = ids + eos. */
export interface SpeechTargetIds {
  decoderStart: number;
  eos: number;
}

export interface SpeechTrainOptions {
  /** Architecture ("whisper" or "speech-gru") and options; vocabSize, padId and nMels are filled in. */
  model: ModelConfig;
  examples: readonly FeaturedExample[];
  /** Target tokenizer (e.g. a char tokenizer trained on the transcripts). */
  tokenizer: Tokenizer;
  /**
   * Fine-tuning: the model config as it is (nothing filled in from the tokenizer) and its weights, the first
   * parameters. Default: `model` from scratch, seeded initialisation.
   */
  start?: { config: ModelConfig; weights: ReadonlyMap<string, Float32Array> };
  /** Each example's target ids before EOS (e.g. a Whisper prompt + the text); default tokenizer.encode(text). */
  targets?: readonly (readonly number[])[];
  /** Default: the tokenizer's BOS and EOS. */
  ids?: SpeechTargetIds;
  /** Optimizer steps. */
  steps: number;
  /** Stop earlier once this many seconds have passed. */
  maxSeconds?: number;
  /** Stop earlier after this many passes over the examples. */
  maxEpochs?: number;
  /** Peak learning rate of the Noam schedule (reached after warmupSteps); see also lrAt. */
  lr: number;
  warmupSteps: number;
  /** The learning rate of step n (1-based); default Noam with `lr` and `warmupSteps`. */
  lrAt?: (step: number) => number;
  /** Rows × padded frames per batch. */
  batchFrames: number;
  specAugment?: Omit<SpecAugmentOptions, "seed">;
  labelSmoothing?: number;
  weightDecay?: number;
  /** AdamW settings over ADAMW_DEFAULTS (weightDecay above wins when both are given). */
  adamw?: Partial<AdamWConfig>;
  seed: number;
  /** ONNX Runtime threads (default 2). */
  threads?: number;
  log?: (line: string) => void;
  /** Log every this many steps (default 100). */
  logEvery?: number;
  /** Call onCheckpoint every this many steps (default: never). */
  checkpointEvery?: number;
  /** Gets the weights at a checkpoint (e.g. to save and validate them); returning false stops training. */
  onCheckpoint?: (c: SpeechCheckpoint) => Promise<boolean | undefined>;
  /** Stops training after the current step once aborted (e.g. on Ctrl-C). */
  signal?: AbortSignal;
}

/** The state handed to onCheckpoint. */
export interface SpeechCheckpoint {
  step: number;
  /** Mean loss since the previous checkpoint. */
  loss: number;
  weights: Map<string, Float32Array>;
}

export interface SpeechTrainResult {
  /** The resolved model config (what config.json stores). */
  config: ModelConfig;
  model: Seq2SeqModel;
  weights: Map<string, Float32Array>;
  steps: number;
  seconds: number;
  /** Mean loss of the last logged window of steps. */
  loss: number;
  /** Why training ended. */
  stopped: "steps" | "seconds" | "epochs" | "signal" | "checkpoint";
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

/** Noam's warm-up then inverse square root, peaking at `lr` after `warmup` steps. */
function noam(step: number, lr: number, warmup: number): number {
  return lr * Math.min(step / warmup, Math.sqrt(warmup / step));
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
  o: { ids: SpeechTargetIds; ignore: number; specAugment?: Omit<SpecAugmentOptions, "seed">; seed?: number },
): { feeds: Record<string, HostTensor>; tokens: number } {
  const features = indices.map((i) => {
    const f = examples[i]!.features;
    return o.specAugment ? specAugment(f, { ...o.specAugment, seed: mixSeed(o.seed ?? 0, i) }) : f;
  });
  const rows = indices.map((i) => targets[i]!);
  return {
    feeds: { [IO.features]: padFeatures(features), ...maskedTargetFeeds(rows, o.ids, o.ignore) },
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

/** A fresh optimizer over the model's parameters (given or seeded initial weights, zero moments). */
function newStepper(model: Seq2SeqModel, variants: readonly LossVariant[], o: SpeechTrainOptions): Stepper {
  const layout = flatLayout(model.parameters());
  const params = o.start
    ? startParams(layout, o.start.weights)
    : initialFlatParams(layout, model.parameters(), o.seed);
  const adamw = { ...ADAMW_DEFAULTS, ...o.adamw };
  if (o.weightDecay !== undefined) adamw.weightDecay = o.weightDecay;
  return new Stepper(
    layout,
    variants,
    { params, m: new Float32Array(layout.total), v: new Float32Array(layout.total), step: 0 },
    { adamw, accumulate: 1, seed: o.seed, seedOffset: 0, session: { threads: o.threads ?? 2 } },
  );
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

function copyWeights(stepper: Stepper): Map<string, Float32Array> {
  const flat = stepper.state().params;
  return new Map([...unflatten(stepper.layout, flat)].map(([name, v]) => [name, v.slice()]));
}

/** What trainSpeech runs: the model, its losses, every example's targets and the batches of each epoch. */
function speechPlan(o: SpeechTrainOptions, log: (line: string) => void) {
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
  const epochBatches = (epoch: number) =>
    makeSpeechBatches(
      kept.map((i) => lengths[i]!),
      o.batchFrames,
      mixSeed(o.seed, epoch),
    ).map((b) => ({ ...b, indices: b.indices.map((j) => kept[j]!) }));
  return { config, model, ids, variants, ignore, targets, epochBatches };
}

/** Why training stops before the next step, if it does (the step count is the loop's own condition). */
function stopReason(
  o: SpeechTrainOptions,
  seconds: number,
  epochDone: boolean,
  epoch: number,
): SpeechTrainResult["stopped"] | undefined {
  if (o.maxSeconds !== undefined && seconds >= o.maxSeconds) return "seconds";
  if (o.signal?.aborted) return "signal";
  if (epochDone && o.maxEpochs !== undefined && epoch + 1 >= o.maxEpochs) return "epochs";
  return undefined;
}

/**
 * Trains a speech model for `steps` optimizer steps, `maxSeconds` or `maxEpochs`, whichever ends first (or until
 * `signal` aborts or onCheckpoint returns false). Examples longer than the model takes (maxSourceLength frames,
 * maxTargetLength targets, or its longest length bucket) are left out, with a log line saying how many.
 */
export async function trainSpeech(o: SpeechTrainOptions): Promise<SpeechTrainResult> {
  const log = o.log ?? (() => {});
  const { config, model, ids, variants, ignore, targets, epochBatches } = speechPlan(o, log);
  const lrAt = o.lrAt ?? ((step: number) => noam(step, o.lr, o.warmupSteps));
  const stepper = newStepper(model, variants, o);
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const every = o.logEvery ?? 100;
  let [epoch, step, windowLoss, windowSteps, loss, sinceLoss, sinceSteps] = [0, 0, 0, 0, Number.NaN, 0, 0];
  let stopped: SpeechTrainResult["stopped"] = "steps";
  let batches = epochBatches(epoch);
  try {
    while (step < o.steps) {
      const reason = stopReason(o, elapsed(), batches.length === 0, epoch);
      if (reason) {
        stopped = reason;
        break;
      }
      if (batches.length === 0) batches = epochBatches(++epoch);
      const batch = batches.shift()!;
      const feedOptions = { ids, ignore, specAugment: o.specAugment, seed: mixSeed(o.seed, epoch, 1) };
      const { feeds, tokens } = speechTrainingFeeds(o.examples, targets, batch.indices, feedOptions);
      const variant = pickVariant(variants, batch.frames, batch.tgtLen);
      step += 1;
      const stepLoss = (await stepper.run([{ feeds, tokens, variant }], lrAt(step))).loss;
      [windowLoss, windowSteps] = [windowLoss + stepLoss, windowSteps + 1];
      [sinceLoss, sinceSteps] = [sinceLoss + stepLoss, sinceSteps + 1];
      if (step % every === 0 || step === o.steps) {
        loss = windowLoss / windowSteps;
        log(`step ${step}: loss ${loss.toFixed(4)}, epoch ${epoch + 1}, ${elapsed().toFixed(0)} s`);
        [windowLoss, windowSteps] = [0, 0];
      }
      if (o.onCheckpoint && o.checkpointEvery && step % o.checkpointEvery === 0) {
        const weights = copyWeights(stepper);
        const go = await o.onCheckpoint({ step, loss: sinceLoss / sinceSteps, weights });
        [sinceLoss, sinceSteps] = [0, 0];
        if (go === false) {
          stopped = "checkpoint";
          break;
        }
      }
    }
  } finally {
    await stepper.release();
  }
  if (windowSteps > 0) loss = windowLoss / windowSteps;
  return { config, model, weights: copyWeights(stepper), steps: step, seconds: elapsed(), loss, stopped };
}
