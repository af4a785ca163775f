// Training a speech model (Whisper-style or the context-vector RNN baseline) on featured utterances: batches by
// frame count, optional SpecAugment, the one-graph AdamW step (one graph per length bucket for RNNs), Noam LR.

import type { SpecAugmentOptions } from "../audio/spec-augment.ts";
import { mixSeed } from "../data/rng.ts";
import { type FeaturedExample, makeSpeechBatches, speechBatchFeeds } from "../data/speech-dataset.ts";
import { buildModel, type ModelConfig, resolveModelConfig } from "../models/registry.ts";
import type { Seq2SeqModel } from "../models/seq2seq.ts";
import type { Tokenizer } from "../tokenize/tokenizer.ts";
import { ADAMW_DEFAULTS, flatLayout } from "./step-graph.ts";
import { initialFlatParams, unflatten } from "./step-runner.ts";
import { type LossVariant, lossVariants, pickVariant, Stepper } from "./stepper.ts";

export interface SpeechTrainOptions {
  /** Architecture ("whisper" or "speech-gru") and options; vocabSize, padId and nMels are filled in. */
  model: ModelConfig;
  examples: readonly FeaturedExample[];
  /** Target tokenizer (e.g. a char tokenizer trained on the transcripts). */
  tokenizer: Tokenizer;
  /** Optimizer steps. */
  steps: number;
  /** Stop earlier once this many seconds have passed. */
  maxSeconds?: number;
  /** Peak learning rate of the Noam schedule (reached after warmupSteps). */
  lr: number;
  warmupSteps: number;
  /** Rows × padded frames per batch. */
  batchFrames: number;
  specAugment?: Omit<SpecAugmentOptions, "seed">;
  labelSmoothing?: number;
  weightDecay?: number;
  seed: number;
  /** ONNX Runtime threads (default 2). */
  threads?: number;
  log?: (line: string) => void;
  /** Log every this many steps (default 100). */
  logEvery?: number;
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

/** Indices of the examples some loss variant (length bucket) holds; logs how many are left out. */
function fittingExamples(
  lengths: ReadonlyArray<{ frames: number; targets: number }>,
  variants: readonly LossVariant[],
  log: (line: string) => void,
): number[] {
  const kept = lengths
    .map((_, i) => i)
    .filter((i) => pickVariant(variants, lengths[i]!.frames, lengths[i]!.targets + 1) >= 0);
  if (kept.length < lengths.length)
    log(`left out ${lengths.length - kept.length} utterances too long for the model`);
  if (kept.length === 0) throw new Error("trainSpeech: every utterance is too long for the model");
  return kept;
}

/** A fresh optimizer over the model's parameters (seeded initialisation, zero moments). */
function newStepper(model: Seq2SeqModel, variants: readonly LossVariant[], o: SpeechTrainOptions): Stepper {
  const layout = flatLayout(model.parameters());
  const params = initialFlatParams(layout, model.parameters(), o.seed);
  return new Stepper(
    layout,
    variants,
    { params, m: new Float32Array(layout.total), v: new Float32Array(layout.total), step: 0 },
    {
      adamw: { ...ADAMW_DEFAULTS, weightDecay: o.weightDecay ?? ADAMW_DEFAULTS.weightDecay },
      accumulate: 1,
      seed: o.seed,
      seedOffset: 0,
      session: { threads: o.threads ?? 2 },
    },
  );
}

/**
 * Trains a speech model from scratch for `steps` optimizer steps or `maxSeconds`, whichever ends first. Examples
 * longer than the model takes (maxSourceLength frames, or its longest length bucket) are left out, with a log
 * line saying how many.
 */
export async function trainSpeech(o: SpeechTrainOptions): Promise<SpeechTrainResult> {
  const log = o.log ?? (() => {});
  if (o.examples.length === 0) throw new Error("trainSpeech: no training examples");
  const config = speechModelConfig(o.model, o.tokenizer, o.examples[0]!.features.nMels);
  const model = buildModel(config);
  const variants = lossVariants(model, { labelSmoothing: o.labelSmoothing ?? 0 });
  const targets = o.examples.map((e) => o.tokenizer.encode(e.text));
  const lengths = o.examples.map((e, i) => ({ frames: e.features.nFrames, targets: targets[i]!.length }));
  const kept = fittingExamples(lengths, variants, log);
  const epochBatches = (epoch: number) =>
    makeSpeechBatches(
      kept.map((i) => lengths[i]!),
      o.batchFrames,
      mixSeed(o.seed, epoch),
    ).map((b) => ({ ...b, indices: b.indices.map((j) => kept[j]!) }));
  const stepper = newStepper(model, variants, o);
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const every = o.logEvery ?? 100;
  let [epoch, step, windowLoss, windowSteps, loss] = [0, 0, 0, 0, Number.NaN];
  let batches = epochBatches(epoch);
  try {
    while (step < o.steps && (o.maxSeconds === undefined || elapsed() < o.maxSeconds)) {
      if (batches.length === 0) batches = epochBatches(++epoch);
      const batch = batches.shift()!;
      const { feeds, tokens } = speechBatchFeeds(o.examples, targets, batch.indices, {
        tokenizer: o.tokenizer,
        specAugment: o.specAugment,
        seed: mixSeed(o.seed, epoch, 1),
      });
      const variant = pickVariant(variants, batch.frames, batch.tgtLen);
      step += 1;
      windowLoss += (await stepper.run([{ feeds, tokens, variant }], noam(step, o.lr, o.warmupSteps))).loss;
      windowSteps += 1;
      if (step % every === 0 || step === o.steps) {
        loss = windowLoss / windowSteps;
        log(`step ${step}: loss ${loss.toFixed(4)}, epoch ${epoch + 1}, ${elapsed().toFixed(0)} s`);
        [windowLoss, windowSteps] = [0, 0];
      }
    }
  } finally {
    await stepper.release();
  }
  if (windowSteps > 0) loss = windowLoss / windowSteps;
  const flat = stepper.state().params;
  const weights = new Map([...unflatten(stepper.layout, flat)].map(([name, v]) => [name, v.slice()]));
  return { config, model, weights, steps: step, seconds: elapsed(), loss };
}
