// The recurrent families through the registry and model folders: config -> model -> folder -> model is exact
// (config with defaults, every weight, the decoder's outputs), and bad configs are errors naming the key.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Seq2SeqRunner } from "../../src/decode/runner.ts";
import { buildModel, listArchitectures, type ModelConfig } from "../../src/models/registry.ts";
import { assertFolderRoundTrip } from "../helpers/model-checks.ts";

const SMALL = { srcVocabSize: 12, tgtVocabSize: 12, embeddingDim: 6, hiddenDim: 8, maxSourceLength: 9 };
const CONFIGS: ModelConfig[] = [
  { architecture: "lstm", ...SMALL, layers: 2 },
  { architecture: "gru", ...SMALL, readoutDim: 6, tieOutput: true },
  { architecture: "bahdanau", ...SMALL, attentionDim: 5, readoutDim: 4 },
  { architecture: "luong", ...SMALL, score: "concat", attentionDim: 5, inputFeeding: false },
];

test("the four recurrent families are registered with their papers", () => {
  const names = new Map(listArchitectures().map((a) => [a.name, a.description]));
  assert.match(names.get("lstm") ?? "", /Sutskever et al\. 2014/);
  assert.match(names.get("gru") ?? "", /Cho et al\. 2014/);
  assert.match(names.get("bahdanau") ?? "", /Bahdanau et al\. 2014/);
  assert.match(names.get("luong") ?? "", /Luong et al\. 2015/);
});

describe("config -> model -> model folder -> model round trip is exact", () => {
  for (const config of CONFIGS) {
    test(config.architecture, async () => {
      const { model, weights, loaded } = await assertFolderRoundTrip(config, 0.5);
      for (const [key, value] of Object.entries(config)) assert.deepEqual(loaded.config[key], value, key);
      assert.equal(loaded.config["maxTargetLength"], 50, "defaults are filled in");
      assert.deepEqual(
        loaded.model.parameters().map((p) => [p.name, p.shape]),
        model.parameters().map((p) => [p.name, p.shape]),
      );

      const decode = async (m: typeof model, w: Map<string, Float32Array>) => {
        const runner = await Seq2SeqRunner.create(m, w);
        const step = await runner.step(await runner.encode([[4, 5, 6, 2]]), [1]);
        await runner.release();
        return step.logProbs;
      };
      assert.deepEqual(await decode(loaded.model, loaded.weights), await decode(model, weights));
    });
  }
});

describe("bad recurrent configs are errors naming the key", () => {
  const cases: Array<[string, ModelConfig, RegExp]> = [
    ["unknown key", { architecture: "gru", hiddenDm: 8 }, /hiddenDm.*hiddenDim/s],
    ["wrong type", { architecture: "luong", layers: "two" }, /"layers" expects a number/],
    [
      "bad score",
      { architecture: "luong", score: "bilinear" },
      /"score" must be one of dot, general, concat/,
    ],
    ["zero size", { architecture: "bahdanau", attentionDim: 0 }, /"attentionDim" must be a positive integer/],
    [
      "tied sizes",
      { architecture: "lstm", tieOutput: true },
      /"tieOutput" needs hiddenDim \(512\) == embeddingDim/,
    ],
    ["dropout", { architecture: "gru", dropout: 1 }, /"dropout" must be in \[0, 1\)/],
    [
      "buckets",
      { architecture: "lstm", maxSourceLength: 3, lengthBuckets: 4 },
      /"lengthBuckets" \(4\) exceeds/,
    ],
  ];
  for (const [name, config, pattern] of cases)
    test(name, () => assert.throws(() => buildModel(config), pattern));
});
