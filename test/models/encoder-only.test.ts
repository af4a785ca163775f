// The encoder-only family: decoder steps return exactly the encoder's per-position (or pooled) labels and
// then EOS, padding never changes an output, length mismatches are reported, folders round-trip, and it
// learns same-length transduction (reverse) and a sequence label through the real training step.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { greedyDecode } from "../../src/decode/greedy.ts";
import { Seq2SeqRunner } from "../../src/decode/runner.ts";
import { Builder } from "../../src/graph/composites.ts";
import { type HostTensor, int64 } from "../../src/graph/tensor.ts";
import {
  ENCODER_ONLY_DEFAULTS,
  type EncoderOnlyConfig,
  TransformerEncoderClassifier,
} from "../../src/models/encoder-only.ts";
import { buildModel, type ModelConfig } from "../../src/models/registry.ts";
import { IO } from "../../src/models/seq2seq.ts";
import { ConstantScope } from "../../src/nn/module.ts";
import { OrtSession } from "../../src/runtime/ort.ts";
import { SPECIAL_IDS } from "../../src/tokenize/tokenizer.ts";
import {
  assertFolderRoundTrip,
  assertLearns,
  evaluationLoss,
  floats,
  LEARNER_SIZES,
  logSoftmax,
  maxAbsDiff,
  TINY_ATTENTION,
  withSeededWeights,
} from "../helpers/model-checks.ts";
import { type IdPair, toyTask } from "../helpers/toy-seq2seq.ts";

const tinyModel = (overrides: Partial<EncoderOnlyConfig> = {}) =>
  withSeededWeights(
    new TransformerEncoderClassifier({
      ...ENCODER_ONLY_DEFAULTS,
      ...TINY_ATTENTION,
      tgtVocabSize: 15,
      layers: 2,
      ...overrides,
    }),
  );

/** The head's logits [batch, labels, V] straight from the encoder (the reference for decoder steps). */
async function labelLogits(
  model: TransformerEncoderClassifier,
  weights: Map<string, Float32Array>,
  src: HostTensor,
): Promise<Float32Array> {
  const b = new Builder();
  const out = model.labels(new ConstantScope(b, weights), b.input(IO.src, "int64", ["batch", "srcLen"]));
  const session = await OrtSession.create(b.build("labels", { [IO.logits]: out.logits }));
  const logits = floats((await session.run({ src_ids: src }))[IO.logits]!);
  await session.release();
  return logits;
}

const STEP_CASES: Record<string, Partial<EncoderOnlyConfig>> = {
  "token head, pre-LN, sinusoidal positions": { head: "token" },
  "token head tied to the embeddings, post-LN, RMSNorm, GELU": {
    head: "token",
    tieOutput: true,
    tgtVocabSize: 20,
    preNorm: false,
    norm: "rms",
    activation: "gelu",
  },
  "pooled head, learned positions": { head: "pooled", positions: "learned" },
};

describe("decoder steps give the encoder's labels, then EOS", () => {
  for (const [name, overrides] of Object.entries(STEP_CASES)) {
    test(name, async () => {
      const { model, weights } = tinyModel(overrides);
      const V = model.tgtVocabSize;
      const labels = model.config.head === "token" ? 5 : 1;
      const reference = await labelLogits(model, weights, int64([5, 6, 7, 8, 2, 3, 4, 2, 0, 0], [2, 5]));
      const runner = await Seq2SeqRunner.create(model, weights);
      let state = await runner.encode([
        [5, 6, 7, 8, 2],
        [3, 4, 2],
      ]);
      const tokens = [5, 3];
      for (let t = 0; t < 6; t++) {
        const step = await runner.step(state, [9, 9]); // the fed tokens do not matter
        for (const [row, count] of tokens.entries()) {
          const got = step.logProbs.subarray(row * V, (row + 1) * V);
          if (t < Math.min(count, labels)) {
            const at = (row * labels + t) * V;
            const expected = logSoftmax(reference.subarray(at, at + V));
            assert.ok(maxAbsDiff(got, expected) < 1e-4, `row ${row} step ${t}: ${maxAbsDiff(got, expected)}`);
          } else {
            assert.equal(got[SPECIAL_IDS.eos], 0, `row ${row} step ${t} is certain of EOS`);
            assert.ok(Math.max(...got.filter((_, v) => v !== SPECIAL_IDS.eos)) < -1e8);
          }
        }
        assert.equal(step.attention.length, 2 * 5);
        assert.deepEqual([...step.attention.subarray(8, 10)], [0, 0], "padding got attention");
        state = step.state;
      }
      await runner.release();
    });
  }
});

