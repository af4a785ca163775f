// Golden behaviour of the Transformer's inference graphs in ONNX Runtime: a decoder step with a cache
// equals the full teacher-forced forward, and source padding never changes unpadded outputs.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Seq2SeqRunner } from "../../src/decode/runner.ts";
import { int64 } from "../../src/graph/tensor.ts";
import { IO } from "../../src/models/seq2seq.ts";
import { TRANSFORMER_DEFAULTS, Transformer, type TransformerConfig } from "../../src/models/transformer.ts";
import { buildFullDecoderGraph } from "../../src/models/transformer-graphs.ts";
import { initialize } from "../../src/nn/init.ts";
import { OrtSession } from "../../src/runtime/ort.ts";

function tinyModel(overrides: Partial<TransformerConfig> = {}): {
  model: Transformer;
  weights: Map<string, Float32Array>;
} {
  const model = new Transformer({
    ...TRANSFORMER_DEFAULTS,
    srcVocabSize: 20,
    tgtVocabSize: 20,
    dModel: 16,
    heads: 2,
    ffDim: 32,
    encoderLayers: 2,
    decoderLayers: 2,
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

async function cacheMatchesFullForward(overrides: Partial<TransformerConfig>): Promise<void> {
  const { model, weights } = tinyModel(overrides);
  const sources = [
    [5, 6, 7, 8, 9],
    [3, 4, 11],
  ]; // the second row gets padded
  const tgt = [1, 12, 13, 14, 15, 16, 1, 17, 18, 19, 2, 3];
  const T = 6;
  const V = model.config.tgtVocabSize;
  const full = await OrtSession.create(buildFullDecoderGraph(model, weights));
  const src = int64([5, 6, 7, 8, 9, 3, 4, 11, 0, 0], [2, 5]);
  const fullLogits = (await full.run({ src_ids: src, tgt_ids: int64(tgt, [2, T]) }))[IO.logits]!
    .data as Float32Array;
  const runner = await Seq2SeqRunner.create(model, weights);
  let state = await runner.encode(sources);
  for (let t = 0; t < T; t++) {
    const step = await runner.step(state, [tgt[t]!, tgt[T + t]!]);
    for (let row = 0; row < 2; row++) {
      const expected = logSoftmax(fullLogits.subarray((row * T + t) * V, (row * T + t + 1) * V));
      const got = step.logProbs.subarray(row * V, (row + 1) * V);
      assert.ok(maxAbsDiff(got, expected) < 1e-4, `row ${row} position ${t}: ${maxAbsDiff(got, expected)}`);
    }
    assert.equal(step.attention.length, 2 * 5);
    state = step.state;
    assert.equal(state.length, t + 1);
  }
  // Reordering rows follows them: row 0 of the reordered state continues sentence 1.
  const swapped = runner.reorder(state, [1, 0]);
  const a = await runner.step(state, [5, 6]);
  const b = await runner.step(swapped, [6, 5]);
  assert.ok(maxAbsDiff(a.logProbs.subarray(V, 2 * V), b.logProbs.subarray(0, V)) < 1e-6);
  await runner.release();
  await full.release();
}

describe("decoder step with cache == full teacher-forced forward (1e-4)", () => {
  test("pre-LN, sinusoidal positions, tied embeddings", () => cacheMatchesFullForward({}));
  test("post-LN, learned positions, untied output, RMSNorm, GELU", () =>
    cacheMatchesFullForward({
      preNorm: false,
      positions: "learned",
      tieOutput: false,
      norm: "rms",
      activation: "gelu",
    }));
});

test("source padding never changes the outputs at unpadded positions", async () => {
  const { model, weights } = tinyModel();
  const full = await OrtSession.create(buildFullDecoderGraph(model, weights));
  const tgt = int64([1, 12, 13], [1, 3]);
  const la = (await full.run({ src_ids: int64([5, 6, 7], [1, 3]), tgt_ids: tgt }))[IO.logits]!
    .data as Float32Array;
  const lb = (await full.run({ src_ids: int64([5, 6, 7, 0, 0], [1, 5]), tgt_ids: tgt }))[IO.logits]!
    .data as Float32Array;
  assert.ok(maxAbsDiff(la, lb) < 1e-5, `decoder logits differ by ${maxAbsDiff(la, lb)}`);
  const runner = await Seq2SeqRunner.create(model, weights);
  const short = await runner.step(await runner.encode([[5, 6, 7]]), [1]);
  const padded = await runner.step(await runner.encode([[5, 6, 7, 0, 0]]), [1]);
  assert.ok(maxAbsDiff(short.logProbs, padded.logProbs) < 1e-5);
  assert.ok(
    maxAbsDiff(short.attention, padded.attention.subarray(0, 3)) < 1e-6,
    "attention moved onto padding",
  );
  assert.ok(maxAbsDiff(padded.attention.subarray(3), [0, 0]) < 1e-6, "padding got attention");
  await runner.release();
  await full.release();
});
