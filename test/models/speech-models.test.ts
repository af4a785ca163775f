// Golden behaviour of the speech families' inference graphs in ONNX Runtime: stepping the decoder with its
// cache gives the teacher-forced logits (Whisper and the context-vector GRU), any frame count works, and configs
// are checked by key.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Seq2SeqRunner } from "../../src/decode/runner.ts";
import { Builder } from "../../src/graph/composites.ts";
import { type HostTensor, int64 } from "../../src/graph/tensor.ts";
import { buildModel } from "../../src/models/registry.ts";
import { IO, type Seq2SeqModel } from "../../src/models/seq2seq.ts";
import { SpeechContextRnn } from "../../src/models/speech-rnn.ts";
import { Whisper } from "../../src/models/whisper.ts";
import { buildWhisperFullGraph } from "../../src/models/whisper-graphs.ts";
import { ConstantScope } from "../../src/nn/module.ts";
import { OrtSession } from "../../src/runtime/ort.ts";
import { assertStepsMatch, seededWeights } from "../helpers/model-checks.ts";

const V = 12;

function features(rows: number, mels: number, frames: number): HostTensor {
  const data = Float32Array.from({ length: rows * mels * frames }, (_, i) => Math.sin(i * 0.37) * 0.8);
  return { dtype: "float32", dims: [rows, mels, frames], data };
}

/** Steps the runner through `tgt` ([rows][T]) and compares each step with the full logits [rows, T, V]. */
async function compareSteps(
  model: Seq2SeqModel,
  weights: Map<string, Float32Array>,
  input: HostTensor,
  tgt: number[][],
  full: Float32Array,
  frames?: number[],
) {
  const runner = await Seq2SeqRunner.create(model, weights);
  await assertStepsMatch(runner, await runner.encode(input, frames), tgt, full);
  await runner.release();
}

/** Features of one utterance [1, mels, frames], padded at the end to `width` frames with `fill`. */
function padded(one: HostTensor, width: number, fill: number): HostTensor {
  const [, mels, frames] = one.dims as [number, number, number];
  const data = new Float32Array(mels * width).fill(fill);
  for (let m = 0; m < mels; m++)
    data.set((one.data as Float32Array).subarray(m * frames, (m + 1) * frames), m * width);
  return { dtype: "float32", dims: [1, mels, width], data };
}

/** The features with their frames in reverse order: not a continuation of `features()`. */
function reversed(x: HostTensor): HostTensor {
  const [, mels, frames] = x.dims as [number, number, number];
  const data = new Float32Array(x.data.length);
  for (let m = 0; m < mels; m++)
    for (let t = 0; t < frames; t++)
      data[m * frames + t] = (x.data as Float32Array)[m * frames + frames - 1 - t]!;
  return { ...x, data };
}

/** Rows of two [1, mels, frames] tensors of equal width stacked: [2, mels, frames]. */
function stacked(a: HostTensor, b: HostTensor): HostTensor {
  const data = new Float32Array(a.data.length * 2);
  data.set(a.data as Float32Array);
  data.set(b.data as Float32Array, a.data.length);
  return { dtype: "float32", dims: [2, ...a.dims.slice(1)], data };
}

/**
 * The largest difference between the log-probabilities of the first two decoder steps (BOS, then token 4) of
 * `short` decoded alone and decoded as row 0 of a batch in which it is padded with `fill` to `long`'s frames.
 */
async function batchDrift(
  model: Seq2SeqModel,
  weights: Map<string, Float32Array>,
  short: HostTensor,
  long: HostTensor,
  fill = -1.5,
) {
  const runner = await Seq2SeqRunner.create(model, weights);
  const frames = [short.dims[2]!, long.dims[2]!];
  let alone = await runner.encode(short);
  let batch = await runner.encode(stacked(padded(short, frames[1]!, fill), long), frames);
  let drift = 0;
  for (const token of [1, 4]) {
    const a = await runner.step(alone, [token]);
    const b = await runner.step(batch, [token, token]);
    a.logProbs.forEach((x, i) => {
      drift = Math.max(drift, Math.abs(x - b.logProbs[i]!));
    });
    alone = a.state;
    batch = b.state;
  }
  await runner.release();
  return drift;
}

