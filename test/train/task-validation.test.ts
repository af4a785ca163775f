// Per-task validation of a multi-task model: each task's metric on its own range of sources (BLEU, G2P
// word error rate, exact match), the log lines, and a TaskValidator run on a tiny Transformer.

import assert from "node:assert/strict";
import { test } from "node:test";
import { buildModel, resolveModelConfig } from "../../src/models/registry.ts";
import { trainCharTokenizer } from "../../src/tokenize/index.ts";
import { jointPair } from "../../src/tokenize/tokenizer-pair.ts";
import { flatLayout } from "../../src/train/step-graph.ts";
import { initialFlatParams } from "../../src/train/step-runner.ts";
import { encodeTaskData, type TaskText } from "../../src/train/task-data.ts";
import {
  scoreTasks,
  type TaskValidationResult,
  TaskValidator,
  taskScoreLines,
} from "../../src/train/task-validation.ts";
import { resolveRunConfig } from "../../src/train/train-config.ts";
import { scoreHypotheses } from "../../src/train/validation.ts";

test("scoreTasks scores each task on its own sources with its own metric", () => {
  const hyps = ["the cat sat on the mat", "a dog ran", "HH AH L OW", "K AE T", "[a]+", "b*"];
  const refs = [
    ["the cat sat on the mat"],
    ["a dog ran away"],
    ["HH AH L OW", "HH EH L OW"],
    ["K AA T"],
    ["[a]+"],
    ["c*"],
  ];
  const tasks = [
    { name: "de-en", metric: "bleu" as const, start: 0, end: 2 },
    { name: "g2p", metric: "g2p" as const, start: 2, end: 4 },
    { name: "regex", metric: "exact" as const, start: 4, end: 6 },
    { name: "none", metric: "exact" as const, start: 6, end: 6 },
  ];
  const scores = scoreTasks(tasks, hyps, refs);
  assert.deepEqual(
    scores.map((s) => [s.task, s.metric, s.sources]),
    [
      ["de-en", "bleu", 2],
      ["g2p", "g2p", 2],
      ["regex", "exact", 2],
      ["none", "exact", 0],
    ],
  );
  assert.equal(scores[0]!.value, scoreHypotheses("bleu", hyps.slice(0, 2), refs.slice(0, 2)));
  assert.equal(scores[1]!.value, 50, "one of two words wrong");
  assert.equal(scores[2]!.value, 50);
  assert.ok(Number.isNaN(scores[3]!.value));
  const result: TaskValidationResult = {
    loss: 1,
    perplexity: Math.E,
    metric: "loss",
    value: 1,
    examples: [],
    tasks: scores,
  };
  const lines = taskScoreLines(result);
  assert.deepEqual(lines.slice(1), [
    "  task g2p: g2p 50.00 (2 sources)",
    "  task regex: exact 50.00 (2 sources)",
    "  task none: exact - (0 sources)",
  ]);
  assert.deepEqual(
    taskScoreLines({ loss: 1, perplexity: Math.E, metric: "loss", value: 1, examples: [] }),
    [],
  );
});

test("TaskValidator returns the loss as its value and a score per task", async () => {
  const pairs = (prefix: string, f: (s: string) => string) =>
    ["abc", "bca", "cab", "acb"].map((s) => ({ src: `${prefix}${s}`, tgt: f(s) }));
  const copy = pairs("c: ", (s) => s);
  const rev = pairs("r: ", (s) => [...s].reverse().join(""));
  const text: TaskText = {
    train: [...copy, ...rev],
    valid: [...copy, ...rev],
    notes: [],
    tasks: [
      { name: "copy", prefix: "c: ", template: "", metric: "exact", rate: 0 },
      { name: "rev", prefix: "r: ", template: "", metric: "cer", rate: 0 },
    ],
    trainTask: [0, 0, 0, 0, 1, 1, 1, 1],
    validTask: [0, 0, 0, 0, 1, 1, 1, 1],
    mixture: true,
  };
  const tokenizers = jointPair(trainCharTokenizer(text.train.flatMap((p) => [p.src, p.tgt])));
  const data = resolveRunConfig([
    { origin: "t", values: { data: { mixture: [{ name: "a", task: "copy" }] } } },
  ]).data;
  const encoded = encodeTaskData(text, tokenizers, { data, validMaxExamples: 3, limit: null });
  const config = resolveModelConfig({
    architecture: "transformer",
    srcVocabSize: tokenizers.source.vocabSize,
    tgtVocabSize: tokenizers.target.vocabSize,
    dModel: 16,
    heads: 2,
    ffDim: 32,
    encoderLayers: 1,
    decoderLayers: 1,
    maxPositions: 16,
  });
  const model = buildModel(config);
  const layout = flatLayout(model.parameters());
  const options = {
    metric: "bleu" as const,
    maxLength: 6,
    maxTokens: 256,
    target: tokenizers.target,
    session: { threads: 1 },
  };
  const validator = new TaskValidator(model, layout, encoded.validation!, options, encoded.validationTasks!);
  try {
    const result = await validator.run(initialFlatParams(layout, model.parameters(), 1));
    assert.equal(result.metric, "loss");
    assert.ok(Number.isFinite(result.loss) && result.value === result.loss);
    assert.deepEqual(
      result.tasks.map((t) => [t.task, t.metric, t.sources]),
      [
        ["copy", "exact", 3],
        ["rev", "cer", 3],
      ],
    );
    assert.ok(result.tasks.every((t) => Number.isFinite(t.value) && t.value >= 0));
    assert.deepEqual(
      result.examples.map((e) => e.source),
      ["c: abc", "r: abc"],
      "one example per task",
    );
  } finally {
    await validator.release();
  }
});
