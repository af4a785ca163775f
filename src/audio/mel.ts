// Log-mel features exactly as Hugging Face's WhisperFeatureExtractor computes them (transformers' audio_utils
// `spectrogram` + `mel_filter_bank`), so models trained here read the same inputs as Whisper checkpoints.
//
// Steps: optionally pad with zeros / trim the waveform to a fixed chunk (Whisper: 30 s = 480000 samples); reflect-
// pad n_fft/2 samples at both ends (numpy's "reflect", centred frames); frame every `hop` samples; multiply by a
// periodic Hann window; power spectrum |DFT|² of each frame (n_fft/2 + 1 bins); Slaney mel filter bank; drop the
// last frame; log10(max(·, 1e-10)); clamp to (maximum over the utterance - 8); then (x + 4) / 4.

/** Feature settings; defaults are Whisper's (80 mel bins; large-v3 uses 128). */
export interface LogMelOptions {
  /** Rate of the input samples; must be what the filter bank is built for. Default 16000. */
  sampleRate?: number;
  /** FFT size = frame length. Default 400 (25 ms). */
  nFft?: number;
  /** Hop between frames in samples. Default 160 (10 ms). */
  hopLength?: number;
  /** Mel bins. Default 80. */
  nMels?: number;
  /** Pad with silence or trim the waveform to this many seconds first (Whisper: 30 → 3000 frames). Default: none. */
  chunkSeconds?: number;
}

/** Log-mel features: `data` is [nMels, nFrames] row-major, like one row of HF's `input_features`. */
export interface LogMel {
  data: Float32Array;
  nMels: number;
  nFrames: number;
}

/** The settings of Whisper's feature extractor (padding/trimming to 30 s included). */
export const WHISPER_FEATURES: Required<LogMelOptions> = {
  sampleRate: 16000,
  nFft: 400,
  hopLength: 160,
  nMels: 80,
  chunkSeconds: 30,
};

/** Hann window; `periodic` (the default, as torch.hann_window and HF's window_function) drops the last point of an n+1 window. */
export function hannWindow(length: number, periodic = true): Float64Array {
  const denominator = periodic ? length : length - 1;
  const w = new Float64Array(length);
  for (let i = 0; i < length; i++)
    w[i] = denominator === 0 ? 1 : 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / denominator);
  return w;
}

const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = 15; // = 1000 Hz / (200/3 Hz per mel)
const LOG_STEP = Math.log(6.4) / 27;

/** Slaney's mel scale (librosa's default, htk=False): linear below 1 kHz, logarithmic above. */
export function hertzToMel(hz: number): number {
  return hz < MIN_LOG_HZ ? (3 * hz) / 200 : MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOG_STEP;
}

/** Inverse of hertzToMel. */
export function melToHertz(mel: number): number {
  return mel < MIN_LOG_MEL ? (200 * mel) / 3 : MIN_LOG_HZ * Math.exp(LOG_STEP * (mel - MIN_LOG_MEL));
}

/**
 * Slaney-normalised triangular mel filter bank, as librosa `mel(sr, n_fft, n_mels, htk=False, norm="slaney")` and
 * transformers `mel_filter_bank(..., norm="slaney", mel_scale="slaney")`. Returns [nMels, nFft/2 + 1] row-major.
 */
export function melFilterBank(
  sampleRate: number,
  nFft: number,
  nMels: number,
  minHz = 0,
  maxHz = sampleRate / 2,
): Float64Array {
  const nFreqs = Math.floor(nFft / 2) + 1;
  const lo = hertzToMel(minHz);
  const hi = hertzToMel(maxHz);
  const edges = new Float64Array(nMels + 2); // band edges in Hz, equally spaced in mel
  for (let i = 0; i < nMels + 2; i++) edges[i] = melToHertz(lo + ((hi - lo) * i) / (nMels + 1));
  const bank = new Float64Array(nMels * nFreqs); // [nMels, nFreqs]
  for (let m = 0; m < nMels; m++) {
    const [left, centre, right] = [edges[m]!, edges[m + 1]!, edges[m + 2]!];
    const norm = 2 / (right - left); // equal area per band
    for (let f = 0; f < nFreqs; f++) {
      const hz = (f * sampleRate) / nFft;
      const rising = (hz - left) / (centre - left);
      const falling = (right - hz) / (right - centre);
      bank[m * nFreqs + f] = Math.max(0, Math.min(rising, falling)) * norm;
    }
  }
  return bank;
}

