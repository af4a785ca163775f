// Background noise for data augmentation and the synthesized speech corpus: seeded coloured noise, mixed into
// speech at a chosen signal-to-noise ratio.
import type { Rng } from "../data/rng.ts";

/** The noise colours makeNoise knows. */
export const NOISE_KINDS = ["white", "pink", "brown"] as const;
export type NoiseKind = (typeof NOISE_KINDS)[number];

/** Gaussian background noise: white, pink (Paul Kellet's filter) or brown (leaky integrator), seeded. */
export function makeNoise(kind: NoiseKind, length: number, rng: Rng): Float32Array {
  const out = new Float32Array(length);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  let [b0, b1, b2, brown] = [0, 0, 0, 0];
  for (let i = 0; i < length; i++) {
    const w = gauss();
    if (kind === "pink") {
      b0 = 0.99765 * b0 + w * 0.099046;
      b1 = 0.963 * b1 + w * 0.2965164;
      b2 = 0.57 * b2 + w * 1.0526913;
      out[i] = b0 + b1 + b2 + w * 0.1848;
    } else if (kind === "brown") out[i] = brown = 0.995 * brown + 0.1 * w;
    else out[i] = w;
  }
  return out;
}

/** Mixes `noise` into `speech` at `snrDb` (by mean power over the utterance); rescales if the mix would clip. */
export function mixAtSnr(speech: Float32Array, noise: Float32Array, snrDb: number): Float32Array {
  const power = (x: Float32Array) => x.reduce((s, v) => s + v * v, 0) / Math.max(1, x.length);
  if (noise.length < speech.length)
    throw new Error(`mixAtSnr: ${noise.length} noise samples for ${speech.length} of speech`);
  const noisePower = power(noise);
  const scale = noisePower > 0 ? Math.sqrt(power(speech) / (noisePower * 10 ** (snrDb / 10))) : 0;
  const out = speech.map((s, i) => s + scale * noise[i]!);
  const peak = out.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return peak > 0.999 ? out.map((v) => (v * 0.999) / peak) : out;
}
