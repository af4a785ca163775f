// The decoder-only prefix LM: decoder steps with the prefix cache equal the teacher-forced forward, source
// padding never changes an output, a model folder round-trips exactly, and it learns to reverse sequences.

import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Seq2SeqRunner } from "../../src/decode/runner.ts";
import { type HostTensor, int64 } from "../../src/graph/tensor.ts";
import { DECODER_ONLY_DEFAULTS, type DecoderOnlyConfig, PrefixLm } from "../../src/models/decoder-only.ts";
import { buildPrefixLmFullGraph } from "../../src/models/decoder-only-graphs.ts";
import { loadModelFolder, saveModelFolder } from "../../src/models/folder.ts";
import { buildModel, type ModelConfig } from "../../src/models/registry.ts";
import { IO } from "../../src/models/seq2seq.ts";
import { initialize } from "../../src/nn/init.ts";
import { OrtSession } from "../../src/runtime/ort.ts";
import { trainCharTokenizer } from "../../src/tokenize/index.ts";
import { jointPair } from "../../src/tokenize/tokenizer-pair.ts";
import { buildLossGraph, flatLayout } from "../../src/train/step-graph.ts";
import { batchFeeds, greedyExactMatch, toyTask, trainOnPairs } from "../helpers/toy-seq2seq.ts";

