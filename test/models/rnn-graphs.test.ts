// Golden behaviour of the recurrent families' graphs in ONNX Runtime: a decoder step with the RNN state in the
// cache equals the full teacher-forced forward, and padding never changes the outputs of the real tokens.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { padIds, Seq2SeqRunner } from "../../src/decode/runner.ts";
import { Builder } from "../../src/graph/composites.ts";
import { int64 } from "../../src/graph/tensor.ts";
import type { RecurrentSeq2Seq } from "../../src/models/recurrent.ts";
import { buildRecurrentFullGraph } from "../../src/models/recurrent-graphs.ts";
import { buildModel, type ModelConfig } from "../../src/models/registry.ts";
import { IO } from "../../src/models/seq2seq.ts";
import { initialize } from "../../src/nn/init.ts";
import { OrtSession } from "../../src/runtime/ort.ts";
import { assertCacheMatchesFull, maxAbsDiff } from "../helpers/model-checks.ts";

const V = 20;
const SMALL = {
  srcVocabSize: V,
  tgtVocabSize: V,
  embeddingDim: 8,
  hiddenDim: 10,
  maxSourceLength: 7,
  maxTargetLength: 8,
  lengthBuckets: 2,
  dropout: 0,
};

const CASES: Record<string, ModelConfig> = {
  "lstm (2 layers, reversed source)": { architecture: "lstm", ...SMALL, layers: 2 },
  "lstm (forward source, tied output)": {
    architecture: "lstm",
    ...SMALL,
    hiddenDim: 8,
    layers: 1,
    reverseSource: false,
    tieOutput: true,
  },
  "gru (context vector, maxout readout)": { architecture: "gru", ...SMALL, readoutDim: 6 },
  "bahdanau (untied)": { architecture: "bahdanau", ...SMALL, attentionDim: 6, readoutDim: 6 },
  "bahdanau (tied)": { architecture: "bahdanau", ...SMALL, attentionDim: 6, readoutDim: 8, tieOutput: true },
  "luong general, input feeding": { architecture: "luong", ...SMALL, layers: 2, score: "general" },
  "luong dot, no input feeding": { architecture: "luong", ...SMALL, score: "dot", inputFeeding: false },
  "luong concat, tied": {
    architecture: "luong",
    ...SMALL,
    hiddenDim: 8,
    score: "concat",
    attentionDim: 5,
    tieOutput: true,
  },
};

/** The model with every parameter drawn from N(0, 0.3²) (+1 for would-be ones) so that each one matters. */
function tinyModel(config: ModelConfig): { model: RecurrentSeq2Seq; weights: Map<string, Float32Array> } {
  const model = buildModel(config) as RecurrentSeq2Seq;
  const weights = new Map<string, Float32Array>();
  for (const p of model.parameters())
    weights.set(p.name, initialize({ kind: "normal", std: 0.3 }, p.shape, 5, p.name));
  return { model, weights };
}

describe("decoder step with the RNN state cached == full teacher-forced forward (1e-4)", () => {
  for (const [name, config] of Object.entries(CASES)) {
    test(name, async () => {
      const { model, weights } = tinyModel(config);
      await assertCacheMatchesFull(model, weights, buildRecurrentFullGraph(model, weights));
    });
  }
});

