// Model folders: config -> model -> safetensors -> model is exact, and every kind of mismatch is named.

import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadModelFolder, saveModelFolder } from "../../src/models/folder.ts";
import { buildModel, type ModelConfig } from "../../src/models/registry.ts";
import { initialize } from "../../src/nn/init.ts";
import { trainCharTokenizer } from "../../src/tokenize/index.ts";
import { jointPair } from "../../src/tokenize/tokenizer-pair.ts";

const CONFIG: ModelConfig = {
  architecture: "transformer",
  srcVocabSize: 12,
  tgtVocabSize: 12,
  dModel: 8,
  heads: 2,
  ffDim: 16,
  encoderLayers: 1,
  decoderLayers: 1,
};

async function savedFolder(): Promise<{ dir: string; weights: Map<string, Float32Array> }> {
  const model = buildModel(CONFIG);
  const weights = new Map(
    model.parameters().map((p) => [p.name, initialize({ kind: "normal", std: 1 }, p.shape, 3, p.name)]),
  );
  const dir = join(mkdtempSync(join(tmpdir(), "s2s-folder-")), "model");
  const tokenizers = jointPair(trainCharTokenizer(["abcdefgh"]));
  await saveModelFolder(dir, { config: CONFIG, model, weights, tokenizers });
  return { dir, weights };
}

test("config -> model -> safetensors -> model round trip is exact", async () => {
  const { dir, weights } = await savedFolder();
  const loaded = await loadModelFolder(dir);
  assert.equal(loaded.model.architecture, "transformer");
  assert.equal(loaded.config["dModel"], 8);
  assert.equal(loaded.config["preNorm"], true, "defaults are filled in");
  assert.deepEqual([...loaded.weights.keys()].sort(), [...weights.keys()].sort());
  for (const [name, data] of weights) assert.deepEqual(loaded.weights.get(name), data, name);
  assert.equal(loaded.tokenizers.joint, true);
});

test("an unknown config key is an error naming it and the nearest valid key", async () => {
  const { dir } = await savedFolder();
  writeFileSync(join(dir, "config.json"), JSON.stringify({ ...CONFIG, dModell: 8 }));
  await assert.rejects(loadModelFolder(dir), /dModell.*dModel/s);
});

test("weights that do not fit the config are named", async () => {
  const { dir } = await savedFolder();
  writeFileSync(join(dir, "config.json"), JSON.stringify({ ...CONFIG, ffDim: 32 }));
  await assert.rejects(loadModelFolder(dir), /fc1\.weight" is F32 \[16, 8\], the config needs F32 \[32, 8\]/);
});

test("a missing folder, config or unknown architecture is a clear error", async () => {
  await assert.rejects(loadModelFolder("/nonexistent/model"), /does not exist/);
  const { dir } = await savedFolder();
  writeFileSync(join(dir, "config.json"), JSON.stringify({ ...CONFIG, architecture: "lstm9" }));
  await assert.rejects(loadModelFolder(dir), /unknown architecture "lstm9"/);
});