function smallestFactor(n: number): number {
  if (n % 4 === 0 && n > 4) return 4;
  for (let p = 2; p * p <= n; p++) if (n % p === 0) return p;
  return n;
}

/**
 * Complex FFT of any length: recursive mixed-radix decimation in time (radix 4, 2, 3, 5, ...; a prime length p
 * costs O(p²) at its level). n = 400 = 4·4·5·5 takes 4 short passes instead of a 400² DFT.
 */
export class Fft {
  private readonly factors: number[] = [];
  private readonly cos: Float64Array; // cos(2πe/n)
  private readonly sin: Float64Array; // sin(2πe/n)
  private readonly inRe: Float64Array;
  private readonly inIm: Float64Array;
  private readonly tRe: Float64Array;
  private readonly tIm: Float64Array;

  constructor(readonly n: number) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`Fft: size must be a positive integer, got ${n}`);
    for (let rest = n; rest > 1; ) {
      const f = smallestFactor(rest);
      this.factors.push(f);
      rest /= f;
    }
    this.cos = new Float64Array(n);
    this.sin = new Float64Array(n);
    for (let e = 0; e < n; e++) {
      this.cos[e] = Math.cos((2 * Math.PI * e) / n);
      this.sin[e] = Math.sin((2 * Math.PI * e) / n);
    }
    this.inRe = new Float64Array(n);
    this.inIm = new Float64Array(n);
    const widest = Math.max(1, ...this.factors);
    this.tRe = new Float64Array(widest);
    this.tIm = new Float64Array(widest);
  }

  /** In place: (re, im) ← X[k] = Σ_j x[j] e^{-2πi jk/n}. */
  forward(re: Float64Array, im: Float64Array): void {
    if (re.length !== this.n || im.length !== this.n)
      throw new Error(`Fft: expected arrays of length ${this.n}`);
    this.inRe.set(re);
    this.inIm.set(im);
    this.pass(this.n, 0, 0, 1, 0, re, im);
  }

  /** DFT of size `size` of inputs at inOff + j·stride, written contiguously at outOff. */
  private pass(
    size: number,
    level: number,
    inOff: number,
    stride: number,
    outOff: number,
    re: Float64Array,
    im: Float64Array,
  ): void {
    if (size === 1) {
      re[outOff] = this.inRe[inOff]!;
      im[outOff] = this.inIm[inOff]!;
      return;
    }
    const f = this.factors[level]!;
    const m = size / f;
    for (let r = 0; r < f; r++)
      this.pass(m, level + 1, inOff + r * stride, stride * f, outOff + r * m, re, im);
    const step = this.n / size; // W_size^e = W_n^(e·step)
    const { cos, sin, tRe, tIm, n } = this;
    for (let k = 0; k < m; k++) {
      for (let r = 0; r < f; r++) {
        const e = (r * k * step) % n;
        const xr = re[outOff + r * m + k]!;
        const xi = im[outOff + r * m + k]!;
        tRe[r] = xr * cos[e]! + xi * sin[e]!; // x · e^{-iθ}
        tIm[r] = xi * cos[e]! - xr * sin[e]!;
      }
      for (let q = 0; q < f; q++) {
        let sr = 0;
        let si = 0;
        for (let r = 0; r < f; r++) {
          const e = ((r * q) % f) * (n / f);
          sr += tRe[r]! * cos[e]! + tIm[r]! * sin[e]!;
          si += tIm[r]! * cos[e]! - tRe[r]! * sin[e]!;
        }
        re[outOff + k + q * m] = sr;
        im[outOff + k + q * m] = si;
      }
    }
  }
}

/** numpy's "reflect" padding index (mirror without repeating the edge), for any distance past either end. */
function reflectIndex(i: number, length: number): number {
  if (length === 1) return 0;
  const period = 2 * (length - 1);
  const j = ((i % period) + period) % period;
  return j < length ? j : period - j;
}

