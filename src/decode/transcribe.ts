// The transcription library the CLI and the HTTP server share: load a speech model folder (one trained here, or
// a Hugging Face Whisper folder) once, then turn audio into text (features, encode once per batch, search, detokenize).

import { existsSync } from "node:fs";
import { join } from "node:path";
import { type LogMel, logMelSpectrogram } from "../audio/mel.ts";
import { toSampleRate } from "../audio/resample.ts";
import { type Audio, readWav } from "../audio/wav.ts";
import { padFeatures } from "../data/speech-dataset.ts";
import { isHfFolder, readJsonObject } from "../io/hf-folder.ts";
import { loadModelFolder } from "../models/folder.ts";
import { type GenerationConfig, withOverrides } from "../models/hf-generation.ts";
import { loadHfWhisper } from "../models/hf-whisper.ts";
import type { Seq2SeqModel } from "../models/seq2seq.ts";
import type { SessionOptions } from "../runtime/ort.ts";
import type { Tokenizer } from "../tokenize/tokenizer.ts";
import { beamSearch } from "./beam.ts";
import { greedySearch } from "./greedy.ts";
import { generate } from "./hf-generate.ts";
import { type DecoderState, Seq2SeqRunner } from "./runner.ts";
import type { Hypothesis } from "./search.ts";

/** Frames per second of the features (hop 160 at 16 kHz). */
const FRAMES_PER_SECOND = 100;

export interface TranscribeOptions {
  /** Beam size (default 1: greedy). */
  beam?: number;
  /** Most output tokens before EOS (default 200, capped by the model's positions). */
  maxLength?: number;
  /** Utterances decoded together (default 16). */
  batchSize?: number;
}

/** Options of `loadTranscriber`. */
export interface LoadTranscriberOptions extends SessionOptions {
  /** A multilingual Whisper folder's language ("en", "de", ...): its <|lang|> prompt token. */
  language?: string;
  /** A Whisper folder's task: "transcribe" (default) or "translate". */
  task?: string;
}

export interface Transcript {
  text: string;
  /** Output ids (EOS and any Whisper prompt left out). */
  ids: number[];
  /** The audio's length in seconds. */
  seconds: number;
}

/** Audio that cannot be transcribed (too long for the model); `index` is its position in the call. */
export class AudioTooLongError extends Error {
  constructor(
    readonly index: number,
    readonly name: string,
    readonly seconds: number,
    readonly limit: number,
  ) {
    super(`${name}: ${seconds.toFixed(2)} s of audio; this model takes at most ${limit} s`);
  }
}

/** How a loaded model decodes: this project's BOS/EOS convention, or a Hugging Face generation config. */
type Decoding = { kind: "own" } | { kind: "hf"; generation: GenerationConfig; maxPositions: number };

/** A loaded speech model ready to transcribe; release() frees its ONNX Runtime sessions. */
export class Transcriber {
  private constructor(
    readonly model: Seq2SeqModel,
    readonly tokenizer: Tokenizer,
    private readonly runner: Seq2SeqRunner,
    private readonly decoding: Decoding,
    /** Hugging Face Whisper reads exactly 30 s windows (3000 frames); ours read any length. */
    private readonly chunkFrames: number | undefined,
  ) {}

  /** Loads a speech model folder trained here (architecture whisper or speech-gru) or a Hugging Face Whisper folder. */
  static async load(dir: string, options: LoadTranscriberOptions = {}): Promise<Transcriber> {
    if (isHfFolder(dir)) {
      const hf = await loadHfWhisper(dir, { language: options.language, task: options.task });
      if (!hf.tokenizer) throw new Error(hf.tokenizerProblem ?? `${dir} has no tokenizer.json`);
      const runner = await Seq2SeqRunner.create(hf.model, hf.weights, options);
      const decoding: Decoding = {
        kind: "hf",
        generation: hf.generation,
        maxPositions: hf.config.maxTargetPositions,
      };
      return new Transcriber(hf.model, hf.tokenizer, runner, decoding, hf.model.maxSourceLength);
    }
    if (options.language !== undefined || options.task !== undefined)
      throw new Error(`${dir} is not a Whisper folder: language and task do not apply`);
    const loaded = await loadModelFolder(dir);
    if (loaded.model.inputKind !== "features")
      throw new Error(
        `${dir} holds a text model (architecture "${loaded.model.architecture}"): use \`seq2seq translate\``,
      );
    const runner = await Seq2SeqRunner.create(loaded.model, loaded.weights, options);
    return new Transcriber(loaded.model, loaded.tokenizers.target, runner, { kind: "own" }, undefined);
  }

  /** The longest audio the model takes, in seconds (undefined: no limit). */
  get maxSeconds(): number | undefined {
    const frames = this.model.maxSourceLength;
    return frames === undefined ? undefined : frames / FRAMES_PER_SECOND;
  }