test("source padding never changes an output (labels, steps, training loss)", async () => {
  const { model, weights } = tinyModel({ positions: "learned" });
  const V = model.tgtVocabSize;
  const short = await labelLogits(model, weights, int64([5, 6, 7, 2], [1, 4]));
  const long = await labelLogits(model, weights, int64([5, 6, 7, 2, 0, 0], [1, 6]));
  assert.ok(maxAbsDiff(short, long.subarray(0, 4 * V)) < 1e-5);

  const { run, loss, release } = await evaluationLoss(model, weights);
  const pair = { src: [5, 6, 7, 2], tgt: [8, 9, 10, 2] };
  const other = { src: [11, 12, 13, 14, 5, 2], tgt: [8, 8, 8, 8, 8, 2] };
  const both = await loss([pair, other]);
  const expected = (4 * (await loss([pair])) + 6 * (await loss([other]))) / 10;
  assert.ok(Math.abs(both - expected) < 1e-5, `${both} vs ${expected}`);
  assert.equal(floats((await run([pair, other]))["misaligned_rows"]!)[0], 0);
  await release();
});

test("targets are aligned to source positions: mismatched lengths are counted, extra targets dropped", async () => {
  const { model, weights } = tinyModel();
  const { run, release } = await evaluationLoss(model, weights);
  const longer = await run([{ src: [5, 6, 2], tgt: [7, 8, 9, 10, 2] }]);
  const cut = await run([{ src: [5, 6, 2], tgt: [7, 8, 9] }]);
  assert.equal(floats(longer["misaligned_rows"]!)[0], 1);
  assert.equal(floats(longer["tokens"]!)[0], 3, "only the 3 source positions are trained");
  assert.ok(Math.abs(floats(longer["loss"]!)[0]! - floats(cut["loss"]!)[0]!) < 1e-6);
  const shorter = await run([{ src: [5, 6, 7, 8, 2], tgt: [7, 2] }]);
  assert.equal(floats(shorter["misaligned_rows"]!)[0], 1);
  assert.equal(floats(shorter["tokens"]!)[0], 2, "source positions past the target are not trained");
  await release();
});

test("decoding never outputs more labels than source tokens", async () => {
  const { model, weights } = tinyModel();
  const runner = await Seq2SeqRunner.create(model, weights);
  const sources = [[5, 2], [6, 7, 8, 9, 2], [10]];
  const out = await greedyDecode(runner, sources, { bos: 1, eos: 2, maxLength: 50 });
  for (const [i, labels] of out.entries())
    assert.ok(labels.length <= sources[i]!.length, `row ${i}: ${labels}`);
  await runner.release();
});

test("config -> model folder -> model round trip is exact", async () => {
  const config: ModelConfig = {
    architecture: "encoder-only",
    srcVocabSize: 12,
    tgtVocabSize: 7,
    dModel: 8,
    heads: 2,
    ffDim: 16,
    layers: 2,
    head: "pooled",
  };
  const { model, loaded } = await assertFolderRoundTrip(config, 1);
  assert.ok(model instanceof TransformerEncoderClassifier);
  assert.equal(loaded.config["head"], "pooled");
  assert.equal(loaded.config["eosId"], 2, "defaults are filled in");
  assert.throws(() => buildModel({ ...config, eosId: 9 }), /eosId 9 is not a target id \(tgtVocabSize 7\)/);
  assert.throws(
    () => buildModel({ ...config, tieOutput: true }),
    /tieOutput needs srcVocabSize == tgtVocabSize/,
  );
  assert.throws(() => buildModel({ ...config, layers: 0 }), /layers must be at least 1, got 0/);
});

test("learns to reverse 3-6 symbols, a same-length task (>= 99% exact match on held-out sequences)", async () => {
  const task = await toyTask("reverse", { count: 3000, testCount: 200, minLength: 3, maxLength: 6, seed: 1 });
  const vocab = { srcVocabSize: task.vocabSize, tgtVocabSize: task.vocabSize };
  const model = new TransformerEncoderClassifier({
    ...ENCODER_ONLY_DEFAULTS,
    ...LEARNER_SIZES,
    ...vocab,
    layers: 2,
  });
  await assertLearns(model, task.train, task.test, 400);
});

test("the pooled head learns a sequence label (does the sequence hold an 'a'?)", async () => {
  const task = await toyTask("copy", { count: 1000, testCount: 200, minLength: 3, maxLength: 6, seed: 2 });
  const [a, b] = [task.tokenizer.encode("a")[0]!, task.tokenizer.encode("b")[0]!];
  // The label is the symbol "a" when the sequence holds one, else "b".
  const label = (p: IdPair): IdPair => ({ src: p.src, tgt: [p.src.includes(a) ? a : b, SPECIAL_IDS.eos] });
  const model = new TransformerEncoderClassifier({
    ...ENCODER_ONLY_DEFAULTS,
    ...LEARNER_SIZES,
    head: "pooled",
    srcVocabSize: task.vocabSize,
    tgtVocabSize: task.vocabSize,
    dModel: 32,
    heads: 2,
    ffDim: 64,
    layers: 1,
  });
  await assertLearns(model, task.train.map(label), task.test.map(label), 200, 20);
});
