// Band-limited sample-rate conversion (windowed-sinc, Kaiser window), so audio at any rate reaches the 16 kHz
// the features expect without aliasing: the same design as resampy and soxr's polyphase filters.
//
// The filter. Converting between rates F_in and F_out keeps only what both can represent: frequencies below
// the lower Nyquist frequency N = min(F_in, F_out) / 2. The ideal low-pass h(t) = 2 f_c sinc(2 f_c t) is cut to
// a finite length by a Kaiser window w(t) = I0(β √(1 - (t/T)²)) / I0(β). Kaiser's design rules (Oppenheim &
// Schafer §7.5.3) tie the window to the spec: for a stop-band attenuation of A dB, β = 0.1102 (A - 8.7), and a
// transition band Δf Hz wide needs a window of (A - 7.95) / (14.36 Δf) seconds. We pass 0 .. 0.9 N unchanged
// (ripple ~ 10^(-A/20)) and stop everything from N up (attenuated by ≥ A = 100 dB), so nothing folds back below
// the new Nyquist frequency; the cut-off f_c sits mid-transition at 0.95 N. With Δf = 0.1 N = 800 Hz for 16 kHz
// the window lasts 8 ms (about 353 taps at 44.1 kHz).
//
// Output sample n sits at input time t_n = n F_in / F_out; y[n] = Σ_k x[k] h(t_n - k / F_in) / F_in (samples
// outside the signal count as zero). With F_out / F_in = L / M in lowest terms, t_n's fractional part takes only
// L values, so each of those "phases" gets its own precomputed row of taps (a polyphase filter).

/** Filter design knobs; the defaults give the quality described above. */
export interface ResampleOptions {
  /** Pass-band edge as a fraction of the lower Nyquist frequency. Default 0.9. */
  passband?: number;
  /** Stop-band attenuation in dB (from the lower Nyquist frequency up). Default 100. */
  attenuationDb?: number;
}

/** Zeroth-order modified Bessel function of the first kind, by its power series (converges fast for x ≤ 30). */
export function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** The windowed-sinc kernel in units of input samples: taps for one phase of the polyphase filter. */
interface Kernel {
  /** Cut-off in cycles per input sample. */
  cutoff: number;
  /** Half-length of the window in input samples. */
  halfWidth: number;
  beta: number;
  i0Beta: number;
}

function designKernel(fromRate: number, toRate: number, options: ResampleOptions): Kernel {
  const passband = options.passband ?? 0.9;
  const attenuation = options.attenuationDb ?? 100;
  if (!(passband > 0 && passband < 1))
    throw new Error(`resample: passband must be in (0, 1), got ${passband}`);
  if (!(attenuation >= 21)) throw new Error(`resample: attenuationDb must be ≥ 21, got ${attenuation}`);
  const nyquist = Math.min(fromRate, toRate) / 2; // Hz
  const transition = (1 - passband) * nyquist; // Hz
  const beta =
    attenuation > 50
      ? 0.1102 * (attenuation - 8.7)
      : 0.5842 * (attenuation - 21) ** 0.4 + 0.07886 * (attenuation - 21);
  const seconds = (attenuation - 7.95) / (14.36 * transition);
  return {
    cutoff: ((1 + passband) / 2) * (nyquist / fromRate),
    halfWidth: (seconds * fromRate) / 2,
    beta,
    i0Beta: besselI0(beta),
  };
}

/** h(u) for u in input samples: 2 f_c sinc(2 f_c u) · Kaiser(u / halfWidth). */
function kernelAt(k: Kernel, u: number): number {
  const r = u / k.halfWidth;
  if (r <= -1 || r >= 1) return 0;
  const x = 2 * k.cutoff * u;
  const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
  return 2 * k.cutoff * sinc * (besselI0(k.beta * Math.sqrt(1 - r * r)) / k.i0Beta);
}

function checkRate(rate: number, name: string): void {
  if (!Number.isInteger(rate) || rate <= 0) {
    throw new Error(`resample: ${name} must be a positive integer, got ${rate}`);
  }
}

/** The polyphase filter for one pair of rates; reuse one to convert many signals (its taps are computed once). */
export class Resampler {
  /** L and M: F_out / F_in = up / down in lowest terms. */
  readonly up: number;
  readonly down: number;
  private readonly kernel: Kernel;
  /** Taps on each side of t_n. */
  private readonly reach: number;
  /** phase p (t_n - floor(t_n) = p / L) -> [2·reach] weights for x[floor(t_n) - reach + 1 + j]. */
  private readonly phases: (Float64Array | undefined)[] = [];

  constructor(
    readonly fromRate: number,
    readonly toRate: number,
    options: ResampleOptions = {},
  ) {
    checkRate(fromRate, "fromRate");
    checkRate(toRate, "toRate");
    const g = gcd(fromRate, toRate);
    this.up = toRate / g;
    this.down = fromRate / g;
    this.kernel = designKernel(fromRate, toRate, options);
    this.reach = Math.ceil(this.kernel.halfWidth);
  }

  private phase(p: number): Float64Array {
    let row = this.phases[p];
    if (!row) {
      row = new Float64Array(2 * this.reach);
      for (let j = 0; j < row.length; j++) row[j] = kernelAt(this.kernel, p / this.up + this.reach - 1 - j);
      this.phases[p] = row;
    }
    return row;
  }

  /** Converts mono `samples` at fromRate to toRate: ceil(n · toRate / fromRate) samples. */
  process(samples: Float32Array): Float32Array {
    if (this.fromRate === this.toRate) return samples.slice();
    const { up, down, reach } = this;
    const outLength = Math.ceil((samples.length * this.toRate) / this.fromRate);
    const out = new Float32Array(outLength); // [outLength]
    for (let n = 0; n < outLength; n++) {
      const whole = Math.floor((n * down) / up); // floor(t_n)
      const row = this.phase(n * down - whole * up);
      const first = whole - reach + 1;
      const lo = Math.max(0, -first);
      const hi = Math.min(row.length, samples.length - first);
      let acc = 0;
      for (let j = lo; j < hi; j++) acc += row[j]! * samples[first + j]!;
      out[n] = acc;
    }
    return out;
  }
}

const recent = new Map<string, Resampler>(); // a few recently used filters, so repeated calls skip the design

/**
 * Resamples mono `samples` from `fromRate` to `toRate` Hz with a Kaiser-windowed-sinc low-pass (see the file
 * comment). Output length is ceil(n · toRate / fromRate); equal rates return a copy.
 */
export function resample(
  samples: Float32Array,
  fromRate: number,
  toRate: number,
  options: ResampleOptions = {},
): Float32Array {
  const key = `${fromRate}/${toRate}/${options.passband}/${options.attenuationDb}`;
  let resampler = recent.get(key);
  if (!resampler) {
    resampler = new Resampler(fromRate, toRate, options);
    if (recent.size >= 8) recent.delete(recent.keys().next().value!);
    recent.set(key, resampler);
  }
  return resampler.process(samples);
}

/** Resamples `audio` to `sampleRate` Hz; returns `audio` itself when it is already at that rate. */
export function toSampleRate<T extends { sampleRate: number; samples: Float32Array }>(
  audio: T,
  sampleRate: number,
  options?: ResampleOptions,
): T {
  if (audio.sampleRate === sampleRate) return audio;
  return { ...audio, sampleRate, samples: resample(audio.samples, audio.sampleRate, sampleRate, options) };
}
