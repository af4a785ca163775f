// The public API of src/audio: WAV in and out, resampling to 16 kHz, Whisper log-mel features, SpecAugment, noise.
import { toSampleRate } from "./resample.ts";
import { type Audio, readWav } from "./wav.ts";

export {
  Fft,
  hannWindow,
  hertzToMel,
  type LogMel,
  type LogMelOptions,
  logMelSpectrogram,
  melFilterBank,
  melToHertz,
  numFrames,
  padOrTrim,
  powerSpectrogram,
  WHISPER_FEATURES,
} from "./mel.ts";
export { makeNoise, mixAtSnr, NOISE_KINDS, type NoiseKind } from "./noise.ts";
export { besselI0, type ResampleOptions, Resampler, resample, toSampleRate } from "./resample.ts";
export { type SpecAugmentOptions, specAugment } from "./spec-augment.ts";
export { type Audio, decodeWav, encodeWav, readWav, WavError, type WavInfo, writeWav } from "./wav.ts";

/** Reads a WAV file as mono samples at `sampleRate` Hz (default 16000, what the features expect). */
export async function loadAudio(path: string, sampleRate = 16000): Promise<Audio> {
  const wav = await readWav(path);
  return toSampleRate({ sampleRate: wav.sampleRate, samples: wav.samples }, sampleRate);
}
