// Golden behaviour of the Transformer's inference graphs in ONNX Runtime: a decoder step with a cache
// equals the full teacher-forced forward, and source padding never changes unpadded outputs.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type HostTensor, int64 } from "../../src/graph/tensor.ts";
import {
  buildDecoderStepGraph,
  buildEncoderGraph,
  buildFullDecoderGraph,
  INFER_IO,
} from "../../src/models/inference-graphs.ts";
import { TRANSFORMER_DEFAULTS, Transformer, type TransformerConfig } from "../../src/models/transformer.ts";
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

async function cacheMatchesFullForward(overrides: Partial<TransformerConfig>): Promise<void> {
  const { model, weights } = tinyModel(overrides);
  const c = model.config;
  const src = int64([5, 6, 7, 8, 9, 3, 4, 11, 0, 0], [2, 5]); // second row padded
  const tgt = [1, 12, 13, 14, 15, 16, 1, 17, 18, 19, 2, 3];
  const T = 6;
  const full = await OrtSession.create(buildFullDecoderGraph(model, weights));
  const fullLogits = (await full.run({ src_ids: src, tgt_ids: int64(tgt, [2, T]) }))[INFER_IO.logits]!
    .data as Float32Array;
  const encoder = await OrtSession.create(buildEncoderGraph(model, weights));
  const memory = (await encoder.run({ src_ids: src }))[INFER_IO.memory]!;
  const step = await OrtSession.create(buildDecoderStepGraph(model, weights));
  const headDim = c.dModel / c.heads;
  const empty: HostTensor = { dtype: "float32", dims: [2, c.heads, 0, headDim], data: new Float32Array(0) };
  let past: HostTensor[] = model.decoderLayers.flatMap(() => [empty, empty]);
  const V = c.tgtVocabSize;
  for (let t = 0; t < T; t++) {
    const feeds: Record<string, HostTensor> = {
      tgt_ids: int64([tgt[t]!, tgt[T + t]!], [2, 1]),
      memory,
      src_ids: src,
      past_length: int64([t], [1]),
    };
    model.decoderLayers.forEach((_, i) => {
      feeds[INFER_IO.pastKey(i)] = past[2 * i]!;
      feeds[INFER_IO.pastValue(i)] = past[2 * i + 1]!;
    });
    const out = await step.run(feeds);
    const logits = out[INFER_IO.logits]!.data as Float32Array; // [2, 1, V]
    for (let row = 0; row < 2; row++) {
      const expected = fullLogits.subarray((row * T + t) * V, (row * T + t + 1) * V);
      const got = logits.subarray(row * V, (row + 1) * V);
      assert.ok(maxAbsDiff(got, expected) < 1e-4, `row ${row} position ${t}: ${maxAbsDiff(got, expected)}`);
    }
    assert.deepEqual(out[INFER_IO.crossAttention]!.dims, [2, 1, 5]);
    past = model.decoderLayers.flatMap((_, i) => [
      out[INFER_IO.presentKey(i)]!,
      out[INFER_IO.presentValue(i)]!,
    ]);
    assert.deepEqual(past[0]!.dims, [2, c.heads, t + 1, headDim]);
  }
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
  const encoder = await OrtSession.create(buildEncoderGraph(model, weights));
  const full = await OrtSession.create(buildFullDecoderGraph(model, weights));
  const D = model.config.dModel;
  const short = await encoder.run({ src_ids: int64([5, 6, 7], [1, 3]) });
  const padded = await encoder.run({ src_ids: int64([5, 6, 7, 0, 0], [1, 5]) });
  const a = short[INFER_IO.memory]!.data as Float32Array;
  const b = (padded[INFER_IO.memory]!.data as Float32Array).subarray(0, 3 * D);
  assert.ok(maxAbsDiff(a, b) < 1e-5, `encoder states differ by ${maxAbsDiff(a, b)}`);
  const tgt = int64([1, 12, 13], [1, 3]);
  const la = (await full.run({ src_ids: int64([5, 6, 7], [1, 3]), tgt_ids: tgt }))[INFER_IO.logits]!
    .data as Float32Array;
  const lb = (await full.run({ src_ids: int64([5, 6, 7, 0, 0], [1, 5]), tgt_ids: tgt }))[INFER_IO.logits]!
    .data as Float32Array;
  assert.ok(maxAbsDiff(la, lb) < 1e-5, `decoder logits differ by ${maxAbsDiff(la, lb)}`);
});
