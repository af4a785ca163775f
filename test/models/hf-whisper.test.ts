// The Hugging Face Whisper fixture, loaded from its folder: encoder output and teacher-forced logits equal
// transformers' to 1e-4, and generate (greedy, beam, no-repeat) gives exactly transformers' ids, prompt included.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { generate, generateFromFeatures } from "../../src/decode/hf-generate.ts";
import { Seq2SeqRunner } from "../../src/decode/runner.ts";
import { int64 } from "../../src/graph/tensor.ts";
import { hfFamily } from "../../src/models/hf-config.ts";
import { generationFromHf, whisperPromptIds } from "../../src/models/hf-generation.ts";
import { type HfWhisperModel, loadHfWhisper } from "../../src/models/hf-whisper.ts";
import { IO } from "../../src/models/seq2seq.ts";
import { buildWhisperEncoderGraph, buildWhisperFullGraph } from "../../src/models/whisper-graphs.ts";
import { initialize } from "../../src/nn/init.ts";
import { OrtSession } from "../../src/runtime/ort.ts";
import {
  FIXTURES,
  type FloatTensor,
  fixturesMissing,
  type GenerationCase,
  maxAbsDiff,
} from "./hf-fixtures.ts";

const DIR = join(FIXTURES, "whisper");
const skip = fixturesMissing("whisper");

interface WhisperExpected {
  features: { dtype: "float32"; dims: number[]; data: Float32Array };
  decoderInputIds: number[][];
  encoderOutput: FloatTensor;
  logits: FloatTensor;
  generation: Record<string, GenerationCase>;
  safetensorsKeys: Record<string, number[]>;
}

/** whisper/expected.json (input_features instead of input_ids; see the fixture README). */
function readWhisperExpected(): WhisperExpected {
  // biome-ignore lint/suspicious/noExplicitAny: expected.json is a fixture with a documented layout
  const e: any = JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8"));
  const floats = (t: { shape: number[]; data: number[] }) => ({
    shape: t.shape,
    data: Float32Array.from(t.data),
  });
  const generation: Record<string, GenerationCase> = {};
  for (const [mode, g] of Object.entries<Record<string, never>>(e.generation))
    generation[mode] = {
      kwargs: g.kwargs,
      sequences: (g.sequences as { data: number[][] }).data,
      sequencesScores: g.sequences_scores,
      effectiveMaxLength: g.effective_max_length,
    };
  const f = floats(e.inputs.input_features);
  return {
    features: { dtype: "float32", dims: f.shape, data: f.data },
    decoderInputIds: e.decoder_input_ids.data,
    encoderOutput: floats(e.encoder_last_hidden_state),
    logits: floats(e.logits),
    generation,
    safetensorsKeys: e.safetensors_keys,
  };
}