function tinyModel(overrides: Partial<DecoderOnlyConfig> = {}): {
  model: PrefixLm;
  weights: Map<string, Float32Array>;
} {
  const model = new PrefixLm({
    ...DECODER_ONLY_DEFAULTS,
    srcVocabSize: 20,
    tgtVocabSize: 20,
    dModel: 16,
    heads: 2,
    ffDim: 32,
    layers: 2,
    maxPositions: 32,
    dropout: 0,
    ...overrides,
  });
  const weights = new Map<string, Float32Array>();
  for (const p of model.parameters()) {
    // Non-trivial norms and biases so that every parameter matters.
    const init =
      p.init.kind === "zeros" || p.init.kind === "ones" ? { kind: "normal" as const, std: 0.3 } : p.init;
    const data = initialize(init, p.shape, 5, p.name);
    if (p.init.kind === "ones") for (let i = 0; i < data.length; i++) data[i]! += 1;
    weights.set(p.name, data);
  }
  return { model, weights };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function logSoftmax(row: Float32Array): number[] {
  const max = Math.max(...row);
  const lse = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
  return Array.from(row, (x) => x - lse);
}

const floats = (t: HostTensor) => t.data as Float32Array;

async function cacheMatchesFullForward(overrides: Partial<DecoderOnlyConfig>): Promise<void> {
  const { model, weights } = tinyModel(overrides);
  const sources = [
    [5, 6, 7, 8, 2],
    [3, 4, 2],
  ]; // the second row gets padded
  const tgt = [1, 12, 13, 14, 15, 16, 1, 17, 18, 19, 2, 3];
  const T = 6;
  const V = model.tgtVocabSize;
  const full = await OrtSession.create(buildPrefixLmFullGraph(model, weights));
  const src = int64([5, 6, 7, 8, 2, 3, 4, 2, 0, 0], [2, 5]);
  const reference = await full.run({ src_ids: src, tgt_ids: int64(tgt, [2, T]) });
  const fullLogits = floats(reference[IO.logits]!); // [2, T, V]
  const fullAttention = floats(reference[IO.crossAttention]!); // [2, T, 5]
  const runner = await Seq2SeqRunner.create(model, weights);
  let state = await runner.encode(sources);
  for (let t = 0; t < T; t++) {
    const step = await runner.step(state, [tgt[t]!, tgt[T + t]!]);
    for (let row = 0; row < 2; row++) {
      const expected = logSoftmax(fullLogits.subarray((row * T + t) * V, (row * T + t + 1) * V));
      const got = step.logProbs.subarray(row * V, (row + 1) * V);
      assert.ok(maxAbsDiff(got, expected) < 1e-4, `row ${row} position ${t}: ${maxAbsDiff(got, expected)}`);
      const attention = fullAttention.subarray((row * T + t) * 5, (row * T + t + 1) * 5);
      assert.ok(maxAbsDiff(step.attention.subarray(row * 5, (row + 1) * 5), attention) < 1e-5);
    }
    assert.ok(step.attention[5 + 3] === 0 && step.attention[5 + 4] === 0, "padding got attention");
    state = step.state;
  }
  // Reordering rows follows them: row 0 of the reordered state continues sentence 1.
  const swapped = runner.reorder(state, [1, 0]);
  const a = await runner.step(state, [5, 6]);
  const b = await runner.step(swapped, [6, 5]);
  assert.ok(maxAbsDiff(a.logProbs.subarray(V, 2 * V), b.logProbs.subarray(0, V)) < 1e-6);
  await runner.release();
  await full.release();
}

describe("decoder step with the prefix cache == full teacher-forced forward (1e-4)", () => {
  test("bidirectional prefix, pre-LN, sinusoidal positions, shared tied vocabulary", () =>
    cacheMatchesFullForward({}));
  test("causal prefix, post-LN, learned positions, separate vocabularies, untied, RMSNorm, GELU", () =>
    cacheMatchesFullForward({
      prefixAttention: "causal",
      preNorm: false,
      positions: "learned",
      sharedVocabulary: false,
      tgtVocabSize: 23,
      tieOutput: false,
      norm: "rms",
      activation: "gelu",
    }));
  test("separate vocabularies with the output tied to the target rows", () =>
    cacheMatchesFullForward({ sharedVocabulary: false, srcVocabSize: 11, tgtVocabSize: 21 }));
});

describe("source padding never changes an output", () => {
  for (const prefixAttention of ["bidirectional", "causal"] as const) {
    test(`${prefixAttention} prefix: forward, decoder step and training loss`, async () => {
      const { model, weights } = tinyModel({ prefixAttention, positions: "learned" });
      const full = await OrtSession.create(buildPrefixLmFullGraph(model, weights));
      const tgt = int64([1, 12, 13], [1, 3]);
      const short = await full.run({ src_ids: int64([5, 6, 7, 2], [1, 4]), tgt_ids: tgt });
      const long = await full.run({ src_ids: int64([5, 6, 7, 2, 0, 0], [1, 6]), tgt_ids: tgt });
      const diff = maxAbsDiff(floats(short[IO.logits]!), floats(long[IO.logits]!));
      assert.ok(diff < 1e-5, `logits differ by ${diff}`);
      await full.release();

      const runner = await Seq2SeqRunner.create(model, weights);
      const a = await runner.step(await runner.encode([[5, 6, 7, 2]]), [1]);
      const b = await runner.step(await runner.encode([[5, 6, 7, 2, 0, 0]]), [1]);
      assert.ok(maxAbsDiff(a.logProbs, b.logProbs) < 1e-5);
      assert.ok(maxAbsDiff(a.attention, b.attention.subarray(0, 4)) < 1e-6);
      assert.deepEqual([...b.attention.subarray(4)], [0, 0], "padding got attention");
      await runner.release();

      // The same pair alone or next to a longer one (so padded) has the same loss.
      const layout = flatLayout(model.parameters());
      const graph = buildLossGraph(layout, model.trainingLoss({ training: false }));
      const loss = await OrtSession.create(graph);
      const params = new Float32Array(layout.total);
      for (const slot of layout.slots) params.set(weights.get(slot.name)!, slot.offset);
      const lossOf = async (pairs: Array<{ src: number[]; tgt: number[] }>) => {
        const out = await loss.run({
          params: { dtype: "float32", dims: [layout.total], data: params },
          ...batchFeeds(pairs),
        });
        return floats(out["loss"]!)[0]!;
      };
      const pair = { src: [5, 6, 7, 2], tgt: [12, 13, 2] };
      const other = { src: [8, 9, 10, 11, 12, 13, 2], tgt: [14, 2] };
      const alone = await lossOf([pair]);
      const both = await lossOf([pair, other]);
      const otherAlone = await lossOf([other]);
      // Token-mean loss: (3·alone + 2·other) / 5 when padding changes nothing.
      assert.ok(
        Math.abs(both - (3 * alone + 2 * otherAlone) / 5) < 1e-5,
        `${both} vs ${alone}, ${otherAlone}`,
      );
      await loss.release();
    });
  }
});

test("config -> model folder -> model round trip is exact", async () => {
  const config: ModelConfig = {
    architecture: "decoder-only",
    srcVocabSize: 12,
    tgtVocabSize: 12,
    dModel: 8,
    heads: 2,
    ffDim: 16,
    layers: 2,
    positions: "learned",
    prefixAttention: "causal",
  };
  const model = buildModel(config);
  assert.ok(model instanceof PrefixLm);
  const weights = new Map(
    model.parameters().map((p) => [p.name, initialize({ kind: "normal", std: 1 }, p.shape, 3, p.name)]),
  );
  const dir = join(mkdtempSync(join(tmpdir(), "s2s-decoder-only-")), "model");
  const tokenizers = jointPair(trainCharTokenizer(["abcdefgh"]));
  await saveModelFolder(dir, { config, model, weights, tokenizers });
  const loaded = await loadModelFolder(dir);
  assert.equal(loaded.model.architecture, "decoder-only");
  assert.equal(loaded.config["prefixAttention"], "causal");
  assert.equal(loaded.config["sharedVocabulary"], true, "defaults are filled in");
  assert.deepEqual([...loaded.weights.keys()].sort(), [...weights.keys()].sort());
  for (const [name, data] of weights) assert.deepEqual(loaded.weights.get(name), data, name);
  assert.ok(weights.has("model.decoder.layers.1.self_attn.q_proj.weight"), "OPT-style names");
});

test("a shared vocabulary with different sizes is a clear error", () => {
  assert.throws(
    () => buildModel({ architecture: "decoder-only", srcVocabSize: 10, tgtVocabSize: 12 }),
    /sharedVocabulary needs srcVocabSize == tgtVocabSize \(got 10 and 12\)/,
  );
});

test("learns to reverse 3-6 symbols (>= 99% exact match on held-out sequences, greedy)", async () => {
  const task = await toyTask("reverse", { count: 3000, testCount: 200, minLength: 3, maxLength: 6, seed: 1 });
  const model = new PrefixLm({
    ...DECODER_ONLY_DEFAULTS,
    srcVocabSize: task.vocabSize,
    tgtVocabSize: task.vocabSize,
    dModel: 64,
    heads: 4,
    ffDim: 128,
    layers: 3,
    dropout: 0,
    maxPositions: 32,
  });
  const weights = await trainOnPairs(model, task.train, {
    steps: 600,
    batchSize: 32,
    lr: 3e-3,
    warmupSteps: 50,
    seed: 1,
  });
  const accuracy = await greedyExactMatch(model, weights, task.test);
  assert.ok(accuracy >= 0.99, `exact match ${accuracy}`);
});
