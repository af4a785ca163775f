// Speech examples for training and evaluating speech models: a manifest's audio as Whisper log-mel features and
// its text as target ids, batched by frame count; every utterance is padded with its own silence level.

import { type LogMel, logMelSpectrogram } from "../audio/mel.ts";
import { resample } from "../audio/resample.ts";
import { type SpecAugmentOptions, specAugment } from "../audio/spec-augment.ts";
import { readWav } from "../audio/wav.ts";
import type { HostTensor } from "../graph/tensor.ts";
import { IO } from "../models/seq2seq.ts";
import type { Tokenizer } from "../tokenize/tokenizer.ts";
import { mixSeed, Rng } from "./rng.ts";
import type { SpeechExample } from "./speech-corpus.ts";

/** The rate the features are computed at (Whisper's). */
export const FEATURE_SAMPLE_RATE = 16000;

/** An utterance ready for a speech model: features [nMels, frames] and the transcript. */
export interface FeaturedExample extends SpeechExample {
  features: LogMel;
}

/** Log-mel features of mono samples at any rate (resampled to 16 kHz first); `nMels` bins. */
export function audioFeatures(samples: Float32Array, sampleRate: number, nMels = 80): LogMel {
  const wave =
    sampleRate === FEATURE_SAMPLE_RATE ? samples : resample(samples, sampleRate, FEATURE_SAMPLE_RATE);
  return logMelSpectrogram(wave, { nMels });
}

/** Reads every example's WAV file and computes its features (errors name the file). */
export async function loadSpeechFeatures(
  examples: readonly SpeechExample[],
  options: { nMels?: number; log?: (line: string) => void } = {},
): Promise<FeaturedExample[]> {
  const out: FeaturedExample[] = [];
  for (const [i, e] of examples.entries()) {
    const wav = await readWav(e.audio);
    out.push({ ...e, features: audioFeatures(wav.samples, wav.sampleRate, options.nMels) });
    if ((i + 1) % 1000 === 0) options.log?.(`features: ${i + 1}/${examples.length} utterances`);
  }
  return out;
}

/** The smallest value of an utterance's features: its silence level after Whisper's dynamic-range clamp. */
export function silenceLevel(features: LogMel): number {
  let min = Number.POSITIVE_INFINITY;
  for (const x of features.data) if (x < min) min = x;
  return Number.isFinite(min) ? min : 0;
}

/**
 * Stacks utterances into input_features [rows, nMels, frames] (frames: the longest, or `frames` when given),
 * each padded at the end with its own silence level, as Whisper pads audio with silence.
 */
export function padFeatures(list: readonly LogMel[], frames?: number): HostTensor {
  if (list.length === 0) throw new Error("padFeatures: no utterances");
  const nMels = list[0]!.nMels;
  const width = frames ?? Math.max(...list.map((f) => f.nFrames));
  const data = new Float32Array(list.length * nMels * width); // [rows, nMels, width]
  list.forEach((f, row) => {
    if (f.nMels !== nMels) throw new Error(`padFeatures: ${f.nMels} mel bins next to ${nMels}`);
    if (f.nFrames > width) throw new Error(`padFeatures: ${f.nFrames} frames do not fit in ${width}`);
    const fill = silenceLevel(f);
    for (let m = 0; m < nMels; m++) {
      const at = (row * nMels + m) * width;
      data.set(f.data.subarray(m * f.nFrames, (m + 1) * f.nFrames), at);
      data.fill(fill, at + f.nFrames, at + width);
    }
  });
  return { dtype: "float32", dims: [list.length, nMels, width], data };
}

/** One batch: example indices, its padded frame count and target length (BOS + text or text + EOS). */
export interface SpeechBatch {
  indices: number[];
  frames: number;
  tgtLen: number;
}

/**
 * Groups examples of similar length: sorted by frames, then cut so that rows × padded frames stays within
 * `maxFrames` (a batch always has at least one row). Batch order is shuffled with `seed`.
 */
export function makeSpeechBatches(
  lengths: ReadonlyArray<{ frames: number; targets: number }>,
  maxFrames: number,
  seed: number,
): SpeechBatch[] {
  if (!(maxFrames > 0)) throw new Error(`maxFrames must be positive, got ${maxFrames}`);
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]!.frames - lengths[b]!.frames || a - b);
  const batches: SpeechBatch[] = [];
  let current: SpeechBatch | undefined;
  for (const i of order) {
    const { frames, targets } = lengths[i]!;
    if (current && (current.indices.length + 1) * Math.max(current.frames, frames) > maxFrames) {
      batches.push(current);
      current = undefined;
    }
    current ??= { indices: [], frames: 0, tgtLen: 0 };
    current.indices.push(i);
    current.frames = Math.max(current.frames, frames);
    current.tgtLen = Math.max(current.tgtLen, targets + 1);
  }
  if (current) batches.push(current);
  new Rng(seed).shuffle(batches);
  return batches;
}

/** Decoder input (BOS + ids) and target (ids + EOS) rows, padded: tgt_in and tgt_out [rows, tgtLen] int64. */
export function targetFeeds(
  rows: readonly (readonly number[])[],
  specials: { bos: number; eos: number; pad: number },
): Record<string, HostTensor> {
  const len = Math.max(...rows.map((r) => r.length)) + 1;
  const tgtIn = new BigInt64Array(rows.length * len).fill(BigInt(specials.pad));
  const tgtOut = new BigInt64Array(rows.length * len).fill(BigInt(specials.pad));
  rows.forEach((ids, r) => {
    [specials.bos, ...ids].forEach((id, j) => {
      tgtIn[r * len + j] = BigInt(id);
    });
    [...ids, specials.eos].forEach((id, j) => {
      tgtOut[r * len + j] = BigInt(id);
    });
  });
  return {
    [IO.tgtIn]: { dtype: "int64", dims: [rows.length, len], data: tgtIn },
    [IO.tgtOut]: { dtype: "int64", dims: [rows.length, len], data: tgtOut },
  };
}

/** Options of `speechBatchFeeds`. */
export interface SpeechFeedOptions {
  tokenizer: Tokenizer;
  /** SpecAugment masks (training only); each utterance gets a seed mixed from `seed` and its index. */
  specAugment?: Omit<SpecAugmentOptions, "seed">;
  seed?: number;
  /** Pad the features to this many frames instead of the batch's longest. */
  frames?: number;
}

/** The training feeds of one batch: input_features, tgt_in, tgt_out, and the number of target tokens. */
export function speechBatchFeeds(
  examples: readonly FeaturedExample[],
  targets: readonly (readonly number[])[],
  indices: readonly number[],
  o: SpeechFeedOptions,
): { feeds: Record<string, HostTensor>; tokens: number } {
  const features = indices.map((i) => {
    const f = examples[i]!.features;
    return o.specAugment ? specAugment(f, { ...o.specAugment, seed: mixSeed(o.seed ?? 0, i) }) : f;
  });
  const rows = indices.map((i) => targets[i]!);
  return {
    feeds: { [IO.features]: padFeatures(features, o.frames), ...targetFeeds(rows, o.tokenizer.specials) },
    tokens: rows.reduce((n, r) => n + r.length + 1, 0),
  };
}