describe("Whisper", () => {
  const model = new Whisper({
    ...(buildModel({ architecture: "whisper" }) as Whisper).config,
    vocabSize: V,
    nMels: 8,
    dModel: 16,
    heads: 2,
    ffDim: 32,
    encoderLayers: 2,
    decoderLayers: 2,
    maxSourcePositions: 20,
    maxTargetPositions: 10,
    dropout: 0,
  });
  const weights = seededWeights(model, 3);

  test("the decoder step with its cache equals the teacher-forced logits, at an odd frame count", async () => {
    const input = features(2, 8, 13); // 13 frames -> 7 encoder positions; row 1 has 9 frames and padding
    const tgt = [
      [1, 4, 5, 6, 7],
      [1, 8, 9, 10, 2],
    ];
    const full = await OrtSession.create(buildWhisperFullGraph(model, weights));
    const lengths = int64([13, 9], [2]);
    const out = await full.run({
      [IO.features]: input,
      [IO.featureLengths]: lengths,
      [IO.tgt]: int64(tgt.flat(), [2, 5]),
    });
    assert.deepEqual(out[IO.logits]!.dims, [2, 5, V]);
    await compareSteps(model, weights, input, tgt, out[IO.logits]!.data as Float32Array, [13, 9]);
    await full.release();
  });

  test("with maskPadding an utterance decodes the same alone as padded in a batch; without, padding changes it", async () => {
    const [short, long] = [features(1, 8, 13), reversed(features(1, 8, 22))];
    for (const conv1Stride of [1, 2]) {
      const masked = new Whisper({ ...model.config, conv1Stride });
      assert.ok((await batchDrift(masked, weights, short, long)) < 1e-4, `conv1Stride ${conv1Stride}`);
      const unmasked = new Whisper({ ...masked.config, maskPadding: false });
      assert.ok((await batchDrift(unmasked, weights, short, long)) > 1e-3, `conv1Stride ${conv1Stride}`);
    }
  });

  test("the runner checks the frame counts it is given against the features", async () => {
    const runner = await Seq2SeqRunner.create(model, weights);
    await assert.rejects(
      runner.encode(features(2, 8, 13), [13]),
      /frame counts \[13\] do not fit features of 2 rows × 13 frames/,
    );
    await assert.rejects(runner.encode(features(2, 8, 13), [13, 14]), /do not fit/);
    await assert.rejects(runner.encode(features(2, 8, 13), [13, 0]), /do not fit/);
    await runner.release();
  });

  test("the encoder halves the frames (quarters them with conv1Stride 2) and refuses more than 2 × maxSourcePositions", async () => {
    const b = new Builder();
    const s = new ConstantScope(b, weights);
    const memory = model.encode(s, b.input(IO.features, "float32", [1, 8, 40]));
    assert.deepEqual(memory.shape, [1, 20, 16]);
    const faster = new Whisper({ ...model.config, conv1Stride: 2, maxSourcePositions: 10 });
    assert.equal(faster.maxSourceLength, 40);
    assert.deepEqual(faster.encode(s, b.input("f", "float32", [1, 8, 40])).shape, [1, 10, 16]);
    const runner = await Seq2SeqRunner.create(model, weights);
    await assert.rejects(
      runner.encode(features(1, 8, 41)),
      /41 feature frames; this whisper model takes at most 40/,
    );
    await runner.release();
  });

  test("k_proj has no bias; parameter names follow Hugging Face Whisper", () => {
    const names = model.parameters().map((p) => p.name);
    assert.ok(names.includes("model.encoder.conv1.weight"));
    assert.ok(names.includes("model.encoder.embed_positions.weight"));
    assert.ok(names.includes("model.decoder.layers.1.encoder_attn.q_proj.bias"));
    assert.ok(!names.some((n) => n.includes("k_proj.bias")));
    assert.ok(!names.some((n) => n.startsWith("proj_out")));
  });
});

describe("the context-vector speech GRU", () => {
  const model = new SpeechContextRnn({
    vocabSize: V,
    nMels: 8,
    padId: 0,
    convDim: 8,
    convLayers: 3,
    hiddenDim: 12,
    embeddingDim: 6,
    readoutDim: 8,
    maxFrames: 24,
    maxTargetLength: 6,
    lengthBuckets: 2,
    dropout: 0,
  });
  const weights = seededWeights(model, 3);

  test("the decoder step equals the teacher-forced logits of the longest bucket", async () => {
    const input = features(2, 8, 17);
    const tgt = [
      [1, 4, 5, 6],
      [1, 8, 9, 2],
    ];
    const b = new Builder();
    const s = new ConstantScope(b, weights);
    const f = b.input(IO.features, "float32", ["batch", 8, "frames"]);
    const t = b.input(IO.tgt, "int64", ["batch", "t"]);
    const lengths = b.input(IO.featureLengths, "int64", ["batch"]);
    const logits = model.logits(s, f, lengths, t, model.lengthBuckets.at(-1)!);
    const full = await OrtSession.create(b.build("full", { [IO.logits]: logits }));
    const out = await full.run({
      [IO.features]: input,
      [IO.featureLengths]: int64([17, 12], [2]),
      [IO.tgt]: int64(tgt.flat(), [2, 4]),
    });
    await compareSteps(model, weights, input, tgt, out[IO.logits]!.data as Float32Array, [17, 12]);
    await full.release();
  });

  test("an utterance padded with its silence level in a batch decodes as it does alone", async () => {
    const [short, long] = [features(1, 8, 9), reversed(features(1, 8, 21))];
    const silence = Math.min(...(short.data as Float32Array)); // what padFeatures pads with
    assert.ok((await batchDrift(model, weights, short, long, silence)) < 1e-4);
  });

  test("a shorter bucket gives the same logits: the encoder stops at the real length", async () => {
    const b = new Builder();
    const s = new ConstantScope(b, weights);
    const f = b.input(IO.features, "float32", ["batch", 8, "frames"]);
    const t = b.input(IO.tgt, "int64", ["batch", "t"]);
    const lengths = b.input(IO.featureLengths, "int64", ["batch"]);
    const [short, long] = model.lengthBuckets.map((bucket) => model.logits(s, f, lengths, t, bucket));
    const graph = await OrtSession.create(b.build("buckets", { short: short!, long: long! }));
    const out = await graph.run({
      [IO.features]: features(2, 8, 11),
      [IO.featureLengths]: int64([11, 7], [2]),
      [IO.tgt]: int64([1, 4, 5, 1, 8, 9], [2, 3]),
    });
    const [a, c] = [out.short!.data as Float32Array, out.long!.data as Float32Array];
    assert.ok(a.every((x, i) => Math.abs(x - c[i]!) < 1e-5));
    await graph.release();
  });

  test("buckets are in frames; a bad config names its key", () => {
    assert.deepEqual(model.lengthBuckets, [
      { srcLen: 12, tgtLen: 3 },
      { srcLen: 24, tgtLen: 6 },
    ]);
    assert.throws(
      () => buildModel({ architecture: "speech-gru", hiddenDim: 0 }),
      /"hiddenDim" must be a positive integer/,
    );
    assert.throws(() => buildModel({ architecture: "whisper", dModl: 8 }), /dModl/);
  });
});
