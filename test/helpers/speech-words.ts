// A handful of spoken words synthesized with espeak-ng for the speech tests (skipped when espeak-ng is missing),
// and a tiny Whisper-style model trained on them, shared by the training, CLI and server tests.

import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { resample } from "../../src/audio/resample.ts";
import { readWav, writeWav } from "../../src/audio/wav.ts";
import type { SpeechExample } from "../../src/data/speech-corpus.ts";
import { loadSpeechFeatures } from "../../src/data/speech-dataset.ts";
import { saveModelFolder } from "../../src/models/folder.ts";
import type { ModelConfig } from "../../src/models/registry.ts";
import { trainCharTokenizer } from "../../src/tokenize/simple-tokenizers.ts";
import { jointPair } from "../../src/tokenize/tokenizer-pair.ts";
import { type SpeechTrainResult, trainSpeech } from "../../src/train/speech-train.ts";

const run = promisify(execFile);

export const WORDS = ["zero", "one", "two", "three", "four", "five"];
export const VOICES = ["en-us+m3", "en-gb+f2"];

/** undefined when espeak-ng runs, else a skip message. */
export async function espeakMissing(): Promise<string | undefined> {
  try {
    await run("espeak-ng", ["--version"]);
    return undefined;
  } catch {
    return "espeak-ng is not installed (Debian/Ubuntu: apt-get install espeak-ng): speech tests skipped";
  }
}

/** Synthesizes every word in every voice as 16 kHz WAV files under `dir`; returns them as manifest rows. */
export async function synthesizeWords(dir: string): Promise<SpeechExample[]> {
  await mkdir(dir, { recursive: true });
  const examples: SpeechExample[] = [];
  for (const voice of VOICES) {
    for (const word of WORDS) {
      const raw = join(dir, `${word}-${voice}.raw.wav`);
      const audio = join(dir, `${word}-${voice}.wav`);
      await run("espeak-ng", ["-v", voice, "-s", "160", "-w", raw, word]);
      const wav = await readWav(raw);
      await writeWav(audio, resample(wav.samples, wav.sampleRate, 16000), 16000);
      examples.push({ audio, text: word, voice });
    }
  }
  return examples;
}

/** The tiny Whisper-style model of the tests. */
export const TINY_WHISPER: ModelConfig = {
  architecture: "whisper",
  dModel: 64,
  heads: 2,
  ffDim: 128,
  encoderLayers: 1,
  decoderLayers: 1,
  maxSourcePositions: 100,
  maxTargetPositions: 16,
  dropout: 0,
};

/** Trains TINY_WHISPER (or `model`) on `examples` and saves it to `out`. */
export async function trainTinySpeechModel(
  examples: readonly SpeechExample[],
  out: string,
  options: { model?: ModelConfig; steps?: number; log?: (line: string) => void } = {},
): Promise<SpeechTrainResult> {
  const featured = await loadSpeechFeatures(examples);
  const tokenizer = trainCharTokenizer(examples.map((e) => e.text));
  const result = await trainSpeech({
    model: options.model ?? TINY_WHISPER,
    examples: featured,
    tokenizer,
    steps: options.steps ?? 150,
    lr: 3e-3,
    warmupSteps: 20,
    batchFrames: 12 * 100,
    weightDecay: 0,
    seed: 1,
    log: options.log,
    logEvery: 25,
  });
  await saveModelFolder(out, {
    config: result.config,
    model: result.model,
    weights: result.weights,
    tokenizers: jointPair(tokenizer),
  });
  return result;
}
