// Checkpoint folders: a loadable model folder plus the optimizer and trainer state, read back exactly;
// mismatched layouts and corrupt or truncated files are errors naming the file; pruning keeps the newest.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadModelFolder } from "../../src/models/folder.ts";
import { buildModel } from "../../src/models/registry.ts";
import { trainCharTokenizer } from "../../src/tokenize/index.ts";
import { jointPair } from "../../src/tokenize/tokenizer-pair.ts";
import {
  checkpointDir,
  listCheckpoints,
  pruneCheckpoints,
  readOptimizerState,
  readTrainerState,
  saveCheckpoint,
  TRAINER_STATE_FILE,
  TRAINING_STATE_FILE,
  type TrainerState,
} from "../../src/train/checkpoint.ts";
import { flatLayout } from "../../src/train/step-graph.ts";
import { initialFlatParams, unflatten } from "../../src/train/step-runner.ts";
import { configHash, resolveRunConfig } from "../../src/train/train-config.ts";

const tokenizer = trainCharTokenizer(["abcdef"]);
const modelConfig = {
  architecture: "transformer",
  srcVocabSize: tokenizer.vocabSize,
  tgtVocabSize: tokenizer.vocabSize,
  dModel: 8,
  heads: 2,
  ffDim: 16,
  encoderLayers: 1,
  decoderLayers: 1,
};
const model = buildModel(modelConfig);
const layout = flatLayout(model.parameters());
const runConfig = resolveRunConfig([{ origin: "test", values: { data: { task: "copy" } } }]);

function trainerState(step: number): TrainerState {
  return {
    format: 1,
    step,
    data: { epoch: 2, batchIndex: 3 },
    segment: { step: step - 1, data: { epoch: 2, batchIndex: 1 } },
    seed: 1,
    schedule: { kind: "noam" },
    best: { metric: "exact", value: 12.5, step: 4, loss: 1.25 },
    badValidations: 1,
    tokens: 1234,
    elapsed: 5.5,
    configHash: configHash(runConfig),
    config: runConfig,
    dataFingerprint: "10:abc",
    layout: { total: layout.total, names: layout.slots.map((s) => s.name) },
  };
}

async function writeOne(runDir: string, step: number) {
  const params = initialFlatParams(layout, model.parameters(), step);
  const m = params.map((x) => x / 10);
  const v = params.map((x) => x * x);
  const dir = checkpointDir(runDir, step);
  await saveCheckpoint(dir, {
    modelConfig,
    model,
    tokenizers: jointPair(tokenizer),
    layout,
    optimizer: { params, m, v, step },
    trainer: trainerState(step),
  });
  return { dir, params, m, v };
}

test("a checkpoint reads back exactly and is also a model folder", async () => {
  const runDir = mkdtempSync(join(tmpdir(), "s2s-ckpt-"));
  const { dir, params, m, v } = await writeOne(runDir, 7);
  assert.match(dir, /checkpoints\/step-00000007$/);
  const trainer = await readTrainerState(dir);
  assert.deepEqual(trainer, trainerState(7));
  const optimizer = await readOptimizerState(dir, layout, trainer);
  assert.deepEqual(optimizer.params, params);
  assert.deepEqual(optimizer.m, m);
  assert.deepEqual(optimizer.v, v);
  assert.equal(optimizer.step, 7);
  const loaded = await loadModelFolder(dir);
  for (const [name, data] of unflatten(layout, params))
    assert.deepEqual(loaded.weights.get(name), data, name);
  assert.equal(loaded.tokenizers.joint, true);
});

test("a layout that does not match, a missing or a truncated state file is an error naming the file", async () => {
  const runDir = mkdtempSync(join(tmpdir(), "s2s-ckpt-"));
  const { dir } = await writeOne(runDir, 3);
  const trainer = await readTrainerState(dir);
  const other = flatLayout(buildModel({ ...modelConfig, dModel: 16 }).parameters());
  await assert.rejects(
    readOptimizerState(dir, other, trainer),
    /do not match the model's.*did the model config/,
  );
  truncateSync(join(dir, TRAINING_STATE_FILE), 100);
  await assert.rejects(readOptimizerState(dir, layout, trainer), new RegExp(`${TRAINING_STATE_FILE}`));
  writeFileSync(join(dir, TRAINER_STATE_FILE), "{ not json");
  await assert.rejects(readTrainerState(dir), new RegExp(`${TRAINER_STATE_FILE}: invalid JSON`));
  await assert.rejects(readTrainerState(runDir), /not a resumable checkpoint/);
});

test("listCheckpoints sorts by step and pruneCheckpoints keeps the newest", async () => {
  const runDir = mkdtempSync(join(tmpdir(), "s2s-ckpt-"));
  for (const step of [10, 2, 30]) await writeOne(runDir, step);
  assert.deepEqual(
    listCheckpoints(runDir).map((c) => c.step),
    [2, 10, 30],
  );
  await pruneCheckpoints(runDir, 2);
  assert.deepEqual(
    listCheckpoints(runDir).map((c) => c.step),
    [10, 30],
  );
  const json = JSON.parse(
    readFileSync(join(checkpointDir(runDir, 30), TRAINER_STATE_FILE), "utf8"),
  ) as TrainerState;
  assert.equal(json.step, 30);
});