  /** The model's log-mel features of mono audio at any sample rate (resampled to 16 kHz). */
  features(audio: Audio): LogMel {
    const wave = toSampleRate(audio, 16000);
    const chunkSeconds = this.chunkFrames === undefined ? undefined : this.chunkFrames / FRAMES_PER_SECOND;
    return logMelSpectrogram(wave.samples, { nMels: this.model.featureSize, chunkSeconds });
  }

  /**
   * Transcribes mono audio clips (`names` label them in errors). Clips longer than the model takes throw
   * AudioTooLongError; clips shorter than one frame (10 ms) give an empty transcript.
   */
  async transcribe(
    audios: readonly Audio[],
    options: TranscribeOptions = {},
    names: readonly string[] = audios.map((_, i) => `audio ${i + 1}`),
  ): Promise<Transcript[]> {
    const limit = this.maxSeconds;
    const seconds = audios.map((a) => a.samples.length / a.sampleRate);
    const items: Array<{ index: number; features: LogMel }> = [];
    const results = new Array<Transcript>(audios.length);
    audios.forEach((audio, index) => {
      if (limit !== undefined && seconds[index]! > limit)
        throw new AudioTooLongError(index, names[index]!, seconds[index]!, limit);
      if (Math.round(seconds[index]! * 16000) < 160) results[index] = { text: "", ids: [], seconds: 0 };
      else items.push({ index, features: this.features(audio) });
    });
    items.sort((a, b) => a.features.nFrames - b.features.nFrames || a.index - b.index);
    const size = options.batchSize ?? 16;
    for (let start = 0; start < items.length; start += size) {
      const batch = items.slice(start, start + size);
      const frames = batch.map((item) => item.features.nFrames);
      const state = await this.runner.encode(padFeatures(batch.map((item) => item.features)), frames);
      const hyps = await this.search(state, frames, options);
      batch.forEach((item, j) => {
        const ids = hyps[j]!.filter((id) => id !== this.eos);
        const text = this.tokenizer.decode(ids, { skipSpecial: true }).trim();
        results[item.index] = { text, ids, seconds: seconds[item.index]! };
      });
    }
    return results;
  }

  /** Reads WAV files and transcribes them (errors name the file). */
  async transcribeFiles(paths: readonly string[], options: TranscribeOptions = {}): Promise<Transcript[]> {
    const audios: Audio[] = [];
    for (const path of paths) audios.push(await readWav(path));
    return this.transcribe(audios, options, paths);
  }

  private get eos(): number {
    return this.decoding.kind === "hf" ? this.decoding.generation.eosTokenId : this.tokenizer.specials.eos;
  }

  /** The best hypothesis's ids per row. */
  private async search(
    state: DecoderState,
    frames: readonly number[],
    options: TranscribeOptions,
  ): Promise<number[][]> {
    const beam = options.beam ?? 1;
    if (this.decoding.kind === "hf") {
      const { generation, maxPositions } = this.decoding;
      const prompt = 1 + (generation.decoderPromptIds?.length ?? 0);
      const maxNew = Math.min((options.maxLength ?? 200) + 1, maxPositions - prompt);
      const g = withOverrides(generation, { numBeams: beam, numReturnSequences: 1, maxNewTokens: maxNew });
      const out = await generate(this.runner, state, frames, g);
      return out.hypotheses.map((h) => h[0]?.tokens ?? []);
    }
    const { bos, eos, pad } = this.tokenizer.specials;
    const positions = this.model.maxTargetLength ?? 1024;
    const search = {
      bos,
      eos,
      srcLengths: frames,
      maxLength: Math.min(options.maxLength ?? 200, positions - 1),
      suppressTokens: [pad, bos].filter((id) => id >= 0 && id !== eos),
    };
    const hyps: Hypothesis[] =
      beam === 1
        ? await greedySearch(this.runner, state, search)
        : (await beamSearch(this.runner, state, { ...search, beam, nbest: 1 })).map((h) => h[0]!);
    return hyps.map((h) => h.tokens);
  }

  async release(): Promise<void> {
    await this.runner.release();
  }
}

/** Architectures (config.json "architecture") that read speech features. */
const SPEECH_ARCHITECTURES = ["whisper", "speech-gru"];

/** Whether `dir` holds a speech model: a Hugging Face Whisper folder or a speech architecture trained here. */
export function isSpeechModelFolder(dir: string): boolean {
  const path = join(dir, "config.json");
  if (!existsSync(path)) return false;
  try {
    const json = readJsonObject(path).json;
    return json.model_type === "whisper" || SPEECH_ARCHITECTURES.includes(json.architecture as string);
  } catch {
    return false;
  }
}

/** Loads a speech model folder (see Transcriber.load). */
export function loadTranscriber(dir: string, options: LoadTranscriberOptions = {}): Promise<Transcriber> {
  return Transcriber.load(dir, options);
}
