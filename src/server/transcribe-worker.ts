// The speech side of a decoding worker thread: loads the served speech model folders as Transcribers and
// answers transcription jobs (decoded audio in, transcripts out), so ONNX Runtime never blocks the event loop.

import {
  AudioTooLongError,
  isSpeechModelFolder,
  loadTranscriber,
  type TranscribeOptions,
  type Transcriber,
  type Transcript,
} from "../decode/transcribe.ts";
import type { ModelInfo, ModelSpec } from "./decode-worker.ts";

/** One clip of a transcription job: mono samples at `sampleRate`, named (file name) for errors. */
export interface AudioClip {
  name: string;
  sampleRate: number;
  samples: Float32Array;
}

/** One request's clips, decoded together. */
export interface TranscribeJob {
  model: string;
  audios: AudioClip[];
  options: TranscribeOptions;
}

/** Transcripts in order, or a client error (413: a clip over the model's length limit). */
export type TranscribeOutcome =
  | { ok: true; transcripts: Transcript[] }
  | { ok: false; status: 400 | 413; message: string };

/** The speech models a worker serves, by name. */
export class SpeechModels {
  private constructor(private readonly transcribers: Map<string, Transcriber>) {}

  /** Loads every spec whose folder holds a speech model (the others are left to the translators). */
  static async load(specs: readonly ModelSpec[], threads: number): Promise<SpeechModels> {
    const transcribers = new Map<string, Transcriber>();
    try {
      for (const spec of specs) {
        const dirs = typeof spec.dir === "string" ? [spec.dir] : spec.dir;
        const speech = dirs.find(isSpeechModelFolder);
        if (speech === undefined) continue;
        if (dirs.length > 1)
          throw new Error(
            `model "${spec.name}": ${speech} is a speech model, and those are served one folder each`,
          );
        transcribers.set(spec.name, await loadTranscriber(speech, { threads }));
      }
    } catch (error) {
      for (const t of transcribers.values()) await t.release();
      throw error;
    }
    return new SpeechModels(transcribers);
  }

  has(name: string): boolean {
    return this.transcribers.has(name);
  }

  /** What GET /v1/models says about speech model `name` (input "audio"). */
  info(name: string): ModelInfo {
    const t = this.transcribers.get(name)!;
    const parameters = t.model.parameters().reduce((n, p) => n + p.shape.reduce((a, d) => a * d, 1), 0);
    return {
      name,
      architecture: t.model.architecture,
      srcVocabSize: 0,
      tgtVocabSize: t.model.tgtVocabSize,
      parameters,
      input: "audio",
      ...(t.maxSeconds === undefined ? {} : { maxAudioSeconds: t.maxSeconds }),
    };
  }

  /** Transcribes one job; a clip too long for the model is a client error naming it. */
  async run(job: TranscribeJob): Promise<TranscribeOutcome> {
    const transcriber = this.transcribers.get(job.model);
    if (!transcriber) throw new Error(`worker has no speech model "${job.model}"`);
    try {
      const audios = job.audios.map((a) => ({ sampleRate: a.sampleRate, samples: a.samples }));
      const names = job.audios.map((a) => a.name);
      return { ok: true, transcripts: await transcriber.transcribe(audios, job.options, names) };
    } catch (error) {
      if (error instanceof AudioTooLongError) return { ok: false, status: 413, message: error.message };
      throw error;
    }
  }

  async release(): Promise<void> {
    for (const t of this.transcribers.values()) await t.release();
  }
}