/**
 * Power spectrogram |STFT|² with centred frames (reflect padding) and a periodic Hann window, like
 * `torch.stft(center=True)`. Returns [nFrames, nFft/2 + 1] row-major with nFrames = 1 + floor(len / hop).
 */
export function powerSpectrogram(
  samples: Float32Array,
  nFft: number,
  hopLength: number,
): { data: Float64Array; nFrames: number } {
  if (samples.length === 0) throw new Error("powerSpectrogram: empty waveform");
  const half = Math.floor(nFft / 2);
  const nFreqs = half + 1;
  const nFrames = 1 + Math.floor((samples.length + 2 * half - nFft) / hopLength);
  const window = hannWindow(nFft);
  const fft = new Fft(nFft);
  const re = new Float64Array(nFft);
  const im = new Float64Array(nFft);
  const data = new Float64Array(nFrames * nFreqs); // [nFrames, nFreqs]
  for (let t = 0; t < nFrames; t++) {
    const start = t * hopLength - half;
    for (let j = 0; j < nFft; j++) re[j] = samples[reflectIndex(start + j, samples.length)]! * window[j]!;
    im.fill(0);
    fft.forward(re, im);
    for (let k = 0; k < nFreqs; k++) data[t * nFreqs + k] = re[k]! * re[k]! + im[k]! * im[k]!;
  }
  return { data, nFrames };
}

/** Zero-pads or trims `samples` to exactly `length`. */
export function padOrTrim(samples: Float32Array, length: number): Float32Array {
  if (samples.length === length) return samples;
  if (samples.length > length) return samples.subarray(0, length);
  const out = new Float32Array(length);
  out.set(samples);
  return out;
}

/** Number of feature frames logMelSpectrogram returns for `numSamples` samples (before any chunk padding). */
export function numFrames(numSamples: number, hopLength = WHISPER_FEATURES.hopLength): number {
  return Math.floor(numSamples / hopLength);
}

/**
 * Whisper log-mel features of mono `samples` at `options.sampleRate` (see the file comment for the steps).
 * Returns [nMels, floor(len / hop)] (3000 frames with chunkSeconds 30). Matches transformers to float32 rounding.
 */
export function logMelSpectrogram(samples: Float32Array, options: LogMelOptions = {}): LogMel {
  const sampleRate = options.sampleRate ?? WHISPER_FEATURES.sampleRate;
  const nFft = options.nFft ?? WHISPER_FEATURES.nFft;
  const hop = options.hopLength ?? WHISPER_FEATURES.hopLength;
  const nMels = options.nMels ?? WHISPER_FEATURES.nMels;
  const wave =
    options.chunkSeconds === undefined
      ? samples
      : padOrTrim(samples, Math.round(options.chunkSeconds * sampleRate));
  if (numFrames(wave.length, hop) === 0) {
    throw new Error(`logMelSpectrogram: ${wave.length} samples are too short for one frame (need ≥ ${hop})`);
  }
  const power = powerSpectrogram(wave, nFft, hop);
  const nFrames = power.nFrames - 1; // the last frame is dropped, as Whisper does
  const nFreqs = Math.floor(nFft / 2) + 1;
  const bank = melFilterBank(sampleRate, nFft, nMels);
  const logSpec = new Float64Array(nMels * nFrames); // [nMels, nFrames]
  let max = Number.NEGATIVE_INFINITY;
  for (let m = 0; m < nMels; m++) {
    const row = bank.subarray(m * nFreqs, (m + 1) * nFreqs);
    let lo = 0;
    let hi = nFreqs;
    while (lo < hi && row[lo] === 0) lo++;
    while (hi > lo && row[hi - 1] === 0) hi--;
    for (let t = 0; t < nFrames; t++) {
      let energy = 0;
      for (let f = lo; f < hi; f++) energy += row[f]! * power.data[t * nFreqs + f]!;
      const value = Math.log10(Math.max(energy, 1e-10));
      logSpec[m * nFrames + t] = value;
      if (value > max) max = value;
    }
  }
  const data = new Float32Array(nMels * nFrames);
  for (let i = 0; i < data.length; i++) data[i] = (Math.max(logSpec[i]!, max - 8) + 4) / 4;
  return { data, nMels, nFrames };
}
