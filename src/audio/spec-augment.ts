// SpecAugment's frequency and time masking (Park et al. 2019, "SpecAugment: A Simple Data Augmentation Method
// for Automatic Speech Recognition", §2), applied to log-mel features as a seeded, reproducible training option.
import { Rng } from "../data/rng.ts";
import type { LogMel } from "./mel.ts";

/** Masking policy (the paper's F, m_F, T, m_T, p); time warping (§2, "W") is left out. */
export interface SpecAugmentOptions {
  /** m_T: number of time masks. Default 0. */
  timeMasks?: number;
  /** T: each time mask covers t ~ U[0, T] consecutive frames. Default 0. */
  timeWidth?: number;
  /** p: a time mask covers at most this fraction of the frames (the paper's upper bound). Default 1. */
  maxTimeFraction?: number;
  /** m_F: number of frequency masks. Default 0. */
  freqMasks?: number;
  /** F: each frequency mask covers f ~ U[0, F] consecutive mel bins. Default 0. */
  freqWidth?: number;
  /** Value written into masked cells; "mean" (the default) is the utterance's mean feature value. */
  maskValue?: number | "mean";
  /** Seed; equal seeds give equal masks. */
  seed: number;
}

function checkCount(value: number | undefined, key: string): number {
  const v = value ?? 0;
  if (!Number.isInteger(v) || v < 0)
    throw new Error(`specAugment: ${key} must be a non-negative integer, got ${value}`);
  return v;
}

/**
 * Returns a masked copy of `features` ([nMels, nFrames]): `freqMasks` bands of f ~ U[0, freqWidth] mel bins
 * starting at f0 ~ U[0, nMels - f], then `timeMasks` spans of t ~ U[0, min(timeWidth, p·nFrames)] frames starting
 * at t0 ~ U[0, nFrames - t]. Masks may overlap, as in the paper.
 */
export function specAugment(features: LogMel, options: SpecAugmentOptions): LogMel {
  const timeMasks = checkCount(options.timeMasks, "timeMasks");
  const timeWidth = checkCount(options.timeWidth, "timeWidth");
  const freqMasks = checkCount(options.freqMasks, "freqMasks");
  const freqWidth = checkCount(options.freqWidth, "freqWidth");
  const p = options.maxTimeFraction ?? 1;
  if (!(p >= 0 && p <= 1)) throw new Error(`specAugment: maxTimeFraction must be in [0, 1], got ${p}`);
  const { nMels, nFrames } = features;
  const data = features.data.slice(); // [nMels, nFrames]
  let fill = options.maskValue ?? "mean";
  if (fill === "mean") {
    let sum = 0;
    for (const x of features.data) sum += x;
    fill = data.length > 0 ? sum / data.length : 0;
  }
  const rng = new Rng(options.seed);
  for (let i = 0; i < freqMasks; i++) {
    const f = rng.range(0, Math.min(freqWidth, nMels));
    const f0 = rng.range(0, nMels - f);
    data.fill(fill, f0 * nFrames, (f0 + f) * nFrames);
  }
  const maxT = Math.min(timeWidth, Math.floor(p * nFrames));
  for (let i = 0; i < timeMasks; i++) {
    const t = rng.range(0, maxT);
    const t0 = rng.range(0, nFrames - t);
    for (let m = 0; m < nMels; m++) data.fill(fill, m * nFrames + t0, m * nFrames + t0 + t);
  }
  return { data, nMels, nFrames };
}
