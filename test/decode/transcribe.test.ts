// The transcription library on the Hugging Face Whisper fixture (given a stand-in tokenizer.json): 30-second
// windows (here 32 frames), the decoder prompt left out of the ids, length limits and folder detection.

import assert from "node:assert/strict";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { padFeatures } from "../../src/data/speech-dataset.ts";
import { generateFromFeatures } from "../../src/decode/hf-generate.ts";
import { Seq2SeqRunner } from "../../src/decode/runner.ts";
import {
  AudioTooLongError,
  isSpeechModelFolder,
  loadTranscriber,
  type Transcriber,
} from "../../src/decode/transcribe.ts";
import { loadHfWhisper } from "../../src/models/hf-whisper.ts";
import { trainCharTokenizer } from "../../src/tokenize/simple-tokenizers.ts";
import { saveTinyModelFolder } from "./toy-models.ts";

const FIXTURE = resolve(import.meta.dirname, "../../../shared/fixtures/hf/whisper");
const skip = isSpeechModelFolder(FIXTURE) ? undefined : `Hugging Face fixtures not found at ${FIXTURE}`;

function tone(seconds: number, rate = 16000): { sampleRate: number; samples: Float32Array } {
  const samples = Float32Array.from({ length: Math.round(seconds * rate) }, (_, i) => 0.3 * Math.sin(i / 9));
  return { sampleRate: rate, samples };
}

describe("Transcriber on a Hugging Face Whisper folder", { skip }, () => {
  let dir: string;
  let transcriber: Transcriber;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "transcribe-"));
    await cp(FIXTURE, join(dir, "whisper"), { recursive: true });
    // A stand-in tokenizer with one character per id of the fixture's 96 (4 specials + 92 characters).
    const chars = Array.from({ length: 92 }, (_, i) => String.fromCharCode(0x100 + i)).join("");
    trainCharTokenizer([chars]).save(join(dir, "whisper", "tokenizer.json"));
    transcriber = await loadTranscriber(join(dir, "whisper"), { language: "en", threads: 1 });
  });
  after(async () => {
    await transcriber?.release();
    await rm(dir, { recursive: true, force: true });
  });

  test("ids are transformers-style generate's, without the 4-token prompt; features are 32-frame windows", async () => {
    const clip = tone(0.25, 22050);
    const features = transcriber.features(clip);
    assert.equal(features.nFrames, 32, "padded to the model's window (2 × max_source_positions)");
    const [got] = await transcriber.transcribe([clip], { maxLength: 5 });
    const hf = await loadHfWhisper(join(dir, "whisper"), { language: "en" });
    const runner = await Seq2SeqRunner.create(hf.model, hf.weights);
    const g = { ...hf.generation, maxNewTokens: 6 };
    const out = await generateFromFeatures(runner, padFeatures([features]), g);
    await runner.release();
    assert.deepEqual(
      got!.ids,
      out.sequences[0]!.slice(out.promptLength).filter((id) => id !== 80),
    );
    assert.ok(got!.ids.length > 0 && got!.ids.length <= 6);
    assert.ok(Math.abs(got!.seconds - 0.25) < 1e-3);
  });

  test("too long: AudioTooLongError names the clip; under 10 ms: an empty transcript", async () => {
    await assert.rejects(
      transcriber.transcribe([tone(0.1), tone(0.5)], {}, ["a.wav", "b.wav"]),
      (error) =>
        error instanceof AudioTooLongError &&
        /b\.wav: 0\.50 s of audio; this model takes at most 0\.32 s/.test(error.message),
    );
    const [empty] = await transcriber.transcribe([tone(0.005)]);
    assert.deepEqual(empty, { text: "", ids: [], seconds: 0 });
  });

  test("folders: speech ones are recognised; a text model or language on our folder is refused", async () => {
    const text = join(dir, "text");
    await saveTinyModelFolder(text);
    assert.equal(isSpeechModelFolder(text), false);
    assert.equal(isSpeechModelFolder(join(dir, "nothing")), false);
    await assert.rejects(loadTranscriber(text), /holds a text model \(architecture "transformer"\)/);
    await assert.rejects(loadTranscriber(text, { language: "en" }), /not a Whisper folder/);
  });
});
