// The run config: defaults per architecture, strict keys with nearest-key suggestions, value checks that
// name the key, derived model keys, the shipped example configs, and the resume identity (hash and diff).

import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { ConfigError, loadConfigFile } from "../../src/io/config.ts";
import {
  configDifferences,
  configHash,
  modelConfigFor,
  resolveRunConfig,
  runConfigDefaults,
} from "../../src/train/train-config.ts";

const base = { values: { data: { task: "reverse" } }, origin: "test.yaml" };

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected an error");
}

describe("resolveRunConfig", () => {
  test("fills every default and applies dotted overrides with their types", () => {
    const config = resolveRunConfig(
      [base],
      ["--train.lr", "5e-4", "--model.dModel=128", "--train.keepBest", "false"],
    );
    assert.equal(config.train.lr, 5e-4);
    assert.equal(config.model["dModel"], 128);
    assert.equal(config.model.architecture, "transformer");
    assert.equal(config.train.keepBest, false);
    assert.equal(config.tokenizer.kind, runConfigDefaults().tokenizer.kind);
    assert.equal(config.data.task, "reverse");
    assert.equal("srcVocabSize" in config.model, false, "vocabulary sizes are not part of the schema");
  });

  test("an unknown key names itself and the nearest valid key, in a file or on the command line", () => {
    const fromFile = errorOf(() => resolveRunConfig([{ origin: "run.yaml", values: { train: { lrr: 1 } } }]));
    assert.equal(fromFile.key, "train.lrr");
    assert.match(
      fromFile.message,
      /unknown config key "train\.lrr" \(in run\.yaml\); did you mean "train\.lr"\?/,
    );
    const fromCli = errorOf(() => resolveRunConfig([base], ["--model.dModell", "64"]));
    assert.match(fromCli.message, /"model\.dModell".*did you mean "model\.dModel"/);
    const misplaced = errorOf(() =>
      resolveRunConfig([{ origin: "x", values: { model: { warmupSteps: 5 } } }]),
    );
    assert.match(misplaced.message, /did you mean "train\.warmupSteps"/);
  });

  test("wrong types, bad choices and bad ranges name the key", () => {
    assert.match(
      errorOf(() => resolveRunConfig([base], ["--train.lr", "fast"])).message,
      /"train\.lr" expects a number/,
    );
    const choice = errorOf(() => resolveRunConfig([base], ["--train.metric", "bleuu"]));
    assert.equal(choice.key, "train.metric");
    assert.match(choice.message, /did you mean "bleu"/);
    assert.equal(
      errorOf(() => resolveRunConfig([base], ["--train.accumulate", "0"])).key,
      "train.accumulate",
    );
    assert.equal(
      errorOf(() => resolveRunConfig([base], ["--train.averageLastK", "5"])).key,
      "train.averageLastK",
    );
    assert.equal(
      errorOf(() => resolveRunConfig([base], ["--train.labelSmoothing", "1"])).key,
      "train.labelSmoothing",
    );
    assert.equal(
      errorOf(() => resolveRunConfig([base], ["--tokenizer.kind", "chars"])).key,
      "tokenizer.kind",
    );
  });

  test("data must come from a task or from files, not both, with both sides given", () => {
    assert.equal(errorOf(() => resolveRunConfig([])).key, "data.task");
    assert.equal(errorOf(() => resolveRunConfig([base], ["--data.src", "a.de"])).key, "data.task");
    assert.equal(errorOf(() => resolveRunConfig([], ["--data.src", "a.de"])).key, "data.tgt");
    assert.equal(
      errorOf(() => resolveRunConfig([], ["--data.tsv", "a.tsv", "--data.src", "b"])).key,
      "data.tsv",
    );
  });

  test("vocabulary sizes are the trainer's, and combinations that cannot work are refused", () => {
    const derived = errorOf(() =>
      resolveRunConfig([{ origin: "m.yaml", values: { model: { srcVocabSize: 9 } } }]),
    );
    assert.equal(derived.key, "model.srcVocabSize");
    assert.match(derived.message, /set by the trainer/);
    const shared = errorOf(() => resolveRunConfig([base], ["--tokenizer.joint", "false"]));
    assert.equal(shared.key, "model.shareEmbeddings");
    const kinds = errorOf(() => resolveRunConfig([base], ["--tokenizer.targetKind", "word"]));
    assert.equal(kinds.key, "tokenizer.targetKind");
    assert.match(
      errorOf(() => resolveRunConfig([base], ["--model.architecture", "transformr"])).message,
      /unknown model\.architecture "transformr"; known: transformer/,
    );
  });

  test("the model config gets the tokenizer's vocabulary sizes and the pad id", () => {
    const config = resolveRunConfig([base]);
    const model = modelConfigFor(config, 17, 23);
    assert.equal(model["srcVocabSize"], 17);
    assert.equal(model["tgtVocabSize"], 23);
    assert.equal(model["padId"], 0);
  });
});

describe("resume identity", () => {
  test("limits and logging may change; anything on the training path changes the hash and is listed", () => {
    const a = resolveRunConfig([base]);
    const b = resolveRunConfig([base], ["--train.maxSteps", "99999", "--train.logEvery", "1"]);
    assert.equal(configHash(a), configHash(b));
    assert.deepEqual(configDifferences(a, b), []);
    const c = resolveRunConfig([base], ["--train.lr", "0.5", "--model.heads", "2"]);
    assert.notEqual(configHash(a), configHash(c));
    assert.deepEqual(configDifferences(a, c), ["model.heads (4 → 2)", "train.lr (0.001 → 0.5)"]);
  });
});

test("every shipped example config resolves", () => {
  const dir = path.resolve(import.meta.dirname, "../../configs");
  const files = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f));
  assert.ok(files.length >= 3, `expected example configs in ${dir}`);
  for (const file of files) {
    const config = resolveRunConfig([loadConfigFile(path.join(dir, file))]);
    assert.ok(config.train.maxSteps > 0 || config.train.maxEpochs > 0, file);
  }
});
