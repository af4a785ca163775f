// SpecAugment's frequency and time masking (Park et al. 2019, "SpecAugment: A Simple Data Augmentation Method
// for Automatic Speech Recognition", §2), applied to log-mel features as a seeded, reproducible training option,
// with vocal tract length perturbation (Jaitly & Hinton 2013, "Vocal Tract Length Perturbation (VTLP) improves
// speech recognition") as an optional frequency warp before the masks.
import { Rng } from "../data/rng.ts";
import { hertzToMel, type LogMel, melToHertz } from "./mel.ts";

/** Masking policy (the paper's F, m_F, T, m_T, p) and VTLP; SpecAugment's time warping (§2, "W") is left out. */
export interface SpecAugmentOptions {
  /**
   * VTLP: each utterance's frequency axis is warped by a factor α ~ U[1 − freqWarp, 1 + freqWarp] (a speaker with
   * a shorter or longer vocal tract, i.e. formants shifted by α). Default 0: no warp, and no random draw for it.
   */
  freqWarp?: number;
  /** Sample rate the mel bins were computed at (the warp works in Hz). Default 16000. */
  sampleRate?: number;
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

/** VTLP's boundary frequency as a fraction of Nyquist (4,800 Hz of 8,000, as Jaitly & Hinton use). */
const WARP_BOUNDARY = 0.6;

/**
 * VTLP's piecewise-linear warp of frequency `hz` by `alpha` (Jaitly & Hinton 2013, eq. 1): f·α up to the boundary
 * F_hi·min(α, 1)/α, then the straight line that maps Nyquist to itself, so the warped axis keeps its range.
 */
export function vtlpWarp(hz: number, alpha: number, nyquist: number): number {
  const boundary = WARP_BOUNDARY * nyquist * Math.min(alpha, 1);
  if (hz <= boundary / alpha) return hz * alpha;
  return nyquist - ((nyquist - boundary) / (nyquist - boundary / alpha)) * (nyquist - hz);
}

/**
 * `features` with each mel bin m replaced by the (linearly interpolated) features at the warped centre frequency
 * of bin m: with α > 1 the content of higher bins moves down, as a longer vocal tract's formants would. Bins are the
 * Slaney mel filter bank's, centred at equal mel steps from 0 Hz to Nyquist (src/audio/mel.ts).
 */
export function warpMelBins(features: LogMel, alpha: number, sampleRate = 16000): LogMel {
  const { nMels, nFrames } = features;
  const nyquist = sampleRate / 2;
  const top = hertzToMel(nyquist);
  const data = new Float32Array(features.data.length);
  for (let m = 0; m < nMels; m++) {
    const centre = melToHertz((top * (m + 1)) / (nMels + 1));
    const at = (hertzToMel(vtlpWarp(centre, alpha, nyquist)) / top) * (nMels + 1) - 1; // fractional bin
    const clamped = Math.min(Math.max(at, 0), nMels - 1);
    const lo = Math.min(Math.floor(clamped), nMels - 2);
    const w = clamped - lo;
    const [a, b] = [lo * nFrames, (lo + 1) * nFrames];
    for (let t = 0; t < nFrames; t++)
      data[m * nFrames + t] = (1 - w) * features.data[a + t]! + w * features.data[b + t]!;
  }
  return { data, nMels, nFrames };
}

/**
 * Returns an augmented copy of `features` ([nMels, nFrames]), or `features` itself when no warp and no mask apply
 * (the input is never modified): first, with `freqWarp`, the VTLP warp of a factor
 * α ~ U[1 − freqWarp, 1 + freqWarp]; then `freqMasks` bands of f ~ U[0, freqWidth] mel bins
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
  const warp = options.freqWarp ?? 0;
  if (!(warp >= 0 && warp < 0.5)) throw new Error(`specAugment: freqWarp must be in [0, 0.5), got ${warp}`);
  if (warp === 0 && freqMasks + timeMasks === 0) return features;
  const rng = new Rng(options.seed);
  const { nMels, nFrames } = features;
  const data =
    warp > 0 && nMels > 1
      ? warpMelBins(features, 1 + warp * (2 * rng.next() - 1), options.sampleRate).data
      : features.data.slice(); // [nMels, nFrames]
  let fill = options.maskValue ?? "mean";
  if (fill === "mean") {
    let sum = 0;
    for (const x of data) sum += x;
    fill = data.length > 0 ? sum / data.length : 0;
  }
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