describe("Hugging Face Whisper fixture", { skip }, () => {
  let hf: HfWhisperModel;
  let runner: Seq2SeqRunner;
  let e: WhisperExpected;
  const features = () => e.features;
  before(async () => {
    e = readWhisperExpected();
    hf = await loadHfWhisper(DIR, { language: "en" });
    runner = await Seq2SeqRunner.create(hf.model, hf.weights);
  });
  after(() => runner.release());

  test("parameter names are the checkpoint's keys; the stored sinusoids are Whisper's", () => {
    const names = hf.model.parameters().map((p) => p.name);
    assert.deepEqual([...names].sort(), Object.keys(e.safetensorsKeys).sort());
    const p = hf.model.encoderPositions;
    const ours = initialize(p.init, p.shape, 0, p.name);
    const diff = maxAbsDiff(ours, hf.weights.get(p.name)!);
    assert.ok(diff < 1e-6, `sinusoid table differs by ${diff}`);
  });

  test("encoder output and teacher-forced logits match transformers (1e-4)", async () => {
    const input = features();
    const encoder = await OrtSession.create(buildWhisperEncoderGraph(hf.model, hf.weights));
    const memory = (await encoder.run({ [IO.features]: input })).encoder_output!;
    assert.deepEqual(memory.dims, e.encoderOutput.shape);
    const encDiff = maxAbsDiff(memory.data as Float32Array, e.encoderOutput.data);
    assert.ok(encDiff < 1e-4, `encoder output differs by ${encDiff}`);
    const full = await OrtSession.create(buildWhisperFullGraph(hf.model, hf.weights));
    const tgt = int64(e.decoderInputIds.flat(), [1, e.decoderInputIds[0]!.length]);
    const logits = (await full.run({ [IO.features]: input, [IO.tgt]: tgt }))[IO.logits]!;
    assert.deepEqual(logits.dims, e.logits.shape);
    const diff = maxAbsDiff(logits.data as Float32Array, e.logits.data);
    assert.ok(diff < 1e-4, `logits differ by ${diff}`);
    await encoder.release();
    await full.release();
  });

  test("the decoder prompt is <|startoftranscript|><|en|><|transcribe|><|notimestamps|>", () => {
    assert.deepEqual(
      [hf.generation.decoderStartTokenId, ...hf.generation.decoderPromptIds!],
      [81, 82, 85, 89],
    );
    const json = hf.generationJson;
    assert.deepEqual(whisperPromptIds({ ...json, language: "<|de|>", task: "translate" }, "g"), [83, 84, 89]);
    assert.throws(
      () => whisperPromptIds({ ...json, language: undefined }, "g.json"),
      /g\.json: "language" is not set/,
    );
    assert.throws(() => whisperPromptIds({ ...json, language: "fr" }, "g.json"), /one of de, en/);
  });

  for (const mode of ["greedy", "beam", "no_repeat_ngram"]) {
    test(`generate ${mode} (WhisperGenerationMixin) equals transformers`, async () => {
      const expected = e.generation[mode]!;
      const g = generationFromHf({ ...hf.generationJson, ...expected.kwargs }, hf.tokens, mode);
      // transformers' Whisper generate runs each of num_return_sequences copies of the input on its own: copies
      // of the best beam. Plain generate() leaves the 4 prompt tokens out.
      const copies = g.numReturnSequences;
      const out = await generateFromFeatures(runner, features(), { ...g, numReturnSequences: 1 });
      const best = out.sequences.map((row) => row.slice(out.promptLength));
      assert.deepEqual(
        best.flatMap((row) => Array<number[]>(copies).fill(row)),
        expected.sequences,
      );
      assert.equal(out.promptLength, 4);
      if (expected.sequencesScores)
        assert.ok(Math.abs(out.scores![0]! - expected.sequencesScores[0]!) < 1e-4, `score ${out.scores![0]}`);
    });
  }

  for (const mode of [
    "greedy_generic_generationmixin",
    "beam_generic_generationmixin",
    "no_repeat_ngram_generic_generationmixin",
  ]) {
    test(`${mode}: the generic generate with the prompt as decoder input ids`, async () => {
      const expected = e.generation[mode]!;
      const g = generationFromHf(
        { ...hf.generationJson, language: "en", task: "transcribe", ...expected.kwargs },
        hf.tokens,
        mode,
      );
      const out = await generate(runner, await runner.encode(features()), [32], g);
      assert.deepEqual(out.sequences, expected.sequences);
      out.scores?.forEach((s, i) => {
        const want = expected.sequencesScores![i]!;
        assert.ok(Math.abs(s - want) < 1e-4, `score ${i}: ${s} vs ${want}`);
      });
    });
  }

  test("model_type whisper is refused by the text loader with a pointer to transcribe", () => {
    assert.throws(
      () => hfFamily({ model_type: "whisper" }, "config.json"),
      /speech model: .*seq2seq transcribe/,
    );
  });

  test("a text model's runner refuses features and a features model refuses ids", async () => {
    await assert.rejects(runner.encode([[1, 2, 3]]), /reads speech features, not token ids/);
    const wrong = { dtype: "float32" as const, dims: [1, 40, 32], data: new Float32Array(40 * 32) };
    await assert.rejects(runner.encode(wrong), /features must be float32 \[rows, 80, frames\]/);
  });
});