describe("padding never changes the outputs of real tokens (a batch of different lengths vs each row alone)", () => {
  const one: Record<string, ModelConfig> = {
    lstm: CASES["lstm (2 layers, reversed source)"]!,
    gru: CASES["gru (context vector, maxout readout)"]!,
    bahdanau: CASES["bahdanau (untied)"]!,
    luong: CASES["luong general, input feeding"]!,
  };
  for (const [name, config] of Object.entries(one)) {
    test(name, async () => {
      const { model, weights } = tinyModel(config);
      const full = await OrtSession.create(buildRecurrentFullGraph(model, weights));
      const logits = async (src: number[][], tgt: number[][]) => {
        const out = await full.run({ [IO.src]: padIds(src, 0), [IO.tgt]: padIds(tgt, 0) });
        return out[IO.logits]!.data as Float32Array;
      };
      const long = { src: [5, 6, 7, 8, 9, 2], tgt: [1, 12, 13, 14, 15, 16] };
      const short = { src: [3, 4, 2], tgt: [1, 17, 18] };
      const batched = await logits([long.src, short.src], [long.tgt, short.tgt]); // [2, 6, V]
      const alone = await logits([short.src], [short.tgt]); // [1, 3, V]
      const diff = maxAbsDiff(batched.subarray(6 * V, 6 * V + 3 * V), alone);
      assert.ok(diff < 1e-5, `teacher-forced logits of the short row moved by ${diff}`);
      const longAlone = await logits([long.src], [long.tgt]);
      assert.ok(maxAbsDiff(batched.subarray(0, 6 * V), longAlone) < 1e-5, "the long row changed");

      const runner = await Seq2SeqRunner.create(model, weights);
      const a = await runner.step(await runner.encode([short.src]), [1]);
      const b = await runner.step(await runner.encode([long.src, short.src]), [1, 1]);
      assert.ok(maxAbsDiff(a.logProbs, b.logProbs.subarray(V)) < 1e-5, "decoder step of the short row moved");
      assert.ok(maxAbsDiff(a.attention, b.attention.subarray(6, 9)) < 1e-6, "attention moved");
      assert.ok(maxAbsDiff(b.attention.subarray(9), [0, 0, 0]) < 1e-7, "padding got attention");
      if (name === "bahdanau" || name === "luong")
        assert.ok(Math.abs(a.attention.reduce((p, q) => p + q, 0) - 1) < 1e-5);
      await runner.release();
      await full.release();
    });
  }

  test("a source longer than maxSourceLength is a clear error", async () => {
    const { model, weights } = tinyModel(CASES["gru (context vector, maxout readout)"]!);
    const runner = await Seq2SeqRunner.create(model, weights);
    await assert.rejects(
      runner.encode([
        [5, 2],
        [5, 6, 7, 8, 9, 10, 11, 2],
      ]),
      /source 1 has 8 tokens.*at most 7 \(maxSourceLength\)/,
    );
    await runner.release();
  });
});

/** The training loss as a graph of its own (parameters baked in): inputs src_ids, tgt_in, tgt_out. */
async function lossSession(
  model: RecurrentSeq2Seq,
  weights: Map<string, Float32Array>,
  options: Parameters<RecurrentSeq2Seq["trainingLoss"]>[0],
) {
  const b = new Builder({ seed: 3 });
  const params = new Map(
    model
      .parameters()
      .map((p) => [p.name, b.constant({ dtype: "float32", dims: p.shape, data: weights.get(p.name)! })]),
  );
  const { loss, outputs } = model.trainingLoss(options)(b, params);
  const session = await OrtSession.create(b.build("loss", { loss, ...outputs }));
  return async (src: number[][], tgt: number[][]) => {
    const rows = (xs: number[][]) => int64(xs.flat(), [xs.length, xs[0]!.length]);
    const out = await session.run({
      [IO.src]: rows(src),
      [IO.tgtIn]: rows(tgt.map((t) => [1, ...t.slice(0, -1)])),
      [IO.tgtOut]: rows(tgt),
    });
    return (out["loss"]!.data as Float32Array)[0]!;
  };
}

describe("training graphs unrolled to a length bucket", () => {
  const config = CASES["bahdanau (untied)"]!;
  const src = [
    [5, 6, 2],
    [7, 2, 0],
  ];
  const tgt = [
    [6, 5, 2],
    [7, 2, 0],
  ];

  test("the bucket does not change the loss of a batch it holds", async () => {
    const { model, weights } = tinyModel(config);
    const small = await lossSession(model, weights, { bucket: { srcLen: 3, tgtLen: 3 }, training: false });
    const large = await lossSession(model, weights, { bucket: { srcLen: 7, tgtLen: 8 }, training: false });
    const [a, b] = [await small(src, tgt), await large(src, tgt)];
    assert.ok(Number.isFinite(a) && Math.abs(a - b) < 1e-5, `loss ${a} in bucket 3x3, ${b} in bucket 7x8`);
    assert.deepEqual(model.lengthBuckets, [
      { srcLen: 4, tgtLen: 4 },
      { srcLen: 7, tgtLen: 8 },
    ]);
  });

  test("a batch longer than the bucket fails instead of being cut", async () => {
    const { model, weights } = tinyModel(config);
    const run = await lossSession(model, weights, { bucket: { srcLen: 2, tgtLen: 3 }, training: false });
    await assert.rejects(run(src, tgt), /ConstantOfShape/);
  });

  test("dropout acts in training graphs only", async () => {
    const { model, weights } = tinyModel({ ...config, dropout: 0.5 });
    const train = await lossSession(model, weights, { training: true });
    const evaluate = await lossSession(model, weights, { training: false });
    const [t1, t2] = [await train(src, tgt), await train(src, tgt)];
    const [e1, e2] = [await evaluate(src, tgt), await evaluate(src, tgt)];
    assert.equal(e1, e2);
    assert.notEqual(t1, t2, "a new dropout mask every run");
    assert.notEqual(t1, e1);
  });
});
