// The speech keys of the run config: data.speech manifests pair with a speech model (errors name the key),
// train.batchFrames and train.specAugment are checked, and text runs keep their resume identity.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../../src/io/config.ts";
import { configDifferences, configHash, resolveRunConfig } from "../../src/train/train-config.ts";

const speech = {
  origin: "speech.yaml",
  values: {
    model: { architecture: "whisper" },
    data: { speech: { train: "train.tsv", valid: "valid.tsv" } },
  },
};

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.message;
  }
  assert.fail("expected an error");
}

test("a speech run resolves with its keys; speech-only keys are checked by name", () => {
  const config = resolveRunConfig(
    [speech],
    ["--train.batchFrames", "8000", "--train.specAugment.timeMasks", "2"],
  );
  assert.equal(config.data.speech.train, "train.tsv");
  assert.equal(config.train.batchFrames, 8000);
  assert.equal(config.train.specAugment.timeMasks, 2);
  assert.match(
    messageOf(() => resolveRunConfig([speech], ["--train.batchFrames", "0"])),
    /"train\.batchFrames" must be an integer ≥ 1/,
  );
  assert.match(
    messageOf(() => resolveRunConfig([speech], ["--train.specAugment.maxTimeFraction", "0"])),
    /"train\.specAugment\.maxTimeFraction" must be in \(0, 1\]/,
  );
  assert.equal(
    resolveRunConfig([speech], ["--train.specAugment.freqWarp", "0.1"]).train.specAugment.freqWarp,
    0.1,
  );
  assert.match(
    messageOf(() => resolveRunConfig([speech], ["--train.specAugment.freqWarp", "0.5"])),
    /"train\.specAugment\.freqWarp" must be in \[0, 0\.5\), got 0\.5/,
  );
  assert.match(
    messageOf(() => resolveRunConfig([speech], ["--train.metric", "bleu"])),
    /"train\.metric" must be one of auto, cer, wer/,
  );
  assert.match(
    messageOf(() => resolveRunConfig([speech], ["--train.accumulate", "2"])),
    /"train\.accumulate" must be 1 in a speech run/,
  );
  assert.match(
    messageOf(() => resolveRunConfig([speech], ["--model.vocabSize", "40"])),
    /"model\.vocabSize" is set by the trainer/,
  );
});

test("speech data and text data, speech models and text models do not mix", () => {
  assert.match(
    messageOf(() => resolveRunConfig([speech], ["--data.src", "a.txt", "--data.tgt", "b.txt"])),
    /"data\.src" is text data: a speech run reads data\.speech manifests only/,
  );
  assert.match(
    messageOf(() => resolveRunConfig([speech], ["--data.reverseTarget", "true"])),
    /"data\.reverseTarget" applies to text targets; a speech run writes left to right/,
  );
  const textModel = { origin: "t.yaml", values: { data: { speech: { train: "train.tsv" } } } };
  assert.match(
    messageOf(() => resolveRunConfig([textModel])),
    /"data\.speech\.train" needs a speech model .*"transformer"/,
  );
  const noManifest = {
    origin: "w.yaml",
    values: { model: { architecture: "speech-gru" }, data: { task: "reverse" } },
  };
  assert.match(
    messageOf(() => resolveRunConfig([noManifest])),
    /"data\.speech\.train" must name a training manifest: model\.architecture "speech-gru" reads audio, not text \(data\.task is text data\)/,
  );
  const textRun = { origin: "r.yaml", values: { data: { task: "reverse" } } };
  assert.match(
    messageOf(() => resolveRunConfig([textRun], ["--data.speech.language", "en"])),
    /"data\.speech\.language" needs data\.speech\.train/,
  );
});

test("a text run's resume identity leaves the speech keys out; a speech run's includes them", () => {
  const textRun = resolveRunConfig([{ origin: "r.yaml", values: { data: { task: "reverse" } } }]);
  const older = structuredClone(textRun) as unknown as {
    data: Record<string, unknown>;
    train: Record<string, unknown>;
  };
  delete older.data.speech;
  delete older.train.batchFrames;
  delete older.train.specAugment;
  assert.deepEqual(configDifferences(older as unknown as typeof textRun, textRun), []);
  const a = resolveRunConfig([speech]);
  const b = resolveRunConfig([speech], ["--train.batchFrames", "999"]);
  assert.notEqual(configHash(a), configHash(b));
});
