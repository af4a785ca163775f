// End to end: a small seeded Transformer learns to reverse symbol sequences through the real ONNX Runtime
// training step and greedy decoding with the key/value cache, to >= 99% exact match on held-out data.

import assert from "node:assert/strict";
import { test } from "node:test";
import { buildModel } from "../../src/models/registry.ts";
import { FIRST_SYMBOL, REVERSE_TASK, trainToyTask } from "../helpers/toy-training.ts";

test("Transformer learns to reverse sequences (>= 99% exact match on held-out data)", async () => {
  const vocab = FIRST_SYMBOL + REVERSE_TASK.symbols.length;
  const model = buildModel({
    architecture: "transformer",
    srcVocabSize: vocab,
    tgtVocabSize: vocab,
    dModel: 64,
    heads: 4,
    ffDim: 128,
    encoderLayers: 2,
    decoderLayers: 2,
    dropout: 0,
    maxPositions: 16,
  });
  const result = await trainToyTask(model, REVERSE_TASK, { steps: 300, batchSize: 64, lr: 3e-3, seed: 1 });
  assert.ok(result.lastLoss < result.firstLoss / 10, `loss ${result.firstLoss} -> ${result.lastLoss}`);
  assert.ok(result.exactMatch >= 0.99, `exact match ${result.exactMatch}`);
});
