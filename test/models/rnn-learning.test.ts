// End to end: each recurrent family, at a small size and seeded, learns to reverse symbol sequences through the
// real ONNX Runtime training step (one graph per length bucket) and greedy decoding, to >= 99% exact match.

import assert from "node:assert/strict";
import { test } from "node:test";
import { buildModel, type ModelConfig } from "../../src/models/registry.ts";
import { FIRST_SYMBOL, REVERSE_TASK, trainToyTask } from "../helpers/toy-training.ts";

const VOCAB = FIRST_SYMBOL + REVERSE_TASK.symbols.length;
// PyTorch's initialisation: the papers' N(0, 0.01²) (Cho, Bahdanau) plateaus for hundreds of steps at this size.
const TOY = {
  srcVocabSize: VOCAB,
  tgtVocabSize: VOCAB,
  maxSourceLength: REVERSE_TASK.maxLength + 1,
  maxTargetLength: REVERSE_TASK.maxLength + 1,
  lengthBuckets: 2,
  dropout: 0,
  init: "pytorch",
  embeddingDim: 32,
  hiddenDim: 64,
};

const MODELS: Record<string, { config: ModelConfig; steps: number; batchSize: number }> = {
  // Reading the source backwards (the paper's trick for translation) makes this task's first output the
  // token read first, the longest dependency: the toy reads forwards (graph tests cover reverseSource).
  "Sutskever LSTM": {
    config: { architecture: "lstm", ...TOY, layers: 1, reverseSource: false },
    steps: 400,
    batchSize: 128,
  },
  "Cho GRU (context vector)": {
    config: { architecture: "gru", ...TOY, readoutDim: 32 },
    steps: 600,
    batchSize: 128,
  },
  "Bahdanau RNNsearch": {
    config: { architecture: "bahdanau", ...TOY, attentionDim: 32, readoutDim: 32, tieOutput: true },
    steps: 250,
    batchSize: 64,
  },
  "Luong global attention (general, input feeding)": {
    config: { architecture: "luong", ...TOY, layers: 1, score: "general" },
    steps: 250,
    batchSize: 64,
  },
};

for (const [name, m] of Object.entries(MODELS)) {
  test(`${name} learns to reverse sequences (>= 99% exact match on held-out data)`, async () => {
    const t0 = Date.now();
    const result = await trainToyTask(buildModel(m.config), REVERSE_TASK, {
      steps: m.steps,
      batchSize: m.batchSize,
      lr: 1e-2,
      seed: 1,
    });
    console.log(name, JSON.stringify(result), `${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(result.graphs, 2, "both length buckets trained");
    assert.ok(result.lastLoss < result.firstLoss / 10, `loss ${result.firstLoss} -> ${result.lastLoss}`);
    assert.ok(result.exactMatch >= 0.99, `exact match ${result.exactMatch}`);
  });
}
