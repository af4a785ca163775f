// End to end on audio: a tiny Whisper-style model and the no-attention GRU baseline learn to transcribe six
// words synthesized by espeak-ng in two voices (character error rate 0 after training).

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { SpeechExample } from "../../src/data/speech-corpus.ts";
import { loadTranscriber } from "../../src/decode/transcribe.ts";
import { corpusCer } from "../../src/metrics/edit-distance.ts";
import type { ModelConfig } from "../../src/models/registry.ts";
import { espeakMissing, synthesizeWords, trainTinySpeechModel } from "../helpers/speech-words.ts";

const skip = await espeakMissing();

describe("speech models learn a handful of synthesized words", { skip }, () => {
  let dir: string;
  let examples: SpeechExample[];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "speech-train-"));
    examples = await synthesizeWords(join(dir, "wav"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function cerAfterTraining(out: string, model?: ModelConfig) {
    const result = await trainTinySpeechModel(examples, out, { model });
    assert.ok(result.loss < 0.05, `final loss ${result.loss}`);
    const transcriber = await loadTranscriber(out);
    try {
      const transcripts = await transcriber.transcribeFiles(examples.map((e) => e.audio));
      const hyps = transcripts.map((t) => t.text);
      return corpusCer(hyps, [examples.map((e) => e.text)]).score;
    } finally {
      await transcriber.release();
    }
  }

  test("Whisper-style: CER 0 on six words in two voices", async () => {
    assert.equal(await cerAfterTraining(join(dir, "whisper")), 0);
  });

  test("context-vector GRU (no attention): CER 0 on the same words", async () => {
    const model = {
      architecture: "speech-gru",
      convDim: 32,
      hiddenDim: 64,
      embeddingDim: 16,
      readoutDim: 32,
      maxFrames: 120,
      maxTargetLength: 8,
      lengthBuckets: 1,
      dropout: 0,
    };
    assert.equal(await cerAfterTraining(join(dir, "gru"), model), 0);
  });
});
